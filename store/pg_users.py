"""Users in PostgreSQL (RFC 7643 §4.1), tombstones, purge and the sign-in
lookup, as :mod:`store.sqlite_engine` and :mod:`store.sqlite_admin`.

``userName`` is unique per tenant by the partial unique index over the
key of each live row's name (store.tenant_schema: Python-folded unless the
tenant compares names as given): of two instances creating one name at once, the second waits on the
index entry and then fails, a :class:`Conflict`. An update locks the row
(``FOR UPDATE``), so concurrent updates of one user apply one after the
other. A purge DELETEs the row; PostgreSQL reclaims the space at its next
vacuum.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from psycopg import errors
from psycopg.types.json import Jsonb

from scimdock.core import clock
from scimdock.core.audit import changed
from scimdock.core.query import ListQuery
from scimdock.core.schema import USER
from scimdock.store import pg_audit as audit
from scimdock.store import pg_members
from scimdock.store import sql_extensions as extensions
from scimdock.store.base import CLI_ACTOR, Actor, AuditEntry, Tombstone, UserRecord
from scimdock.store.errors import Conflict, NotFound, check_version
from scimdock.store.pg_host import Conn, PgHost, drive, every, one
from scimdock.store.sqldialect import POSTGRES
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlfold import folded_doc
from scimdock.store.sqlsort import keyset_sql, order_clause, position
from scimdock.store.tenant_schema import check_batch, user_name_key

USER_TYPE = "User"
_LIVE_COLUMNS = "id, doc, created, last_modified, version"
_LIVE = f"SELECT {_LIVE_COLUMNS} FROM users"
_DEAD = "SELECT id, user_name, deleted, doc FROM users"
_INSERT = (
    "INSERT INTO users(tenant_id, id, user_name, user_name_key, external_id, active, doc,"
    " doc_fold, created, last_modified, version)"
)


class PgUserTables(PgHost):
    async def create_user(
        self, tenant_id: int, doc: dict[str, Any], *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        user_id = str(uuid.uuid4())
        now = self.clock.now()
        async with self._write() as conn:
            exact = await case_exact(conn, tenant_id)
            try:
                await conn.execute(
                    _INSERT + " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)",
                    (tenant_id, user_id, *_columns(doc, exact), now, now),
                )
            except errors.UniqueViolation:
                raise _user_name_taken(doc) from None
            await audit.record(
                conn, tenant_id, actor, "create", USER_TYPE, user_id, changed(None, doc), at=now
            )
        return UserRecord(user_id, doc, now, now, 1)

    async def get_user(self, tenant_id: int, user_id: str) -> UserRecord:
        async with self._read() as conn:
            return await _live(conn, tenant_id, user_id)

    async def update_user(
        self,
        tenant_id: int,
        user_id: str,
        change: Callable[[UserRecord], dict[str, Any]],
        if_match: str | None = None,
        *,
        operation: str = "replace",
        actor: Actor = CLI_ACTOR,
    ) -> UserRecord:
        async with self._write() as conn:
            # The tenant's row before the user's: the order a userName switch
            # takes them in (store.sql_extensions), so neither waits on the other.
            exact = await case_exact(conn, tenant_id)
            current = await _live(conn, tenant_id, user_id, lock=True)
            check_version(if_match, current.version)
            doc = change(current)
            if doc == current.doc:
                return current  # nothing changed: no write, same version (RFC 7644 §3.14)
            now = self.clock.now()
            version = current.version + 1
            try:
                await conn.execute(
                    "UPDATE users SET user_name = %s, user_name_key = %s, external_id = %s,"
                    " active = %s, doc = %s, doc_fold = %s, last_modified = %s, version = %s"
                    " WHERE tenant_id = %s AND id = %s",
                    (*_columns(doc, exact), now, version, tenant_id, user_id),
                )
            except errors.UniqueViolation:
                raise _user_name_taken(doc) from None
            await audit.record(
                conn,
                tenant_id,
                actor,
                operation,
                USER_TYPE,
                user_id,
                changed(current.doc, doc),
                at=now,
            )
        return UserRecord(user_id, doc, current.created, now, version)

    async def delete_user(
        self, tenant_id: int, user_id: str, if_match: str | None = None, *, actor: Actor = CLI_ACTOR
    ) -> None:
        async with self._write() as conn:
            current = await _live(conn, tenant_id, user_id, lock=True)
            check_version(if_match, current.version)
            now = self.clock.now()
            await conn.execute(
                "UPDATE users SET deleted = %s WHERE tenant_id = %s AND id = %s",
                (now, tenant_id, user_id),
            )
            await pg_members.drop_resource(conn, tenant_id, user_id, "User", now)
            await audit.record(conn, tenant_id, actor, "delete", USER_TYPE, user_id, at=now)

    async def list_users(self, tenant_id: int, query: ListQuery) -> tuple[int, list[UserRecord]]:
        where = "tenant_id = %s AND deleted IS NULL"
        params: list[object] = [tenant_id]
        if query.filter is not None:
            sql, args = compile_filter(
                query.filter, query.resource_type or USER, dialect=POSTGRES, tenant_id=tenant_id
            )
            where += f" AND ({sql})"
            params.extend(args)
        async with self._read(budget=True) as conn:
            row = await one(conn, f"SELECT count(*) FROM users WHERE {where}", params)
            total = int(row[0]) if row else 0
            if query.count <= 0 or query.offset >= total:
                return total, []
            rt = query.resource_type or USER
            order = order_clause(query.sort_by, rt, descending=query.descending, dialect=POSTGRES)
            if query.keyset:  # RFC 9865: after a position, not an offset
                columns, after, args = keyset_sql(query, rt, dialect=POSTGRES)
                rows = await every(
                    conn,
                    f"SELECT {_LIVE_COLUMNS}, {columns} FROM users WHERE {where}{after}"
                    f" ORDER BY {order} LIMIT %s",
                    [*params, *args, query.count],
                )
                return total, [replace(_user(r), position=position(r)) for r in rows]
            rows = await every(
                conn,
                f"{_LIVE} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, query.count, query.offset],
            )
        return total, [_user(r) for r in rows]

    async def create_users(
        self, tenant_id: int, docs: list[dict[str, Any]], *, actor: Actor = CLI_ACTOR
    ) -> int:
        """One transaction, one INSERT of every row and one of every audit line."""
        now = self.clock.now()
        if not docs:
            return 0
        async with self._write() as conn:
            rows = _rows(docs, await case_exact(conn, tenant_id))
            try:
                await conn.execute(
                    _INSERT + " SELECT %s, r.*, %s, %s, 1 FROM unnest(%s::text[], %s::text[],"
                    " %s::text[], %s::text[], %s::boolean[], %s::jsonb[], %s::jsonb[])"
                    " AS r(id, user_name, user_name_key, external_id, active, doc, doc_fold)",
                    (tenant_id, now, now, *(list(column) for column in zip(*rows, strict=True))),
                )
            except errors.UniqueViolation:
                raise Conflict("a userName of the batch is already taken in this tenant") from None
            await audit.record_many(
                conn,
                tenant_id,
                actor,
                "create",
                USER_TYPE,
                [(row[0], changed(None, doc)) for row, doc in zip(rows, docs, strict=True)],
                at=now,
            )
        return len(rows)

    # --- tombstones ---------------------------------------------------
    async def list_tombstones(self, tenant_id: int) -> list[Tombstone]:
        async with self._read() as conn:
            rows = await every(
                conn,
                f"{_DEAD} WHERE tenant_id = %s AND deleted IS NOT NULL ORDER BY deleted, seq",
                (tenant_id,),
            )
        return [_tombstone(r) for r in rows]

    async def restore_user(
        self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        """Group memberships ended at delete time and are not restored."""
        async with self._write() as conn:
            await case_exact(conn, tenant_id)  # a userName switch waits, or goes first
            row = await one(
                conn,
                f"{_LIVE} WHERE tenant_id = %s AND id = %s AND deleted IS NOT NULL FOR UPDATE",
                (tenant_id, user_id),
            )
            if row is None:
                raise NotFound(f"No deleted User {user_id} in this tenant")
            now, version = self.clock.now(), int(row[4]) + 1
            try:
                await conn.execute(
                    "UPDATE users SET deleted = NULL, last_modified = %s, version = %s"
                    " WHERE tenant_id = %s AND id = %s",
                    (now, version, tenant_id, user_id),
                )
            except errors.UniqueViolation:
                raise Conflict(
                    f"userName {row[1]['userName']!r} has been taken by another user"
                    " since this one was deleted"
                ) from None
            await audit.record(conn, tenant_id, actor, "restore", USER_TYPE, user_id, at=now)
        return UserRecord(row[0], row[1], row[2], now, version)

    async def purge_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> None:
        if not await self._purge(tenant_id, [user_id], actor):
            raise NotFound(f"No deleted User {user_id} in this tenant")

    async def purge_tombstones(
        self, tenant_id: int, older_than: str, *, actor: Actor = CLI_ACTOR
    ) -> list[str]:
        before = clock.parse(older_than)
        async with self._read() as conn:
            ids = [
                r[0]
                for r in await every(
                    conn,
                    "SELECT id FROM users WHERE tenant_id = %s AND deleted IS NOT NULL"
                    " AND deleted < %s ORDER BY deleted, seq",
                    (tenant_id, before),
                )
            ]
        return await self._purge(tenant_id, ids, actor)

    async def _purge(self, tenant_id: int, ids: list[str], actor: Actor) -> list[str]:
        """DELETE these tombstones (live users are left alone); the ids purged."""
        if not ids:
            return []
        async with self._write() as conn:
            now = self.clock.now()
            purged = [
                r[0]
                for r in await every(
                    conn,
                    "DELETE FROM users WHERE tenant_id = %s AND id = ANY(%s)"
                    " AND deleted IS NOT NULL RETURNING id",
                    (tenant_id, ids),
                )
            ]
            purged.sort(key=ids.index)
            await audit.record_many(
                conn, tenant_id, actor, "purge", USER_TYPE, [(i, ()) for i in purged], at=now
            )
        return purged

    async def lookup_user(
        self, tenant_id: int, *, user_id: str | None = None, user_name: str | None = None
    ) -> UserRecord | Tombstone | None:
        if (user_id is None) == (user_name is None):
            raise TypeError("lookup_user needs exactly one of user_id and user_name")
        async with self._read() as conn:
            column, value = (
                ("id", user_id)
                if user_name is None
                else (
                    "user_name_key",
                    user_name_key(str(user_name), await case_exact(conn, tenant_id, lock=False)),
                )
            )
            live = await one(
                conn,
                f"{_LIVE} WHERE tenant_id = %s AND {column} = %s AND deleted IS NULL",
                (tenant_id, value),
            )
            if live is not None:
                return _user(live)
            dead = await one(
                conn,
                f"{_DEAD} WHERE tenant_id = %s AND deleted IS NOT NULL AND {column} = %s"
                " ORDER BY deleted DESC, seq DESC LIMIT 1",
                (tenant_id, value),
            )
        return _tombstone(dead) if dead else None

    async def audit_log(
        self,
        tenant_id: int,
        *,
        since: str | None = None,
        until: str | None = None,
        offset: int = 0,
        count: int = 100,
    ) -> tuple[int, list[AuditEntry]]:
        start = None if since is None else clock.parse(since)
        end = None if until is None else clock.parse(until)
        async with self._read() as conn:
            return await audit.read(conn, tenant_id, start, end, offset, count)


async def _live(conn: Conn, tenant_id: int, user_id: str, *, lock: bool = False) -> UserRecord:
    row = await one(
        conn,
        f"{_LIVE} WHERE tenant_id = %s AND id = %s AND deleted IS NULL"
        f"{' FOR UPDATE' if lock else ''}",
        (tenant_id, user_id),
    )
    if row is None:
        raise NotFound(f"User {user_id} not found")
    return _user(row)


async def case_exact(conn: Conn, tenant_id: int, *, lock: bool = True) -> bool:
    """Whether the tenant keys userNames as given (store.sql_extensions)."""
    return await drive(conn, extensions.case_exact(POSTGRES, tenant_id, lock=lock))


def _rows(docs: list[dict[str, Any]], exact: bool) -> list[tuple[Any, ...]]:
    """The rows of :meth:`PgUserTables.create_users`; a userName repeated
    in the batch is refused here."""
    check_batch(docs, exact)
    return [(str(uuid.uuid4()), *_columns(doc, exact)) for doc in docs]


def _columns(
    doc: dict[str, Any], exact: bool
) -> tuple[str, str, str | None, bool | None, Jsonb, Jsonb]:
    """The indexed columns derived from a user document (the userName's
    key as the tenant compares it: ``exact``, store.tenant_schema), then
    the document and its folded form (store.sqlfold: what filters and
    sorts compare)."""
    user_name = str(doc["userName"])
    active = doc.get("active")
    external_id = doc.get("externalId")
    return (
        user_name,
        user_name_key(user_name, exact),
        None if external_id is None else str(external_id),
        None if active is None else bool(active),
        Jsonb(doc),
        Jsonb(folded_doc(doc, USER)),
    )


def _user(row: tuple[Any, ...]) -> UserRecord:
    return UserRecord(row[0], row[1], row[2], row[3], row[4])


def _tombstone(row: tuple[Any, ...]) -> Tombstone:
    return Tombstone(row[0], row[1], row[2], row[3])


def _user_name_taken(doc: dict[str, Any]) -> Conflict:
    return Conflict(f"userName {doc['userName']!r} is already taken in this tenant")
