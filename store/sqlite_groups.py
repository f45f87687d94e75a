"""Groups in SQLite (RFC 7643 §4.2): the group half of
:class:`store.sqlite.SqliteStore`.

A group row is shaped like a user row: indexed ``display_name_fold`` (its
partial unique index over live rows makes ``displayName`` unique per
tenant, case-insensitively: 409 uniqueness), ``external_id`` and
timestamps beside ``doc``, the JSON of every attribute but ``members``.
Members are rows of ``members`` (:mod:`store.sqlite_members`), read only
when the caller asks, for a whole page at once.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import orjson

from scimdock.core import audit as names
from scimdock.core.clock import Clock
from scimdock.core.identity import fold
from scimdock.core.membership import GroupChange, Member
from scimdock.core.query import ListQuery
from scimdock.core.schema import GROUP
from scimdock.store import sqlite_audit as audit
from scimdock.store import sqlite_members as rows_of
from scimdock.store.base import CLI_ACTOR, Actor, GroupRecord, Membership
from scimdock.store.errors import Conflict, NotFound, check_version
from scimdock.store.sqldialect import SQLITE
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlfold import folded_json
from scimdock.store.sqlite_host import SqliteHost
from scimdock.store.sqlsort import keyset_sql, order_clause, position

_COLUMNS = "seq, id, doc, created, last_modified, version"
_SELECT = f"SELECT {_COLUMNS} FROM groups"
GROUP_TYPE = "Group"


class GroupTables(SqliteHost):
    """Group methods of the SQLite store; the host class provides the
    connection, its lock and :meth:`_write` (a ``BEGIN IMMEDIATE``
    transaction that rolls back on any error)."""

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    clock: Clock

    def create_group(
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
        with self._write() as conn:
            try:
                cur = conn.execute(
                    "INSERT INTO groups(tenant_id, id, display_name, display_name_fold,"
                    " external_id, doc, doc_fold, created, last_modified, version)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    (tenant_id, group_id, *_columns(doc), now, now),
                )
            except sqlite3.IntegrityError as exc:
                if "display_name_fold" not in str(exc):
                    raise  # not the displayName index: a bug, not a client's conflict
                raise _name_taken(doc) from None
            seq = int(cur.lastrowid or 0)
            rows_of.add(conn, tenant_id, seq, group_id, members)
            audit.record(
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
            return self._with_members(tenant_id, [(seq, record)], with_members)[0]

    def get_group(
        self, tenant_id: int, group_id: str, *, with_members: bool = False
    ) -> GroupRecord:
        with self._lock:
            seq, record = self._row(tenant_id, group_id)
            return self._with_members(tenant_id, [(seq, record)], with_members)[0]

    def list_groups(
        self, tenant_id: int, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[GroupRecord]]:
        where = "tenant_id = ? AND deleted IS NULL"
        params: list[object] = [tenant_id]
        if query.filter is not None:
            sql, args = compile_filter(
                query.filter, query.resource_type or GROUP, dialect=SQLITE, tenant_id=tenant_id
            )
            where += f" AND ({sql})"
            params.extend(args)
        with self._lock:
            (total,) = self._conn.execute(
                f"SELECT count(*) FROM groups WHERE {where}", params
            ).fetchone()
            if query.count <= 0 or query.offset >= total:
                return total, []
            rt = query.resource_type or GROUP
            order = order_clause(query.sort_by, rt, descending=query.descending, dialect=SQLITE)
            if query.keyset:  # RFC 9865: after a position, not an offset
                columns, after, args = keyset_sql(query, rt, dialect=SQLITE)
                page = self._conn.execute(
                    f"SELECT {_COLUMNS}, {columns} FROM groups WHERE {where}{after} ORDER BY {order} LIMIT ?",
                    [*params, *args, query.count],
                ).fetchall()
                records = self._with_members(tenant_id, [_record(r) for r in page], with_members)
                return total, [
                    replace(g, position=position(r)) for g, r in zip(records, page, strict=True)
                ]
            page = self._conn.execute(
                f"{_SELECT} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, query.count, query.offset],
            ).fetchall()
            return total, self._with_members(tenant_id, [_record(r) for r in page], with_members)

    def update_group(
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
        with self._write() as conn:
            seq, current = self._row(tenant_id, group_id)
            check_version(if_match, current.version)
            planned = change(current)
            before = conn.total_changes
            rows_of.apply(conn, tenant_id, seq, group_id, planned.actions)
            members_changed = conn.total_changes != before
            if planned.doc == current.doc and not members_changed:
                # Nothing changed (members already there, absent ones removed):
                # no write, same version (RFC 7644 §3.14). Entra ID re-sends
                # unchanged membership every cycle.
                return self._with_members(tenant_id, [(seq, current)], with_members)[0]
            now = self.clock.now()
            version = current.version + 1
            try:
                conn.execute(
                    "UPDATE groups SET display_name = ?, display_name_fold = ?, external_id = ?,"
                    " doc = ?, doc_fold = ?, last_modified = ?, version = ? WHERE seq = ?",
                    (*_columns(planned.doc), now, version, seq),
                )
            except sqlite3.IntegrityError as exc:
                if "display_name_fold" not in str(exc):
                    raise  # not the displayName index: a bug, not a client's conflict
                raise _name_taken(planned.doc) from None
            audit.record(
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
            return self._with_members(tenant_id, [(seq, record)], with_members)[0]

    def delete_group(
        self,
        tenant_id: int,
        group_id: str,
        if_match: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> None:
        with self._write() as conn:
            seq, current = self._row(tenant_id, group_id)
            check_version(if_match, current.version)
            now = self.clock.now()
            conn.execute("UPDATE groups SET deleted = ? WHERE seq = ?", (now, seq))
            rows_of.clear(conn, tenant_id, seq)
            rows_of.drop_resource(conn, tenant_id, group_id, "Group", now)
            audit.record(conn, tenant_id, actor, "delete", GROUP_TYPE, group_id, at=now)

    def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        with self._lock:
            return rows_of.user_groups(self._conn, tenant_id, user_ids)

    def _row(self, tenant_id: int, group_id: str) -> tuple[int, GroupRecord]:
        row = self._conn.execute(
            f"{_SELECT} WHERE tenant_id = ? AND id = ? AND deleted IS NULL", (tenant_id, group_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"Group {group_id} not found")
        return _record(row)

    def _with_members(
        self, tenant_id: int, rows: list[tuple[int, GroupRecord]], wanted: bool
    ) -> list[GroupRecord]:
        if not wanted:
            return [record for _seq, record in rows]
        found = rows_of.read(self._conn, tenant_id, [seq for seq, _record in rows])
        return [
            GroupRecord(r.id, r.doc, r.created, r.last_modified, r.version, tuple(found[seq]))
            for seq, r in rows
        ]


def _columns(doc: dict[str, Any]) -> tuple[object, ...]:
    """The indexed columns derived from a group document, then the document
    and its folded form (store.sqlfold)."""
    name = doc["displayName"]
    return (
        name,
        fold(name),
        doc.get("externalId"),
        orjson.dumps(doc).decode(),
        folded_json(doc, GROUP),
    )


def _record(row: tuple[Any, ...]) -> tuple[int, GroupRecord]:
    return row[0], GroupRecord(row[1], orjson.loads(row[2]), row[3], row[4], row[5])


def _name_taken(doc: dict[str, Any]) -> Conflict:
    return Conflict(f"displayName {doc['displayName']!r} is already taken in this tenant")
