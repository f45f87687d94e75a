"""Persistence behind one small interface (:class:`store.base.Store`);
SQLite (:mod:`store.sqlite`) is the embedded default."""

from store.base import ApiKey, GroupRecord, MemberRecord, Membership, Store, Tenant, UserRecord
from store.sqlite import SqliteStore

__all__ = ["ApiKey", "GroupRecord", "MemberRecord", "Membership", "SqliteStore", "Store", "Tenant",
           "UserRecord"]
