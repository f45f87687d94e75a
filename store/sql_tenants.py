"""Tenants and admin tokens, written once for every backend as
transaction scripts (store.sqlscript): the operator half of the store.

Each change appends its audit line (store.sql_audit) in its own
transaction, and locks the row it changes first where the backend locks
rows. A new tenant's id comes from ``tenant_id_seq`` (one row, held by the
``UPDATE ... RETURNING`` until commit), above every id ever given and every
tenant id the audit log still holds: nothing kept by id (a log, a cache)
may ever pass to a new tenant, even after a forced deletion left no row of
the old one behind.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scimdock.store import sql_audit as audit
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.records import Actor, AdminToken, Tenant
from scimdock.store.sql_keys import insert_credential
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script, Violation, first, meaning, one, rows, run

TENANT, TOKEN = "Tenant", "AdminToken"
_TENANT = "SELECT id, name, scim_enabled, created, user_name_case_exact, schema_tag FROM tenants"
_TOKEN = "SELECT token_id, tenant_id, secret_hash, label, created, revoked FROM admin_tokens"
#: A tenant's rows, children first (foreign keys).
_TENANT_ROWS = ("members", "groups", "users")


def create(d: Dialect, name: str, actor: Actor, now: str) -> Script[Tenant]:
    new_id = yield from first(
        one(
            f"UPDATE tenant_id_seq SET last = {d.greatest}(last,"
            " coalesce((SELECT max(id) FROM tenants), 0)) + 1 RETURNING last"
        )
    )
    try:
        yield run(
            f"INSERT INTO tenants(id, name, scim_enabled, created) VALUES (?, ?, {d.false}, ?)",
            (new_id, name, now),
        )
    except Violation as refused:
        raise meaning(refused, unique=Conflict(f"tenant {name!r} already exists")) from None
    yield from audit.record(d, new_id, actor, "create", TENANT, name, ["name"], at=now)
    return Tenant(int(new_id), name, False, now)


def where(d: Dialect, column: str, value: object, *, lock: bool = False) -> Script[Tenant | None]:
    """The tenant whose ``column`` (``id`` or ``name``) is ``value``."""
    row = yield one(f"{_TENANT} WHERE {column} = ?{d.for_update() if lock else ''}", (value,))
    return _tenant(row) if row else None


def listed(d: Dialect) -> Script[list[Tenant]]:
    return [_tenant(r) for r in (yield rows(f"{_TENANT} ORDER BY name"))]


def set_scim_enabled(
    d: Dialect, name: str, enabled: bool, actor: Actor, now: str
) -> Script[Tenant]:
    tenant = yield from _named(d, name)
    if tenant.scim_enabled == enabled:
        return tenant
    yield run("UPDATE tenants SET scim_enabled = ? WHERE id = ?", (d.booleans[enabled], tenant.id))
    operation = "enable-scim" if enabled else "disable-scim"
    yield from audit.record(d, tenant.id, actor, operation, TENANT, name, ["scimEnabled"], at=now)
    return replace(tenant, scim_enabled=enabled)


def holds_data(d: Dialect, tenant_id: int) -> Script[bool]:
    """Whether any user or group row (live or tombstoned) belongs to it."""
    for table in ("users", "groups"):
        if (yield one(f"SELECT 1 FROM {table} WHERE tenant_id = ? LIMIT 1", (tenant_id,))):
            return True
    return False


def delete(d: Dialect, name: str, force: bool, actor: Actor, now: str) -> Script[None]:
    """The operator log records the deletion. Without ``force`` the
    tenant's own log is kept (readable by raw SQL only); with ``force``
    it goes with the tenant's users and groups."""
    tenant = yield from _named(d, name)
    if not force and (yield from holds_data(d, tenant.id)):
        raise Conflict(
            f"tenant {name!r} still holds users or groups: delete them first, or force the deletion"
        )
    yield from audit.record(d, None, actor, "purge" if force else "delete", TENANT, name, at=now)
    if not force:
        yield from audit.record(d, tenant.id, actor, "delete", TENANT, name, at=now)
    for table in (*(_TENANT_ROWS if force else ()), "api_keys", "admin_tokens"):
        yield run(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant.id,))
    yield run("DELETE FROM tenants WHERE id = ?", (tenant.id,))
    if force:  # allowed by the audit trigger now that the tenant row is gone
        yield run("DELETE FROM audit WHERE tenant_id = ?", (tenant.id,))
        if d.log_numbers:
            yield run("DELETE FROM audit_seq WHERE tenant_id = ?", (tenant.id,))


