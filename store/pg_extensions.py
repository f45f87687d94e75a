"""What a tenant's resource types are built from, in PostgreSQL, as
store.sqlite_extensions keeps it in SQLite: extension schemas
(core.extensions, RFC 7643 §7) and the userName choice (store.tenant_schema),
each change moving the tenant's ``schema_tag``.

A user write reads the tenant's choice with ``FOR KEY SHARE`` on its row
(:func:`case_exact`), which the switch's ``FOR UPDATE`` waits for: no write
keys a userName by a choice the switch has already replaced."""

from __future__ import annotations

from typing import Any

from psycopg import errors
from psycopg.types.json import Jsonb

from scimdock.store import pg_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, SchemaExtension, Tenant, TenantSchema
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.pg_host import Conn, PgHost, every, one
from scimdock.store.pg_tenants import tenant_where
from scimdock.store.tenant_schema import COLUMNS as _COLUMNS
from scimdock.store.tenant_schema import SCHEMA_OF, extension, rekeyed, schema_of

SCHEMA, TENANT = "Schema", "Tenant"
_BUMP = "UPDATE tenants SET schema_tag = schema_tag + 1 WHERE id = %s"
_SCHEMA_OF = SCHEMA_OF.format(mark="%s")


class PgExtensionTables(PgHost):
    async def add_schema_extension(
        self,
        tenant_id: int,
        urn: str,
        resource_type: str,
        definition: dict[str, Any],
        *,
        required: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> SchemaExtension:
        try:
            async with self._write() as conn:
                now = self.clock.now()
                await conn.execute(
                    f"INSERT INTO schema_extensions(tenant_id, urn_fold, {_COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (tenant_id, urn.lower(), urn, resource_type, required, Jsonb(definition), now),
                )
                await conn.execute(_BUMP, (tenant_id,))
                await audit.record(conn, tenant_id, actor, "create", SCHEMA, urn, at=now)
        except errors.UniqueViolation:
            raise Conflict(f"extension {urn!r} is already registered") from None
        return SchemaExtension(urn, resource_type, required, definition, now)

    async def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        async with self._read() as conn:
            rows = await every(
                conn,
                f"SELECT {_COLUMNS} FROM schema_extensions WHERE tenant_id = %s ORDER BY seq",
                (tenant_id,),
            )
        return [extension(r) for r in rows]

    async def tenant_schema(self, tenant_id: int) -> TenantSchema:
        async with self._read() as conn:
            return schema_of(tenant_id, await every(conn, _SCHEMA_OF, (tenant_id,)))

    async def set_user_name_case_exact(
        self, tenant_id: int, exact: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        async with self._write() as conn:
            row = await one(
                conn,
                "SELECT name, user_name_case_exact FROM tenants WHERE id = %s FOR UPDATE",
                (tenant_id,),
            )
            if row is None:
                raise NotFound(f"no tenant with id {tenant_id}")
            if bool(row[1]) != exact:
                users = await every(
                    conn,
                    "SELECT id, user_name, deleted IS NULL FROM users WHERE tenant_id = %s"
                    " ORDER BY seq",
                    (tenant_id,),
                )
                keys = rekeyed(((r[0], r[1], bool(r[2])) for r in users), exact)
                # Two passes: a key may move to one another user held a
                # moment ago, and the unique index checks each row at once.
                await conn.execute(
                    "UPDATE users SET user_name_key = chr(1) || id WHERE tenant_id = %s",
                    (tenant_id,),
                )
                await conn.execute(
                    "UPDATE users u SET user_name_key = r.key"
                    " FROM unnest(%s::text[], %s::text[]) AS r(key, id)"
                    " WHERE u.tenant_id = %s AND u.id = r.id",
                    ([k for k, _ in keys], [i for _, i in keys], tenant_id),
                )
                await conn.execute(
                    "UPDATE tenants SET user_name_case_exact = %s, schema_tag = schema_tag + 1"
                    " WHERE id = %s",
                    (exact, tenant_id),
                )
                await audit.record(
                    conn,
                    tenant_id,
                    actor,
                    "replace",
                    TENANT,
                    row[0],
                    ["userNameCaseExact"],
                    at=self.clock.now(),
                )
            found = await tenant_where(conn, "id", tenant_id)
        assert found is not None  # locked above
        return found

    async def remove_schema_extension(
        self, tenant_id: int, urn: str, *, actor: Actor = CLI_ACTOR
    ) -> SchemaExtension:
        async with self._write() as conn:
            row = await one(
                conn,
                f"DELETE FROM schema_extensions WHERE tenant_id = %s AND urn_fold = %s"
                f" RETURNING {_COLUMNS}",
                (tenant_id, urn.lower()),
            )
            if row is None:
                raise NotFound(f"no extension {urn!r} in this tenant")
            found = extension(row)
            await conn.execute(_BUMP, (tenant_id,))
            await audit.record(
                conn, tenant_id, actor, "delete", SCHEMA, found.urn, at=self.clock.now()
            )
        return found


async def case_exact(conn: Conn, tenant_id: int, *, lock: bool = True) -> bool:
    """Whether the tenant keys userNames as given (store.tenant_schema);
    ``lock``: holding its row ``FOR KEY SHARE`` to the end of the write
    (a read-only transaction cannot)."""
    row = await one(
        conn,
        f"SELECT user_name_case_exact FROM tenants WHERE id = %s{' FOR KEY SHARE' if lock else ''}",
        (tenant_id,),
    )
    return bool(row and row[0])
