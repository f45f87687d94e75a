"""Tenants and admin tokens in SQLite: the operator half of
:class:`store.sqlite.SqliteStore`.

Each change appends its audit line (store.sqlite_audit) in its own
transaction. A new tenant's id is above every tenant id the audit log
still holds, so a tenant created after another was deleted can never read
the deleted tenant's log (a forced deletion leaves no row behind at all).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from scimdock.core.clock import Clock
from scimdock.store import sqlite_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, AdminToken, Tenant
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.sqlite_host import SqliteHost

TENANT, TOKEN = "Tenant", "AdminToken"
_TENANT = "SELECT id, name, scim_enabled, created, user_name_case_exact, schema_tag FROM tenants"
_TOKEN = "SELECT token_id, tenant_id, secret_hash, label, created, revoked FROM admin_tokens"
#: A tenant's rows, children first (foreign keys), then the tenant itself.
_TENANT_ROWS = ("members", "groups", "users")


class TenantTables(SqliteHost):
    """Tenant and admin-token methods; the host class provides the
    connection, its lock and :meth:`_write`."""

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    clock: Clock

    # --- tenants ------------------------------------------------------
    def create_tenant(self, name: str, *, actor: Actor = CLI_ACTOR) -> Tenant:
        with self._write() as conn:
            try:
                # Never reuse an id (migration 4, tenant_id_seq): nothing
                # kept by id (a log, a cache) may ever pass to a new tenant.
                (new_id,) = conn.execute(
                    "UPDATE tenant_id_seq SET last = max(last,"
                    " coalesce((SELECT max(id) FROM tenants), 0)) + 1 RETURNING last"
                ).fetchone()
                now = self.clock.now()
                cur = conn.execute(
                    "INSERT INTO tenants(id, name, scim_enabled, created) VALUES (?, ?, 0, ?)",
                    (new_id, name, now),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"tenant {name!r} already exists") from None
            audit.record(
                conn, int(cur.lastrowid or 0), actor, "create", TENANT, name, ["name"], at=now
            )
        return self._tenant(name)

    def get_tenant(self, name: str) -> Tenant | None:
        with self._lock:
            row = self._conn.execute(f"{_TENANT} WHERE name = ?", (name,)).fetchone()
        return _tenant(row) if row else None

    def get_tenant_by_id(self, tenant_id: int) -> Tenant | None:
        with self._lock:
            row = self._conn.execute(f"{_TENANT} WHERE id = ?", (tenant_id,)).fetchone()
        return _tenant(row) if row else None

    def list_tenants(self) -> list[Tenant]:
        with self._lock:
            rows = self._conn.execute(f"{_TENANT} ORDER BY name").fetchall()
        return [_tenant(r) for r in rows]

    def set_scim_enabled(self, name: str, enabled: bool, *, actor: Actor = CLI_ACTOR) -> Tenant:
        with self._write() as conn:
            tenant = self.get_tenant(name)
            if tenant is None:
                raise NotFound(f"no tenant named {name!r}")
            if tenant.scim_enabled != enabled:
                conn.execute(
                    "UPDATE tenants SET scim_enabled = ? WHERE id = ?", (int(enabled), tenant.id)
                )
                audit.record(
                    conn,
                    tenant.id,
                    actor,
                    "enable-scim" if enabled else "disable-scim",
                    TENANT,
                    name,
                    ["scimEnabled"],
                    at=self.clock.now(),
                )
        return self._tenant(name)

    def tenant_holds_data(self, tenant_id: int) -> bool:
        with self._lock:
            return any(
                self._conn.execute(
                    f"SELECT 1 FROM {table} WHERE tenant_id = ? LIMIT 1", (tenant_id,)
                ).fetchone()
                for table in ("users", "groups")
            )

    def delete_tenant(self, name: str, *, force: bool = False, actor: Actor = CLI_ACTOR) -> None:
        """The operator log records the deletion. Without ``force`` the
        tenant's own log is kept (readable by raw SQL only); with ``force``
        it goes with the tenant's users and groups."""
        with self._write() as conn:
            tenant = self.get_tenant(name)
            if tenant is None:
                raise NotFound(f"no tenant named {name!r}")
            if not force and self.tenant_holds_data(tenant.id):
                raise Conflict(
                    f"tenant {name!r} still holds users or groups:"
                    " delete them first, or force the deletion"
                )
            now = self.clock.now()
            audit.record(conn, None, actor, "purge" if force else "delete", TENANT, name, at=now)
            if not force:
                audit.record(conn, tenant.id, actor, "delete", TENANT, name, at=now)
            for table in (*(_TENANT_ROWS if force else ()), "api_keys", "admin_tokens"):
                conn.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant.id,))
            conn.execute("DELETE FROM tenants WHERE id = ?", (tenant.id,))
            if force:  # allowed by the audit trigger now that the tenant row is gone
                conn.execute("DELETE FROM audit WHERE tenant_id = ?", (tenant.id,))

    def reset_tenant_data(self, tenant_id: int, *, actor: Actor = CLI_ACTOR) -> tuple[int, int]:
        """Remove every user (live or tombstoned), group and membership of
        the tenant in one transaction, keeping the tenant, its keys, its
        admin tokens and its audit log, which records one ``reset`` line.
        ``(users, groups)`` removed; :class:`NotFound` for an unknown tenant."""
        with self._write() as conn:
            tenant = self.get_tenant_by_id(tenant_id)
            if tenant is None:
                raise NotFound(f"no tenant with id {tenant_id}")
            counts = [
                conn.execute(
                    f"SELECT count(*) FROM {t} WHERE tenant_id = ?", (tenant_id,)
                ).fetchone()[0]
                for t in ("users", "groups")
            ]
            for table in _TENANT_ROWS:
                conn.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant_id,))
            audit.record(conn, tenant_id, actor, "reset", TENANT, tenant.name, at=self.clock.now())
        return counts[0], counts[1]

    def _tenant(self, name: str) -> Tenant:
        tenant = self.get_tenant(name)
        assert tenant is not None
        return tenant

    # --- admin tokens -------------------------------------------------
    def add_admin_token(
        self,
        token_id: str,
        secret_hash: bytes,
        tenant_id: int | None,
        label: str = "",
        *,
        actor: Actor = CLI_ACTOR,
    ) -> AdminToken:
        with self._write() as conn:
            now = self.clock.now()
            conn.execute(
                "INSERT INTO admin_tokens(token_id, tenant_id, secret_hash, label, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_id, tenant_id, secret_hash, label, now),
            )
            audit.record(
                conn,
                tenant_id,
                actor,
                "create",
                TOKEN,
                token_id,
                ["secret", *(["label"] if label else [])],
                at=now,
            )
        return self._token(token_id)

    def get_admin_token(self, token_id: str) -> AdminToken | None:
        with self._lock:
            row = self._conn.execute(f"{_TOKEN} WHERE token_id = ?", (token_id,)).fetchone()
        return _token(row) if row else None

    def list_admin_tokens(self, tenant_id: int | None = None) -> list[AdminToken]:
        """Every token (``None``), or one tenant's tenant-admin tokens."""
        where, params = ("", ()) if tenant_id is None else (" WHERE tenant_id = ?", (tenant_id,))
        with self._lock:
            rows = self._conn.execute(
                f"{_TOKEN}{where} ORDER BY created, token_id", params
            ).fetchall()
        return [_token(r) for r in rows]

    def revoke_admin_token(self, token_id: str, *, actor: Actor = CLI_ACTOR) -> AdminToken:
        with self._write() as conn:
            token = self.get_admin_token(token_id)
            if token is None:
                raise NotFound(f"no admin token {token_id!r}")
            if token.revoked is None:
                now = self.clock.now()
                conn.execute(
                    "UPDATE admin_tokens SET revoked = ? WHERE token_id = ?", (now, token_id)
                )
                audit.record(
                    conn, token.tenant_id, actor, "revoke", TOKEN, token_id, ["revoked"], at=now
                )
        return self._token(token_id)

    def _token(self, token_id: str) -> AdminToken:
        token = self.get_admin_token(token_id)
        assert token is not None
        return token


def _tenant(row: tuple[Any, ...]) -> Tenant:
    return Tenant(row[0], row[1], bool(row[2]), row[3], bool(row[4]), int(row[5]))


def _token(row: tuple[Any, ...]) -> AdminToken:
    return AdminToken(row[0], row[1], bytes(row[2]), row[3], row[4], row[5])
