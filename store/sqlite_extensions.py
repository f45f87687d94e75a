"""Tenants' extension schemas in SQLite (core.extensions, RFC 7643 §7):
the ``schema_extensions`` table of migration 6, one row per tenant and
case-folded URN. Removing one deletes its row only: the values users and
groups hold under its URN stay in their documents."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import orjson

from scimdock.core.clock import Clock
from scimdock.store import sqlite_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, SchemaExtension
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.sqlite_host import SqliteHost

SCHEMA = "Schema"
_COLUMNS = "urn, resource_type, required, definition, created"


class ExtensionTables(SqliteHost):
    """The host class provides the connection, its lock and :meth:`_write`."""

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    clock: Clock

    def add_schema_extension(
        self,
        tenant_id: int,
        urn: str,
        resource_type: str,
        definition: dict[str, Any],
        *,
        required: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> SchemaExtension:
        with self._write() as conn:
            now = self.clock.now()
            try:
                conn.execute(
                    f"INSERT INTO schema_extensions(tenant_id, urn_fold, {_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        tenant_id,
                        urn.lower(),
                        urn,
                        resource_type,
                        int(required),
                        orjson.dumps(definition).decode(),
                        now,
                    ),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"extension {urn!r} is already registered") from None
            audit.record(conn, tenant_id, actor, "create", SCHEMA, urn, at=now)
        return SchemaExtension(urn, resource_type, required, definition, now)

    def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM schema_extensions WHERE tenant_id = ? ORDER BY seq",
                (tenant_id,),
            ).fetchall()
        return [_extension(r) for r in rows]

    def remove_schema_extension(
        self, tenant_id: int, urn: str, *, actor: Actor = CLI_ACTOR
    ) -> SchemaExtension:
        with self._write() as conn:
            row = conn.execute(
                f"DELETE FROM schema_extensions WHERE tenant_id = ? AND urn_fold = ?"
                f" RETURNING {_COLUMNS}",
                (tenant_id, urn.lower()),
            ).fetchone()
            if row is None:
                raise NotFound(f"no extension {urn!r} in this tenant")
            found = _extension(row)
            audit.record(conn, tenant_id, actor, "delete", SCHEMA, found.urn, at=self.clock.now())
        return found


def _extension(row: tuple[Any, ...]) -> SchemaExtension:
    return SchemaExtension(row[0], row[1], bool(row[2]), orjson.loads(row[3]), row[4])
