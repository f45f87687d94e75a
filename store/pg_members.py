"""Membership rows in PostgreSQL (the ``members`` table), as
:mod:`store.sqlite_members`: each function runs on the caller's connection
inside its transaction and costs what it names. Adding or removing k
members is one statement over k ids (``unnest``/``ANY``: k index probes,
k rows written) whatever the size of the group; clearing, replacing and
:class:`core.membership.RewriteMembers` read or write every member. Every
statement names ``tenant_id``. Each writer returns how many rows it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scimdock.core.membership import (
    Action,
    AddMembers,
    ClearMembers,
    Member,
    RemoveMembers,
    ReplaceMembers,
    RewriteMembers,
)
from scimdock.store.base import MemberRecord, Membership
from scimdock.store.errors import InvalidReference
from scimdock.store.pg_host import Conn, every, one

_READ = """
    SELECT m.group_seq, m.member_id, m.member_type,
           coalesce(m.display, CASE m.member_type
               WHEN 'User' THEN coalesce(u.doc ->> 'displayName', u.user_name)
               ELSE g.display_name END)
    FROM members m
    LEFT JOIN users u ON m.member_type = 'User' AND u.tenant_id = m.tenant_id
                         AND u.id = m.member_id
    LEFT JOIN groups g ON m.member_type = 'Group' AND g.tenant_id = m.tenant_id
                          AND g.id = m.member_id
    WHERE m.tenant_id = %s AND m.group_seq = ANY(%s)
    ORDER BY m.group_seq, m.member_id
"""
_USER_GROUPS = """
    WITH RECURSIVE up(user_id, seq, depth) AS (
        SELECT m.member_id, m.group_seq, 0 FROM members m
        WHERE m.tenant_id = %(t)s AND m.member_type = 'User' AND m.member_id = ANY(%(ids)s)
        UNION
        SELECT up.user_id, m.group_seq, 1 FROM up
        JOIN groups g ON g.tenant_id = %(t)s AND g.seq = up.seq
        JOIN members m ON m.tenant_id = %(t)s AND m.member_id = g.id
                          AND m.member_type = 'Group'
    )
    SELECT up.user_id, g.id, g.display_name, min(up.depth) FROM up
    JOIN groups g ON g.tenant_id = %(t)s AND g.seq = up.seq
    WHERE g.deleted IS NULL
    GROUP BY up.user_id, g.seq, g.id, g.display_name
    ORDER BY up.user_id, g.seq
"""
_DIRECT_GROUPS = """
    SELECT m.member_id, g.id, g.display_name FROM members m
    JOIN groups g ON g.tenant_id = m.tenant_id AND g.seq = m.group_seq
    WHERE m.tenant_id = %(t)s AND m.member_type = 'User' AND m.member_id = ANY(%(ids)s)
      AND g.deleted IS NULL
    ORDER BY m.member_id, g.seq