def reset(d: Dialect, tenant_id: int, actor: Actor, now: str) -> Script[tuple[int, int]]:
    """Remove every user (live or tombstoned), group and membership of the
    tenant, keeping the tenant, its keys, its admin tokens and its audit
    log, which records one ``reset`` line. ``(users, groups)`` removed."""
    tenant = yield from where(d, "id", tenant_id, lock=True)
    if tenant is None:
        raise NotFound(f"no tenant with id {tenant_id}")
    removed: dict[str, int] = {}
    for table in _TENANT_ROWS:
        removed[table] = yield run(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant_id,))
    yield from audit.record(d, tenant_id, actor, "reset", TENANT, tenant.name, at=now)
    return removed["users"], removed["groups"]


def _named(d: Dialect, name: str) -> Script[Tenant]:
    tenant = yield from where(d, "name", name, lock=True)
    if tenant is None:
        raise NotFound(f"no tenant named {name!r}")
    return tenant


# --- admin tokens -----------------------------------------------------
def add_token(
    d: Dialect,
    token_id: str,
    secret_hash: bytes,
    tenant_id: int | None,
    label: str,
    actor: Actor,
    now: str,
) -> Script[AdminToken]:
    yield from insert_credential(
        "INSERT INTO admin_tokens(token_id, tenant_id, secret_hash, label, created)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_id, tenant_id, secret_hash, label, now),
        f"admin token {token_id!r}",
        tenant_id,
    )
    named = ["secret", *(["label"] if label else [])]
    yield from audit.record(d, tenant_id, actor, "create", TOKEN, token_id, named, at=now)
    return AdminToken(token_id, tenant_id, secret_hash, label, now, None)


def token(d: Dialect, token_id: str, *, lock: bool = False) -> Script[AdminToken | None]:
    row = yield one(f"{_TOKEN} WHERE token_id = ?{d.for_update() if lock else ''}", (token_id,))
    return _token(row) if row else None


def tokens(d: Dialect, tenant_id: int | None) -> Script[list[AdminToken]]:
    """Every token (``None``), or one tenant's tenant-admin tokens."""
    filtered, params = ("", ()) if tenant_id is None else (" WHERE tenant_id = ?", (tenant_id,))
    return [
        _token(r) for r in (yield rows(f"{_TOKEN}{filtered} ORDER BY created, token_id", params))
    ]


def revoke_token(d: Dialect, token_id: str, actor: Actor, now: str) -> Script[AdminToken]:
    found = yield from token(d, token_id, lock=True)
    if found is None:
        raise NotFound(f"no admin token {token_id!r}")
    if found.revoked is not None:
        return found
    yield run("UPDATE admin_tokens SET revoked = ? WHERE token_id = ?", (now, token_id))
    yield from audit.record(
        d, found.tenant_id, actor, "revoke", TOKEN, token_id, ["revoked"], at=now
    )
    return replace(found, revoked=now)


def _tenant(row: tuple[Any, ...]) -> Tenant:
    return Tenant(int(row[0]), row[1], bool(row[2]), row[3], bool(row[4]), int(row[5]))


def _token(row: tuple[Any, ...]) -> AdminToken:
    tenant = None if row[1] is None else int(row[1])
    return AdminToken(row[0], tenant, bytes(row[2]), row[3], row[4], row[5])
