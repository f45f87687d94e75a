"""Member rows beside their group (RFC 7643 §4.2; the ``members`` table),
written once for every backend as transaction scripts (store.sqlscript).

Each script runs inside the caller's transaction and costs what it names:
adding or removing k members is k index probes and k row writes (one
statement over k ids where a list binds as an array), whatever the size
of the group; only clearing, replacing and
:class:`core.membership.RewriteMembers` (the documented slow path) read or
write every member. Every statement names ``tenant_id`` and uses an index
that leads with it. Each writer returns how many rows it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from scimdock.core.membership import (
    Action,
    AddMembers,
    ClearMembers,
    Member,
    RemoveMembers,
    ReplaceMembers,
    RewriteMembers,
)
from scimdock.store.errors import InvalidReference
from scimdock.store.records import MemberRecord, Membership
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script, many, one, rows, run

#: Ids per ``IN (...)`` list: well under SQLite's variable limit.
CHUNK = 500
#: A member already there stays as it is.
_KEEP = "ON CONFLICT (tenant_id, group_seq, member_id) DO NOTHING"
_READ = """
    SELECT m.group_seq, m.member_id, m.member_type,
           coalesce(m.display, CASE m.member_type
               WHEN 'User' THEN coalesce({user_name}, mu.user_name)
               ELSE g.display_name END)
    FROM members m
    LEFT JOIN users mu ON m.member_type = 'User' AND mu.tenant_id = m.tenant_id
                          AND mu.id = m.member_id
    LEFT JOIN groups g ON m.member_type = 'Group' AND g.tenant_id = m.tenant_id
                          AND g.id = m.member_id
    WHERE m.tenant_id = ? AND {where}
    ORDER BY m.group_seq, m.member_id
"""
_DIRECT_GROUPS = """
    SELECT m.member_id, g.id, g.display_name FROM members m
    JOIN groups g ON g.tenant_id = m.tenant_id AND g.seq = m.group_seq
    WHERE m.tenant_id = ? AND m.member_type = 'User' AND {where} AND g.deleted IS NULL
    ORDER BY m.member_id, g.seq
"""
_USER_GROUPS = """
    WITH RECURSIVE up(user_id, seq, depth) AS (
        SELECT m.member_id, m.group_seq, 0 FROM members m
        WHERE m.tenant_id = ? AND m.member_type = 'User' AND {where}
        UNION
        SELECT up.user_id, m.group_seq, 1 FROM up
        JOIN groups g ON g.tenant_id = ? AND g.seq = up.seq
        JOIN members m ON m.tenant_id = ? AND m.member_id = g.id AND m.member_type = 'Group'
    )
    SELECT up.user_id, g.id, g.display_name, min(up.depth) FROM up
    JOIN groups g ON g.tenant_id = ? AND g.seq = up.seq
    WHERE g.deleted IS NULL
    GROUP BY up.user_id, g.seq, g.id, g.display_name
    ORDER BY up.user_id, g.seq
