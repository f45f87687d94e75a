"""Groups in PostgreSQL (RFC 7643 §4.2), as :mod:`store.sqlite_groups`:
``displayName`` unique per tenant case-insensitively by a partial unique
index, ``doc`` without ``members``, whose rows are :mod:`store.pg_members`.
An update locks the group row (``FOR UPDATE``), so concurrent member
additions to one group, from any instance, apply one after the other and
all land.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from psycopg import errors
from psycopg.types.json import Jsonb

from scimdock.core import audit as names
from scimdock.core.identity import fold
from scimdock.core.membership import GroupChange, Member
from scimdock.core.query import ListQuery
from scimdock.core.schema import GROUP
from scimdock.store import pg_audit as audit
from scimdock.store import pg_members as rows_of
from scimdock.store.base import CLI_ACTOR, Actor, GroupRecord, Membership
from scimdock.store.errors import Conflict, NotFound, check_version
from scimdock.store.pg_host import Conn, PgHost, every, one
from scimdock.store.sqldialect import POSTGRES
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlfold import folded_doc
from scimdock.store.sqlsort import keyset_sql, order_clause, position

_COLUMNS = "seq, id, doc, created, last_modified, version"
_SELECT = f"SELECT {_COLUMNS} FROM groups"
GROUP_TYPE = "Group"


class PgGroupTables(PgHost):
    async def create_group(
        self,
        tenant_id: int,
        doc: dict[str, Any],
        members: tuple[Member, ...] = (),
        *,
        with_members: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> GroupRecord:
        group_id = str(uuid.uuid4())
        now = self.clock.now()
        async with self._write() as conn:
            try:
                row = await one(
                    conn,
                    "INSERT INTO groups(tenant_id, id, display_name, display_name_fold,"
                    " external_id, doc, doc_fold, created, last_modified, version)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 1) RETURNING seq",
                    (tenant_id, group_id, *_columns(doc), now, now),
                )
            except errors.UniqueViolation:
                raise _name_taken(doc) from None
            assert row is not None
            seq = int(row[0])
            await rows_of.add(conn, tenant_id, seq, group_id, members)
            await audit.record(
                conn,
                tenant_id,
                actor,
                "create",
                GROUP_TYPE,
                group_id,
                names.with_members(names.changed(None, doc), bool(members)),
                at=now,
            )
            record = GroupRecord(group_id, doc, now, now, 1)
            return (await _with_members(conn, tenant_id, [(seq, record)], with_members))[0]

    async def get_group(
        self, tenant_id: int, group_id: str, *, with_members: bool = False
    ) -> GroupRecord:
        async with self._read() as conn:
            seq, record = await _row(conn, tenant_id, group_id)
            return (await _with_members(conn, tenant_id, [(seq, record)], with_members))[0]

    async def list_groups(
        self, tenant_id: int, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[GroupRecord]]:
        where = "tenant_id = %s AND deleted IS NULL"
        params: list[object] = [tenant_id]
        if query.filter is not None:
            sql, args = compile_filter(
                query.filter, query.resource_type or GROUP, dialect=POSTGRES, tenant_id=tenant_id
            )
            where += f" AND ({sql})"
            params.extend(args)
        async with self._read(budget=True) as conn:
            row = await one(conn, f"SELECT count(*) FROM groups WHERE {where}", params)
            total = int(row[0]) if row else 0
            if query.count <= 0 or query.offset >= total:
                return total, []
            rt = query.resource_type or GROUP
            order = order_clause(query.sort_by, rt, descending=query.descending, dialect=POSTGRES)
            if query.keyset:  # RFC 9865: after a position, not an offset
                columns, after, args = keyset_sql(query, rt, dialect=POSTGRES)
                page = await every(
                    conn,
                    f"SELECT {_COLUMNS}, {columns} FROM groups WHERE {where}{after}"
                    f" ORDER BY {order} LIMIT %s",
                    [*params, *args, query.count],
                )
                records = await _with_members(
                    conn, tenant_id, [_record(r) for r in page], with_members
                )
                return total, [
                    replace(g, position=position(r)) for g, r in zip(records, page, strict=True)
                ]
            page = await every(
                conn,
                f"{_SELECT} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, query.count, query.offset],
            )
            return total, await _with_members(
                conn, tenant_id, [_record(r) for r in page], with_members
            )

    async def update_group(
        self,
        tenant_id: int,
        group_id: str,
        change: Callable[[GroupRecord], GroupChange],
        if_match: str | None = None,
        *,
        with_members: bool = False,
        operation: str = "replace",
        actor: Actor = CLI_ACTOR,
    ) -> GroupRecord:
        async with self._write() as conn:
            seq, current = await _row(conn, tenant_id, group_id, lock=True)
            check_version(if_match, current.version)
            planned = change(current)
            members_changed = bool(
                await rows_of.apply(conn, tenant_id, seq, group_id, planned.actions)
            )
            if planned.doc == current.doc and not members_changed:
                # Nothing changed: no write, same version (RFC 7644 §3.14).
                return (await _with_members(conn, tenant_id, [(seq, current)], with_members))[0]
            now = self.clock.now()
            version = current.version + 1
            try:
                await conn.execute(
                    "UPDATE groups SET display_name = %s, display_name_fold = %s,"
                    " external_id = %s, doc = %s, doc_fold = %s, last_modified = %s, version = %s"
                    " WHERE tenant_id = %s AND seq = %s",
                    (*_columns(planned.doc), now, version, tenant_id, seq),
                )
            except errors.UniqueViolation:
                raise _name_taken(planned.doc) from None
            await audit.record(
                conn,
                tenant_id,
                actor,
                operation,
                GROUP_TYPE,
                group_id,
                names.with_members(names.changed(current.doc, planned.doc), members_changed),
                at=now,
            )
            record = GroupRecord(group_id, planned.doc, current.created, now, version)
            return (await _with_members(conn, tenant_id, [(seq, record)], with_members))[0]

    async def delete_group(
        self,
        tenant_id: int,
        group_id: str,
        if_match: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> None:
        async with self._write() as conn:
            seq, current = await _row(conn, tenant_id, group_id, lock=True)
            check_version(if_match, current.version)
            now = self.clock.now()
            await conn.execute(
                "UPDATE groups SET deleted = %s WHERE tenant_id = %s AND seq = %s",
                (now, tenant_id, seq),
            )
            await rows_of.clear(conn, tenant_id, seq)
            await rows_of.drop_resource(conn, tenant_id, group_id, "Group", now)
            await audit.record(conn, tenant_id, actor, "delete", GROUP_TYPE, group_id, at=now)

    async def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        async with self._read() as conn:
            return await rows_of.user_groups(conn, tenant_id, user_ids)


async def _row(
    conn: Conn, tenant_id: int, group_id: str, *, lock: bool = False
) -> tuple[int, GroupRecord]:
    row = await one(
        conn,
        f"{_SELECT} WHERE tenant_id = %s AND id = %s AND deleted IS NULL"
        f"{' FOR UPDATE' if lock else ''}",
        (tenant_id, group_id),
    )
    if row is None:
        raise NotFound(f"Group {group_id} not found")
    return _record(row)


async def _with_members(
    conn: Conn, tenant_id: int, rows: list[tuple[int, GroupRecord]], wanted: bool
) -> list[GroupRecord]:
    if not wanted:
        return [record for _seq, record in rows]
    found = await rows_of.read(conn, tenant_id, [seq for seq, _record in rows])
    return [
        GroupRecord(r.id, r.doc, r.created, r.last_modified, r.version, tuple(found[seq]))
        for seq, r in rows
    ]


def _columns(doc: dict[str, Any]) -> tuple[object, ...]:
    """The indexed columns of a group document, the document and its folded
    form (store.sqlfold: what filters and sorts compare)."""
    name = doc["displayName"]
    return name, fold(name), doc.get("externalId"), Jsonb(doc), Jsonb(folded_doc(doc, GROUP))


def _record(row: tuple[Any, ...]) -> tuple[int, GroupRecord]:
    return int(row[0]), GroupRecord(row[1], row[2], row[3], row[4], row[5])


def _name_taken(doc: dict[str, Any]) -> Conflict:
    return Conflict(f"displayName {doc['displayName']!r} is already taken in this tenant")
