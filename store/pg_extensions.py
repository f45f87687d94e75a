"""Tenants' extension schemas in PostgreSQL, as store.sqlite_extensions
keeps them in SQLite (core.extensions, RFC 7643 §7)."""

from __future__ import annotations

from typing import Any

from psycopg import errors
from psycopg.types.json import Jsonb

from scimdock.store import pg_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, SchemaExtension
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.pg_host import PgHost, every, one

SCHEMA = "Schema"
_COLUMNS = "urn, resource_type, required, definition, created"


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
        return [SchemaExtension(r[0], r[1], bool(r[2]), r[3], r[4]) for r in rows]

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
            found = SchemaExtension(row[0], row[1], bool(row[2]), row[3], row[4])
            await audit.record(
                conn, tenant_id, actor, "delete", SCHEMA, found.urn, at=self.clock.now()
            )
        return found
