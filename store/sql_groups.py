"""Groups (RFC 7643 §4.2), written once for every backend as transaction
scripts (store.sqlscript).

A group row is shaped like a user row: indexed ``display_name_fold`` (its
partial unique index over live rows makes ``displayName`` unique per
tenant, case-insensitively: 409 uniqueness), ``external_id`` and
timestamps beside ``doc``, the JSON of every attribute but ``members``.
Members are rows of ``members`` (store.sql_members), read only when the
caller asks, for a whole page at once. A change locks the group's row
first where the backend locks rows, so concurrent member additions to one
group all land.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from scimdock.core import audit as names
from scimdock.core.identity import fold
from scimdock.core.membership import GroupChange, Member
from scimdock.core.query import ListQuery
from scimdock.core.schema import GROUP
from scimdock.store import sql_audit as audit
from scimdock.store import sql_members as members_of
from scimdock.store.errors import Conflict, NotFound, check_version
from scimdock.store.records import Actor, GroupRecord, Stamp, stamped
from scimdock.store.sql_pages import page
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlfold import folded_json
from scimdock.store.sqlscript import Script, Violation, alone, meaning, one, run

_COLUMNS = "seq, id, doc, created, last_modified, version"
_SELECT = f"SELECT {_COLUMNS} FROM groups"
GROUP_TYPE = "Group"
#: What an update rewrites (:func:`store.sql_audit.rewritten`).
_ROW = ("groups", "display_name display_name_fold external_id", "seq")
Seated = tuple[int, GroupRecord]  # a group and its row's ``seq``


def create(
    d: Dialect,
    tenant_id: int,
    doc: dict[str, Any],
    members: tuple[Member, ...],
    with_members: bool,
    actor: Actor,
    now: str,
    given: Stamp | None = None,
) -> Script[GroupRecord]:
    group_id, created, modified, version = stamped(given, now)
    insert = (
        "INSERT INTO groups(tenant_id, id, display_name, display_name_fold, external_id,"
        f" doc, doc_fold, created, last_modified, version)"
        f" VALUES (?, ?, ?, ?, ?, {d.json_in}, {d.json_in}, ?, ?, ?)"
    )
    params = (tenant_id, group_id, *_columns(doc), created, modified, version)
    if d.log_numbers and not members and given is None:
        # PostgreSQL: the row and its audit line in one statement.
        named = names.changed(None, doc)
        source = f"{insert} ON CONFLICT DO NOTHING RETURNING seq"
        line = audit.Line(tenant_id, actor, "create", GROUP_TYPE, group_id, named, now)
        if not (
            yield alone(*audit.with_line(source, params, line))
        ):  # a live group of the tenant has the name
            raise _taken(doc)
        return GroupRecord(group_id, doc, created, modified, version, () if with_members else None)
    try:
        row = yield one(f"{insert} RETURNING seq", params)
    except Violation as refused:
        taken = _taken(doc) if given is None or given[0] is None else _id_taken(doc, group_id)
        raise meaning(refused, unique=taken) from None
    seq = int(row[0])
    yield from members_of.add(d, tenant_id, seq, group_id, members)
    named = names.with_members(names.changed(None, doc), bool(members))
    yield from audit.record(d, tenant_id, actor, "create", GROUP_TYPE, group_id, named, at=now)
    if not members:  # a new group without members: nothing to read back
        return GroupRecord(group_id, doc, created, modified, version, () if with_members else None)
    record = GroupRecord(group_id, doc, created, modified, version)
    return (yield from _with_members(d, tenant_id, [(seq, record)], with_members))[0]


def get(d: Dialect, tenant_id: int, group_id: str, with_members: bool) -> Script[GroupRecord]:
    seated = yield from _row(d, tenant_id, group_id)
    return (yield from _with_members(d, tenant_id, [seated], with_members))[0]


def listed(
    d: Dialect, tenant_id: int, query: ListQuery, with_members: bool
) -> Script[tuple[int, list[GroupRecord]]]:
    """``(totalResults, page)``; members of the whole page in one read."""
    total, found, at = yield from page(d, "groups", _COLUMNS, GROUP, tenant_id, query)
    seated = [_record(d, r, p) for r, p in zip(found, at, strict=True)]
    return total, (yield from _with_members(d, tenant_id, seated, with_members))


def update(
    d: Dialect,
    tenant_id: int,
    group_id: str,
    change: Callable[[GroupRecord], GroupChange],
    if_match: str | None,
    with_members: bool,
    operation: str,
    actor: Actor,
    clock: Callable[[], str],
) -> Script[GroupRecord]:
    seq, current = yield from _row(d, tenant_id, group_id, lock=True)
    check_version(if_match, current.version)
    planned = change(current)
    members_changed = bool(
        (yield from members_of.apply(d, tenant_id, seq, group_id, planned.actions))
    )
    if planned.doc == current.doc and not members_changed:
        # Nothing changed (members already there, absent ones removed): no
        # write, same version (RFC 7644 §3.14). Entra ID re-sends unchanged
        # membership every cycle.
        return (yield from _with_members(d, tenant_id, [(seq, current)], with_members))[0]
    now, version = clock(), current.version + 1
    columns = _columns(planned.doc)
    # A name the row keeps cannot break the unique index (the row is locked
    # and found): the update needs no answer and goes with the commit.
    kept = columns[1] == fold(current.doc["displayName"])
    named = names.with_members(names.changed(current.doc, planned.doc), members_changed)
    line = audit.Line(tenant_id, actor, operation, GROUP_TYPE, group_id, named, now)
    params = (*columns, now, version, tenant_id, seq)
    yield from audit.rewritten(d, kept, _ROW, params, line, _taken(planned.doc))
    record = GroupRecord(group_id, planned.doc, current.created, now, version)
    return (yield from _with_members(d, tenant_id, [(seq, record)], with_members))[0]


def delete(
    d: Dialect, tenant_id: int, group_id: str, if_match: str | None, actor: Actor, now: str
) -> Script[None]:
    """Hide the group, keep its row, drop its memberships both ways."""
    seq, current = yield from _row(d, tenant_id, group_id, lock=True)
    check_version(if_match, current.version)
    yield run(
        "UPDATE groups SET deleted = ? WHERE tenant_id = ? AND seq = ?", (now, tenant_id, seq)
    )
    yield from members_of.clear(d, tenant_id, seq)
    yield from members_of.drop_resource(d, tenant_id, group_id, GROUP_TYPE, now)
    yield from audit.record(d, tenant_id, actor, "delete", GROUP_TYPE, group_id, at=now)


def _row(d: Dialect, tenant_id: int, group_id: str, *, lock: bool = False) -> Script[Seated]:
    row = yield one(
        f"{_SELECT} WHERE tenant_id = ? AND id = ? AND deleted IS NULL"
        f"{d.for_update() if lock else ''}",
        (tenant_id, group_id),
    )
    if row is None:
        raise NotFound(f"Group {group_id} not found")
    return _record(d, row)


def _with_members(
    d: Dialect, tenant_id: int, seated: list[Seated], wanted: bool
) -> Script[list[GroupRecord]]:
    if not wanted:
        return [record for _seq, record in seated]
    found = yield from members_of.read(d, tenant_id, [seq for seq, _record in seated])
    return [
        GroupRecord(
            r.id, r.doc, r.created, r.last_modified, r.version, tuple(found[seq]), r.position
        )
        for seq, r in seated
    ]


def _columns(doc: dict[str, Any]) -> tuple[object, ...]:
    """The indexed columns derived from a group document, then the document
    and its folded form (store.sqlfold: what filters and sorts compare)."""
    name = doc["displayName"]
    return (
        name,
        fold(name),
        doc.get("externalId"),
        orjson.dumps(doc).decode(),
        folded_json(doc, GROUP),
    )


def _record(d: Dialect, row: tuple[Any, ...], at: Any = None) -> Seated:
    return int(row[0]), GroupRecord(row[1], d.json_out(row[2]), row[3], row[4], row[5], position=at)


def _taken(doc: dict[str, Any]) -> Conflict:
    return Conflict(f"displayName {doc['displayName']!r} is already taken in this tenant")


def _id_taken(doc: dict[str, Any], group_id: str) -> Conflict:
    """A group put back with its id (docs/mock.md, "Snapshots"): the name
    or the id may be the one taken."""
    return Conflict(
        f"displayName {doc['displayName']!r} or id {group_id!r} is already taken in this tenant"
    )
