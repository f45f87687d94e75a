"""The JSON shapes of openapi/admin.yaml built from store records.

No secret or secret hash ever goes into a view; the one-time secrets are
added by the handler that creates them.
"""

from __future__ import annotations

from typing import Any

from scimdock.core import access, credentials, representation
from scimdock.store.base import AdminToken, ApiKey, AuditEntry, Tenant, Tombstone, UserRecord


def tenant(t: Tenant) -> dict[str, Any]:
    return {"name": t.name, "scimEnabled": t.scim_enabled, "created": t.created}


def key(k: ApiKey, now: str) -> dict[str, Any]:
    """``status`` as of ``now`` (core.clock form: the caller's clock)."""
    return {
        "id": k.key_id,
        "tenant": k.tenant_name,
        "label": k.label,
        "created": k.created,
        "expires": k.expires,
        "revoked": k.revoked,
        "lastUsed": k.last_used,
        "lastUsedFrom": k.last_used_from,
        "previousSecretValidUntil": k.previous_valid_until,
        "status": credentials.key_status(k.revoked, k.expires, now),
    }


def admin_token(t: AdminToken, tenant_name: str | None) -> dict[str, Any]:
    return {
        "id": t.token_id,
        "tenant": tenant_name,
        "role": "operator" if t.tenant_id is None else "tenantAdmin",
        "label": t.label,
        "created": t.created,
        "revoked": t.revoked,
        "status": "revoked" if t.revoked else "active",
    }


def audit_entry(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": {"kind": e.actor_kind, "id": e.actor_id, "address": e.address},
        "operation": e.operation,
        "resourceType": e.resource_type,
        "resourceId": e.resource_id,
        "attributes": list(e.attributes),
    }


def tombstone(t: Tombstone, *, data: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"id": t.id, "userName": t.user_name, "deleted": t.deleted}
    if data:
        view["data"] = t.doc
    return view


def user_access(tenant: Tenant, found: UserRecord | Tombstone | None) -> dict[str, Any]:
    """May this user sign in, and if not why (the rule: :func:`core.access.decide`).
    Deactivation keeps the account and its data; the user just cannot sign in."""
    if found is None:
        decision = access.decide(tenant_scim_enabled=tenant.scim_enabled, state="unknown")
        who: dict[str, Any] = {"userId": None, "userName": None}
    elif isinstance(found, Tombstone):
        decision = access.decide(tenant_scim_enabled=tenant.scim_enabled, state="deleted")
        who = {"userId": found.id, "userName": found.user_name}
    else:
        decision = access.decide(
            tenant_scim_enabled=tenant.scim_enabled, state="live", active=found.doc.get("active")
        )
        who = {"userId": found.id, "userName": found.doc.get("userName")}
    return {"allowed": decision.allowed, "reason": decision.reason, **who}


def restored(record: UserRecord) -> dict[str, Any]:
    """A user restored from its tombstone (the API adds its ``location``)."""
    return {
        "id": record.id,
        "userName": record.doc["userName"],
        "active": record.doc.get("active") is not False,
        "version": representation.etag(record.version),
    }
