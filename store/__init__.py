"""Persistence behind one small interface (:class:`store.base.Store`);
SQLite (:mod:`store.sqlite`) is the embedded default."""

from store.base import (
    CLI_ACTOR,
    OPERATOR_LOG,
    Actor,
    AdminToken,
    ApiKey,
    AuditEntry,
    GroupRecord,
    MemberRecord,
    Membership,
    Store,
    Tenant,
    Tombstone,
    UserRecord,
)
from store.sqlite import SqliteStore

__all__ = ["CLI_ACTOR", "OPERATOR_LOG", "Actor", "AdminToken", "ApiKey", "AuditEntry",
           "GroupRecord", "MemberRecord", "Membership", "SqliteStore", "Store", "Tenant",
           "Tombstone", "UserRecord"]