"""
#: Whether the tenant has a group inside a group: one probe of the partial
#: index (SQLite is told to use it: its planner would otherwise walk every
#: membership of the tenant in ``members_member`` looking for a group).
_NESTS = "SELECT 1 FROM members{index} WHERE tenant_id = ? AND member_type = 'Group' LIMIT 1"


def drop_resource(
    d: Dialect, tenant_id: int, member_id: str, member_type: str, now: str
) -> Script[None]:
    """A deleted user or group leaves every group it was in; those groups
    change (new ``meta.version`` and ``lastModified``, RFC 7644 §3.14)."""
    yield run(
        "UPDATE groups SET version = version + 1, last_modified = ? WHERE tenant_id = ? AND seq IN"
        " (SELECT group_seq FROM members WHERE tenant_id = ? AND member_id = ?"
        " AND member_type = ?)",
        (now, tenant_id, tenant_id, member_id, member_type),
    )
    yield run(
        "DELETE FROM members WHERE tenant_id = ? AND member_id = ? AND member_type = ?",
        (tenant_id, member_id, member_type),
    )


def in_ids(d: Dialect, column: str, ids: Sequence[object]) -> Iterator[tuple[str, list[object]]]:
    """``column`` is one of ``ids``, as conditions and their parameters:
    one ``= ANY(?)`` where a list binds as an array, else an ``IN (?, ...)``
    per :data:`CHUNK` ids (SQLite's limit on variables)."""
    if d.array_params:
        if ids:
            yield f"{column} = ANY(?)", [list(ids)]
        return
    for start in range(0, len(ids), CHUNK):
        part: list[object] = list(ids[start : start + CHUNK])
        yield f"{column} IN ({', '.join('?' * len(part))})", part


def read(d: Dialect, tenant_id: int, seqs: Sequence[int]) -> Script[dict[int, list[MemberRecord]]]:
    """The members of these groups, for a whole page in one query (per
    :data:`CHUNK` groups where lists do not bind as arrays)."""
    out: dict[int, list[MemberRecord]] = {seq: [] for seq in seqs}
    for where, params in in_ids(d, "m.group_seq", seqs):
        found = yield rows(_READ.format(user_name=d.member_name, where=where), [tenant_id, *params])
        for seq, member_id, member_type, display in found:
            out[seq].append(MemberRecord(member_id, member_type, display))
    return out


def apply(
    d: Dialect, tenant_id: int, group_seq: int, group_id: str, actions: Iterable[Action]
) -> Script[int]:
    """Apply membership actions in order (core.membership); the rows
    changed. A bad member raises :class:`InvalidReference` and the
    caller's transaction rolls everything back."""
    changed = 0
    for action in actions:
        if isinstance(action, AddMembers):
            changed += yield from add(
                d, tenant_id, group_seq, group_id, action.members, action.where
            )
        elif isinstance(action, RemoveMembers):
            changed += yield from _delete(d, tenant_id, group_seq, action.ids)
        elif isinstance(action, ClearMembers):
            changed += yield from clear(d, tenant_id, group_seq)
        elif isinstance(action, ReplaceMembers):
            changed += yield from _replace(
                d, tenant_id, group_seq, group_id, action.members, action.where
            )
        elif isinstance(action, RewriteMembers):
            changed += yield from _rewrite(d, tenant_id, group_seq, group_id, action)
        else:
            raise TypeError(f"not a membership action: {action!r}")
    return changed


def add(
    d: Dialect,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    members: Sequence[Member],
    where: str = "members",
) -> Script[int]:
    """Add members (a new group's, or a PATCH ``add``): each checked first
    (where lists bind as arrays, checked and inserted in one statement, and
    a bad member rolls the insert back with the caller's transaction)."""
    if d.array_params and members:
        return (yield from _add_at_once(tenant_id, group_seq, group_id, members, where))
    found = yield from _resolve(d, tenant_id, group_id, members, where)
    return (yield from _insert(d, tenant_id, group_seq, found))


#: The live users and groups of a tenant among some ids, each with its type,
#: inserted as members where they are not yet, in one statement; every row
#: found comes back with the number inserted. Each id's first display given wins.
_ADD_AT_ONCE = f"""
    WITH found AS (
        SELECT id, 'User' AS kind FROM users
        WHERE tenant_id = ? AND deleted IS NULL AND id = ANY(?)
        UNION ALL
        SELECT id, 'Group' FROM groups WHERE tenant_id = ? AND deleted IS NULL AND id = ANY(?)
    ), given AS (
        SELECT DISTINCT ON (g.id) g.id, g.display
        FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS g(id, display, i)
        ORDER BY g.id, g.i
    ), added AS (
        INSERT INTO members(tenant_id, group_seq, member_id, member_type, display)
        SELECT ?, ?, f.id, f.kind, g.display FROM found f JOIN given g ON g.id = f.id
        {_KEEP} RETURNING 1
    )
    SELECT f.id, f.kind, (SELECT count(*) FROM added) FROM found f
"""


def _add_at_once(
    tenant_id: int, group_seq: int, group_id: str, members: Sequence[Member], where: str
) -> Script[int]:
    ids = [m.value for m in members]
    found = yield rows(
        _ADD_AT_ONCE,
        (tenant_id, ids, tenant_id, ids, ids, [m.display for m in members], tenant_id, group_seq),
    )
    _check(dict((r[0], r[1]) for r in found), group_id, members, where)
    return int(found[0][2])


def _check(found: dict[str, str], group_id: str, members: Sequence[Member], where: str) -> None:
    """:class:`InvalidReference` for the first member that is not a live
    user or group of the tenant (``found``: id to type), not of its stated
    type, or the group itself (RFC 7643 §4.2)."""
    for member in members:
        kind = found.get(member.value)
        if kind is None:
            raise InvalidReference(
                f"{where}: no User or Group with id {member.value!r} in this tenant"
            )
        if member.type is not None and member.type != kind:
            raise InvalidReference(f"{where}: {member.value!r} is a {kind}, not a {member.type}")
        if kind == "Group" and member.value == group_id:
            raise InvalidReference(f"{where}: a group cannot be a member of itself")


def clear(d: Dialect, tenant_id: int, group_seq: int) -> Script[int]:
    sql = "DELETE FROM members WHERE tenant_id = ? AND group_seq = ?"
    return int((yield run(sql, (tenant_id, group_seq))))


def direct_groups(d: Dialect, tenant_id: int, user_ids: Sequence[str]) -> tuple[str, list[object]]:
    """The statement of the direct groups of a few users (one part of
    :func:`in_ids`): ``(user id, group id, displayName)`` rows."""
    if len(user_ids) == 1 and not d.array_params:  # a GET by id: the text made once
        return _ONE_USER_DIRECT_GROUPS, [tenant_id, user_ids[0]]
    where, params = next(in_ids(d, "m.member_id", user_ids))
    return _DIRECT_GROUPS.format(where=where), [tenant_id, *params]


#: :func:`direct_groups` of one user, as :func:`in_ids` writes it.
_ONE_USER_DIRECT_GROUPS = _DIRECT_GROUPS.format(where="m.member_id IN (?)")


def user_groups(
    d: Dialect,
    tenant_id: int,
    user_ids: Sequence[str],
    direct: list[tuple[Any, ...]] | None = None,
) -> Script[dict[str, list[Membership]]]:
    """Direct and indirect groups of a page of users (RFC 7643 §4.1.2); a
    group that is both is direct. One join for the direct groups (or
    ``direct``, its rows read already for these few users); the recursive
    query runs only for users with a group when the tenant nests groups at
    all (an index probe), so a user read costs one small query in the
    common case (docs/performance.md)."""
    out: dict[str, list[Membership]] = {uid: [] for uid in user_ids}
    nests: bool | None = None
    for where, params in in_ids(d, "m.member_id", list(dict.fromkeys(user_ids))):
        if direct is None:
            direct = yield rows(_DIRECT_GROUPS.format(where=where), [tenant_id, *params])
        found, direct = direct, None
        if not found:
            continue
        if nests is None:
            nests = (yield one(_NESTS.format(index=d.nested_index), (tenant_id,))) is not None
        if not nests:
            for user_id, group_id, display in found:
                out[user_id].append(Membership(group_id, display, True))
            continue
        every = yield rows(
            _USER_GROUPS.format(where=where), [tenant_id, *params, tenant_id, tenant_id, tenant_id]
        )
        for user_id, group_id, display, depth in every:
            out[user_id].append(Membership(group_id, display, depth == 0))
    return out


def _resolve(
    d: Dialect, tenant_id: int, group_id: str, members: Sequence[Member], where: str
) -> Script[list[tuple[str, str, str | None]]]:
    """``(id, type, display)`` of each member: a live user or group of this
    tenant (RFC 7643 §4.2), else :class:`InvalidReference` naming the first
    bad one. Only the ids named are looked up."""
    found: dict[str, str] = {}
    for condition, params in in_ids(d, "id", [m.value for m in members]):
        found.update(
            (
                yield rows(
                    f"SELECT id, 'User' FROM users WHERE tenant_id = ? AND deleted IS NULL"
                    f" AND {condition} UNION ALL SELECT id, 'Group' FROM groups"
                    f" WHERE tenant_id = ? AND deleted IS NULL AND {condition}",
                    [tenant_id, *params, tenant_id, *params],
                )
            )
        )
    _check(found, group_id, members, where)
    return [(m.value, found[m.value], m.display) for m in members]


def _insert(
    d: Dialect, tenant_id: int, group_seq: int, new: Sequence[tuple[str, str, str | None]]
) -> Script[int]:
    """Present members stay as they are (RFC 7644 §3.5.2.1: no change)."""
    if not new:
        return 0
    if d.array_params:
        return int(
            (
                yield run(
                    "INSERT INTO members(tenant_id, group_seq, member_id, member_type, display)"
                    " SELECT ?, ?, r.id, r.kind, r.display"
                    " FROM unnest(?::text[], ?::text[], ?::text[]) AS r(id, kind, display)"
                    f" {_KEEP}",
                    (tenant_id, group_seq, *(list(c) for c in zip(*new, strict=True))),
                )
            )
        )
    return int(
        (
            yield many(
                "INSERT INTO members(tenant_id, group_seq, member_id, member_type, display)"
                f" VALUES (?, ?, ?, ?, ?) {_KEEP}",
                [(tenant_id, group_seq, *row) for row in new],
            )
        )
    )


def _delete(d: Dialect, tenant_id: int, group_seq: int, ids: Sequence[str]) -> Script[int]:
    changed = 0
    for where, params in in_ids(d, "member_id", ids):
        changed += yield run(
            f"DELETE FROM members WHERE tenant_id = ? AND group_seq = ? AND {where}",
            [tenant_id, group_seq, *params],
        )
    return changed


def _replace(
    d: Dialect,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    members: Sequence[Member],
    where: str,
) -> Script[int]:
    """The members become exactly ``members``: only the difference is
    written (a replace with the same list changes nothing), and only the
    ids not yet members are looked up."""
    held = yield rows(
        "SELECT member_id, member_type, display FROM members WHERE tenant_id = ? AND group_seq = ?",
        (tenant_id, group_seq),
    )
    current = {mid: (kind, display) for mid, kind, display in held}
    wanted = {m.value for m in members}
    changed = yield from _delete(d, tenant_id, group_seq, [m for m in current if m not in wanted])
    for member in members:
        if member.value not in current:
            continue
        kind, display = current[member.value]
        if member.type is not None and member.type != kind:
            raise InvalidReference(f"{where}: {member.value!r} is a {kind}, not a {member.type}")
        if member.display != display:
            changed += yield run(
                "UPDATE members SET display = ? WHERE tenant_id = ? AND group_seq = ?"
                " AND member_id = ?",
                (member.display, tenant_id, group_seq, member.value),
            )
    added = [m for m in members if m.value not in current]
    return changed + (yield from add(d, tenant_id, group_seq, group_id, added, where))


def _rewrite(
    d: Dialect, tenant_id: int, group_seq: int, group_id: str, action: RewriteMembers
) -> Script[int]:
    """The slow path: read every member, run the operation through the
    PATCH engine, write the difference."""
    current = (yield from read(d, tenant_id, [group_seq]))[group_seq]
    elements = [
        {"value": m.id, "type": m.type, **({"display": m.display} if m.display else {})}
        for m in current
    ]
    after = action.apply(elements)
    before = {m.id for m in current}
    kept = {m.value for m in after}
    changed = yield from _delete(d, tenant_id, group_seq, [i for i in before if i not in kept])
    added = [m for m in after if m.value not in before]
    return changed + (yield from add(d, tenant_id, group_seq, group_id, added, action.where))
