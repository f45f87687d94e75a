"""Tenants and admin tokens in PostgreSQL: the operator half of
:class:`store.postgres.PostgresStore`, as :mod:`store.sqlite_tenants`.

A new tenant's id comes from ``tenant_id_seq`` (one row, locked by the
``UPDATE ... RETURNING`` until commit), above every id ever given, so no
id is reused. Each change appends its audit line in its own transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from psycopg import errors

from scimdock.store import pg_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, AdminToken, Tenant
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.pg_host import Conn, PgHost, every, one

TENANT, TOKEN = "Tenant", "AdminToken"
_TENANT = "SELECT id, name, scim_enabled, created, user_name_case_exact, schema_tag FROM tenants"
_TOKEN = "SELECT token_id, tenant_id, secret_hash, label, created, revoked FROM admin_tokens"
#: A forced deletion's rows, children first (foreign keys), then the keys.
_TENANT_ROWS = ("members", "groups", "users")


class PgTenantTables(PgHost):
    async def create_tenant(self, name: str, *, actor: Actor = CLI_ACTOR) -> Tenant:
        async with self._write() as conn:
            row = await one(
                conn,
                "UPDATE tenant_id_seq SET last = greatest(last,"
                " coalesce((SELECT max(id) FROM tenants), 0)) + 1 RETURNING last",
            )
            assert row is not None
            now = self.clock.now()
            try:
                await conn.execute(
                    "INSERT INTO tenants(id, name, scim_enabled, created) VALUES (%s, %s, false, %s)",
                    (row[0], name, now),
                )
            except errors.UniqueViolation:
                raise Conflict(f"tenant {name!r} already exists") from None
            await audit.record(conn, row[0], actor, "create", TENANT, name, ["name"], at=now)
        return Tenant(int(row[0]), name, False, now)

    async def get_tenant(self, name: str) -> Tenant | None:
        async with self._read() as conn:
            return await tenant_where(conn, "name", name)

    async def get_tenant_by_id(self, tenant_id: int) -> Tenant | None:
        async with self._read() as conn:
            return await tenant_where(conn, "id", tenant_id)

    async def list_tenants(self) -> list[Tenant]:
        async with self._read() as conn:
            return [_tenant(r) for r in await every(conn, f"{_TENANT} ORDER BY name")]

    async def set_scim_enabled(
        self, name: str, enabled: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        async with self._write() as conn:
            tenant = await tenant_where(conn, "name", name, lock=True)
            if tenant is None:
                raise NotFound(f"no tenant named {name!r}")
            if tenant.scim_enabled != enabled:
                await conn.execute(
                    "UPDATE tenants SET scim_enabled = %s WHERE id = %s", (enabled, tenant.id)
                )
                await audit.record(
                    conn,
                    tenant.id,
                    actor,
                    "enable-scim" if enabled else "disable-scim",
                    TENANT,
                    name,
                    ["scimEnabled"],
                    at=self.clock.now(),
                )
            return replace(tenant, scim_enabled=enabled)

    async def tenant_holds_data(self, tenant_id: int) -> bool:
        async with self._read() as conn:
            return await _holds_data(conn, tenant_id)

    async def delete_tenant(
        self, name: str, *, force: bool = False, actor: Actor = CLI_ACTOR
    ) -> None:
        async with self._write() as conn:
            tenant = await tenant_where(conn, "name", name, lock=True)
            if tenant is None:
                raise NotFound(f"no tenant named {name!r}")
            if not force and await _holds_data(conn, tenant.id):
                raise Conflict(
                    f"tenant {name!r} still holds users or groups:"
                    " delete them first, or force the deletion"
                )
            now = self.clock.now()
            await audit.record(
                conn, None, actor, "purge" if force else "delete", TENANT, name, at=now
            )
            if not force:
                await audit.record(conn, tenant.id, actor, "delete", TENANT, name, at=now)
            for table in (*(_TENANT_ROWS if force else ()), "api_keys", "admin_tokens"):
                await conn.execute(f"DELETE FROM {table} WHERE tenant_id = %s", (tenant.id,))
            await conn.execute("DELETE FROM tenants WHERE id = %s", (tenant.id,))
            if force:  # allowed by the audit trigger now that the tenant row is gone
                await conn.execute("DELETE FROM audit WHERE tenant_id = %s", (tenant.id,))
                await conn.execute("DELETE FROM audit_seq WHERE tenant_id = %s", (tenant.id,))

    async def reset_tenant_data(
        self, tenant_id: int, *, actor: Actor = CLI_ACTOR
    ) -> tuple[int, int]:
        """Remove every user (live or tombstoned), group and membership of
        the tenant in one transaction, keeping the tenant, its keys, its
        admin tokens and its audit log, which records one ``reset`` line.
        ``(users, groups)`` removed; :class:`NotFound` for an unknown tenant."""
        async with self._write() as conn:
            tenant = await tenant_where(conn, "id", tenant_id, lock=True)
            if tenant is None:
                raise NotFound(f"no tenant with id {tenant_id}")
            removed: dict[str, int] = {}
            for table in _TENANT_ROWS:
                cursor = await conn.execute(
                    f"DELETE FROM {table} WHERE tenant_id = %s", (tenant_id,)
                )
                removed[table] = cursor.rowcount
            await audit.record(
                conn, tenant_id, actor, "reset", TENANT, tenant.name, at=self.clock.now()
            )
        return removed.get("users", 0), removed.get("groups", 0)

    # --- admin tokens -------------------------------------------------
    async def add_admin_token(
        self,
        token_id: str,
        secret_hash: bytes,
        tenant_id: int | None,
        label: str = "",
        *,
        actor: Actor = CLI_ACTOR,
    ) -> AdminToken:
        async with self._write() as conn:
            now = self.clock.now()
            try:
                await conn.execute(
                    "INSERT INTO admin_tokens(token_id, tenant_id, secret_hash, label, created)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (token_id, tenant_id, secret_hash, label, now),
                )
            except errors.UniqueViolation:
                raise Conflict(f"admin token {token_id!r} already exists") from None
            except errors.ForeignKeyViolation:
                raise NotFound(f"no tenant with id {tenant_id}") from None
            named = ["secret", *(["label"] if label else [])]
            await audit.record(conn, tenant_id, actor, "create", TOKEN, token_id, named, at=now)
        return AdminToken(token_id, tenant_id, secret_hash, label, now, None)

    async def get_admin_token(self, token_id: str) -> AdminToken | None:
        async with self._read() as conn:
            row = await one(conn, f"{_TOKEN} WHERE token_id = %s", (token_id,))
        return _token(row) if row else None

    async def list_admin_tokens(self, tenant_id: int | None = None) -> list[AdminToken]:
        where, params = ("", ()) if tenant_id is None else (" WHERE tenant_id = %s", (tenant_id,))
        async with self._read() as conn:
            rows = await every(conn, f"{_TOKEN}{where} ORDER BY created, token_id", params)
        return [_token(r) for r in rows]

    async def revoke_admin_token(self, token_id: str, *, actor: Actor = CLI_ACTOR) -> AdminToken:
        async with self._write() as conn:
            row = await one(conn, f"{_TOKEN} WHERE token_id = %s FOR UPDATE", (token_id,))
            if row is None:
                raise NotFound(f"no admin token {token_id!r}")
            token = _token(row)
            if token.revoked is not None:
                return token
            now = self.clock.now()
            await conn.execute(
                "UPDATE admin_tokens SET revoked = %s WHERE token_id = %s", (now, token_id)
            )
            await audit.record(
                conn, token.tenant_id, actor, "revoke", TOKEN, token_id, ["revoked"], at=now
            )
        return AdminToken(
            token.token_id, token.tenant_id, token.secret_hash, token.label, token.created, now
        )


async def tenant_where(
    conn: Conn, column: str, value: object, *, lock: bool = False
) -> Tenant | None:
    row = await one(conn, f"{_TENANT} WHERE {column} = %s{' FOR UPDATE' if lock else ''}", (value,))
    return _tenant(row) if row else None


async def _holds_data(conn: Conn, tenant_id: int) -> bool:
    for table in ("users", "groups"):
        if await one(conn, f"SELECT 1 FROM {table} WHERE tenant_id = %s LIMIT 1", (tenant_id,)):
            return True
    return False


def _tenant(row: tuple[Any, ...]) -> Tenant:
    return Tenant(int(row[0]), row[1], bool(row[2]), row[3], bool(row[4]), int(row[5]))


def _token(row: tuple[Any, ...]) -> AdminToken:
    tenant = None if row[1] is None else int(row[1])
    return AdminToken(row[0], tenant, bytes(row[2]), row[3], row[4], row[5])