"""
_NESTS = "SELECT 1 FROM members WHERE tenant_id = %s AND member_type = 'Group' LIMIT 1"


async def read(conn: Conn, tenant_id: int, seqs: Sequence[int]) -> dict[int, list[MemberRecord]]:
    """The members of these groups, for a whole page in one query."""
    out: dict[int, list[MemberRecord]] = {seq: [] for seq in seqs}
    if seqs:
        for seq, member_id, member_type, display in await every(
            conn, _READ, (tenant_id, list(seqs))
        ):
            out[seq].append(MemberRecord(member_id, member_type, display))
    return out


async def apply(
    conn: Conn, tenant_id: int, group_seq: int, group_id: str, actions: Iterable[Action]
) -> int:
    """Apply membership actions in order; the rows changed."""
    changed = 0
    for action in actions:
        if isinstance(action, AddMembers):
            changed += await add(conn, tenant_id, group_seq, group_id, action.members, action.where)
        elif isinstance(action, RemoveMembers):
            changed += await _delete(conn, tenant_id, group_seq, action.ids)
        elif isinstance(action, ClearMembers):
            changed += await clear(conn, tenant_id, group_seq)
        elif isinstance(action, ReplaceMembers):
            changed += await _replace(
                conn, tenant_id, group_seq, group_id, action.members, action.where
            )
        elif isinstance(action, RewriteMembers):
            changed += await _rewrite(conn, tenant_id, group_seq, group_id, action)
        else:
            raise TypeError(f"not a membership action: {action!r}")
    return changed


async def add(
    conn: Conn,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    members: Sequence[Member],
    where: str = "members",
) -> int:
    rows = await _resolve(conn, tenant_id, group_id, members, where)
    return await _insert(conn, tenant_id, group_seq, rows)


async def clear(conn: Conn, tenant_id: int, group_seq: int) -> int:
    cur = await conn.execute(
        "DELETE FROM members WHERE tenant_id = %s AND group_seq = %s", (tenant_id, group_seq)
    )
    return cur.rowcount


async def drop_resource(
    conn: Conn, tenant_id: int, member_id: str, member_type: str, now: str
) -> None:
    """A deleted user or group leaves every group it was in; those groups
    change (new ``meta.version`` and ``lastModified``, RFC 7644 §3.14)."""
    await conn.execute(
        "UPDATE groups SET version = version + 1, last_modified = %s"
        " WHERE tenant_id = %s AND seq IN (SELECT group_seq FROM members"
        " WHERE tenant_id = %s AND member_id = %s AND member_type = %s)",
        (now, tenant_id, tenant_id, member_id, member_type),
    )
    await conn.execute(
        "DELETE FROM members WHERE tenant_id = %s AND member_id = %s AND member_type = %s",
        (tenant_id, member_id, member_type),
    )


async def user_groups(
    conn: Conn, tenant_id: int, user_ids: Sequence[str]
) -> dict[str, list[Membership]]:
    """Direct and indirect groups of a page of users (RFC 7643 §4.1.2); a
    group that is both is direct. The recursive query runs only when the
    tenant nests groups at all."""
    out: dict[str, list[Membership]] = {uid: [] for uid in user_ids}
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return out
    args = {"t": tenant_id, "ids": ids}
    direct = await every(conn, _DIRECT_GROUPS, args)
    if not direct:
        return out
    if await one(conn, _NESTS, (tenant_id,)) is None:
        for user_id, group_id, display in direct:
            out[user_id].append(Membership(group_id, display, True))
        return out
    for user_id, group_id, display, depth in await every(conn, _USER_GROUPS, args):
        out[user_id].append(Membership(group_id, display, depth == 0))
    return out


async def _resolve(
    conn: Conn, tenant_id: int, group_id: str, members: Sequence[Member], where: str
) -> list[tuple[str, str, str | None]]:
    """``(id, type, display)`` of each member: a live user or group of this
    tenant (RFC 7643 §4.2), else InvalidReference naming the first bad one."""
    if not members:
        return []
    ids = [m.value for m in members]
    found: dict[str, str] = dict(
        await every(
            conn,
            "SELECT id, 'User' FROM users WHERE tenant_id = %s AND deleted IS NULL"
            " AND id = ANY(%s) UNION ALL"
            " SELECT id, 'Group' FROM groups WHERE tenant_id = %s AND deleted IS NULL"
            " AND id = ANY(%s)",
            (tenant_id, ids, tenant_id, ids),
        )
    )
    rows = []
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
        rows.append((member.value, kind, member.display))
    return rows


async def _insert(
    conn: Conn, tenant_id: int, group_seq: int, rows: Sequence[tuple[str, str, str | None]]
) -> int:
    """Present members stay as they are (RFC 7644 §3.5.2.1: no change)."""
    if not rows:
        return 0
    cur = await conn.execute(
        "INSERT INTO members(tenant_id, group_seq, member_id, member_type, display)"
        " SELECT %s, %s, r.id, r.kind, r.display"
        " FROM unnest(%s::text[], %s::text[], %s::text[]) AS r(id, kind, display)"
        " ON CONFLICT (tenant_id, group_seq, member_id) DO NOTHING",
        (
            tenant_id,
            group_seq,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        ),
    )
    return cur.rowcount


async def _delete(conn: Conn, tenant_id: int, group_seq: int, ids: Sequence[str]) -> int:
    if not ids:
        return 0
    cur = await conn.execute(
        "DELETE FROM members WHERE tenant_id = %s AND group_seq = %s AND member_id = ANY(%s)",
        (tenant_id, group_seq, list(ids)),
    )
    return cur.rowcount


async def _replace(
    conn: Conn,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    members: Sequence[Member],
    where: str,
) -> int:
    """The members become exactly ``members``: only the difference is written."""
    current = {
        mid: (kind, display)
        for mid, kind, display in await every(
            conn,
            "SELECT member_id, member_type, display FROM members"
            " WHERE tenant_id = %s AND group_seq = %s",
            (tenant_id, group_seq),
        )
    }
    wanted = {m.value for m in members}
    changed = await _delete(conn, tenant_id, group_seq, [m for m in current if m not in wanted])
    for member in members:
        if member.value not in current:
            continue
        kind, display = current[member.value]
        if member.type is not None and member.type != kind:
            raise InvalidReference(f"{where}: {member.value!r} is a {kind}, not a {member.type}")
        if member.display != display:
            cur = await conn.execute(
                "UPDATE members SET display = %s WHERE tenant_id = %s AND group_seq = %s"
                " AND member_id = %s",
                (member.display, tenant_id, group_seq, member.value),
            )
            changed += cur.rowcount
    added = [m for m in members if m.value not in current]
    return changed + await add(conn, tenant_id, group_seq, group_id, added, where)


async def _rewrite(
    conn: Conn, tenant_id: int, group_seq: int, group_id: str, action: RewriteMembers
) -> int:
    """The slow path: every member through the PATCH engine, the difference written."""
    current = (await read(conn, tenant_id, [group_seq]))[group_seq]
    elements = [
        {"value": m.id, "type": m.type, **({"display": m.display} if m.display else {})}
        for m in current
    ]
    after = action.apply(elements)
    before = {m.id for m in current}
    kept = {m.value for m in after}
    changed = await _delete(conn, tenant_id, group_seq, [i for i in before if i not in kept])
    added = [m for m in after if m.value not in before]
    return changed + await add(conn, tenant_id, group_seq, group_id, added, action.where)
