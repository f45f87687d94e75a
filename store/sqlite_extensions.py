"""What a tenant's resource types are built from, in SQLite: its extension
schemas (core.extensions, RFC 7643 §7; the ``schema_extensions`` table of
migration 7, one row per tenant and case-folded URN) and whether its
userNames are case-exact (migration 8, store.tenant_schema). Removing an
extension deletes its row only: the values users and groups hold under its
URN stay in their documents. Every change moves the tenant's
``schema_tag`` in the same transaction (handlers.extensions keeps built
types by it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import orjson

from scimdock.core.clock import Clock
from scimdock.store import sqlite_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, SchemaExtension, Tenant, TenantSchema
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.sqlite_host import SqliteHost
from scimdock.store.tenant_schema import COLUMNS as _COLUMNS
from scimdock.store.tenant_schema import SCHEMA_OF, extension, rekeyed, schema_of

SCHEMA, TENANT = "Schema", "Tenant"
_BUMP = "UPDATE tenants SET schema_tag = schema_tag + 1 WHERE id = ?"
_SCHEMA_OF = SCHEMA_OF.format(mark="?")


class ExtensionTables(SqliteHost):
    """The host class provides the connection, its lock and :meth:`_write`."""

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    get_tenant_by_id: Callable[[int], Tenant | None]
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
            conn.execute(_BUMP, (tenant_id,))
            audit.record(conn, tenant_id, actor, "create", SCHEMA, urn, at=now)
        return SchemaExtension(urn, resource_type, required, definition, now)

    def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM schema_extensions WHERE tenant_id = ? ORDER BY seq",
                (tenant_id,),
            ).fetchall()
        return [extension(r) for r in rows]

    def tenant_schema(self, tenant_id: int) -> TenantSchema:
        with self._lock:
            rows = self._conn.execute(_SCHEMA_OF, (tenant_id,)).fetchall()
        return schema_of(tenant_id, rows)

    def set_user_name_case_exact(
        self, tenant_id: int, exact: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        with self._write() as conn:
            row = conn.execute(
                "SELECT name, user_name_case_exact FROM tenants WHERE id = ?", (tenant_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no tenant with id {tenant_id}")
            if bool(row[1]) != exact:
                users = conn.execute(
                    "SELECT id, user_name, deleted IS NULL FROM users WHERE tenant_id = ?"
                    " ORDER BY seq",
                    (tenant_id,),
                ).fetchall()
                keys = rekeyed(((r[0], r[1], bool(r[2])) for r in users), exact)
                # Two passes: a key may move to one another user held a
                # moment ago, and the unique index checks each row at once.
                conn.execute(
                    "UPDATE users SET user_name_key = char(1) || id WHERE tenant_id = ?",
                    (tenant_id,),
                )
                conn.executemany(
                    "UPDATE users SET user_name_key = ? WHERE tenant_id = ? AND id = ?",
                    [(key, tenant_id, user_id) for key, user_id in keys],
                )
                conn.execute(
                    "UPDATE tenants SET user_name_case_exact = ?, schema_tag = schema_tag + 1"
                    " WHERE id = ?",
                    (int(exact), tenant_id),
                )
                audit.record(
                    conn,
                    tenant_id,
                    actor,
                    "replace",
                    TENANT,
                    row[0],
                    ["userNameCaseExact"],
                    at=self.clock.now(),
                )
            found = self.get_tenant_by_id(tenant_id)
        assert found is not None  # read in the transaction that found it
        return found

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
            found = extension(row)
            conn.execute(_BUMP, (tenant_id,))
            audit.record(conn, tenant_id, actor, "delete", SCHEMA, found.urn, at=self.clock.now())
        return found


def case_exact(conn: sqlite3.Connection, tenant_id: int) -> bool:
    """Whether the tenant keys userNames as given (store.tenant_schema), as
    ``conn`` sees it: inside a write, as of that write (one writer at a time,
    so no switch can come between this read and the row it keys)."""
    row = conn.execute(
        "SELECT user_name_case_exact FROM tenants WHERE id = ?", (tenant_id,)
    ).fetchone()
    return bool(row and row[0])
