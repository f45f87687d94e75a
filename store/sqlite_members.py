"""Membership rows in SQLite: the ``members`` table of store/migrations.py.

Each function runs on the caller's connection, inside the caller's
transaction, and costs what it names: adding or removing k members is k
index probes and k row writes, whatever the size of the group; only
clearing, replacing and :class:`core.membership.RewriteMembers` (the
documented slow path) read or write every member. Every statement is
scoped by ``tenant_id`` and uses an index that leads with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

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

T = TypeVar("T")
#: Ids per ``IN (...)`` list: well under SQLite's variable limit.
CHUNK = 500

_READ = """
    SELECT m.group_seq, m.member_id, m.member_type,
           coalesce(m.display, CASE m.member_type
               WHEN 'User' THEN coalesce(json_extract(u.doc, '$."displayName"'), u.user_name)
               ELSE g.display_name END)
    FROM members m
    LEFT JOIN users u ON m.member_type = 'User' AND u.tenant_id = m.tenant_id
                         AND u.id = m.member_id
    LEFT JOIN groups g ON m.member_type = 'Group' AND g.tenant_id = m.tenant_id
                          AND g.id = m.member_id
    WHERE m.tenant_id = ? AND m.group_seq IN ({marks})
    ORDER BY m.group_seq, m.member_id
"""

_USER_GROUPS = """
    WITH RECURSIVE up(user_id, seq, depth) AS (
        SELECT m.member_id, m.group_seq, 0 FROM members m
        WHERE m.tenant_id = ? AND m.member_type = 'User' AND m.member_id IN ({marks})
        UNION
        SELECT up.user_id, m.group_seq, 1 FROM up
        JOIN groups g ON g.seq = up.seq
        JOIN members m ON m.tenant_id = g.tenant_id AND m.member_id = g.id
                          AND m.member_type = 'Group'
    )
    SELECT up.user_id, g.id, g.display_name, min(up.depth) FROM up
    JOIN groups g ON g.seq = up.seq
    WHERE g.deleted IS NULL
    GROUP BY up.user_id, g.seq
    ORDER BY up.user_id, g.seq
"""
_DIRECT_GROUPS = """
    SELECT m.member_id, g.id, g.display_name FROM members m
    JOIN groups g ON g.seq = m.group_seq
    WHERE m.tenant_id = ? AND m.member_type = 'User' AND m.member_id IN ({marks})
      AND g.deleted IS NULL
    ORDER BY m.member_id, g.seq
"""
#: Whether the tenant has a group inside a group: one probe of the partial
#: index. Named, because SQLite's planner would otherwise walk every
#: membership of the tenant in ``members_member`` looking for a group.
_NESTS = (
    "SELECT 1 FROM members INDEXED BY members_nested"
    " WHERE tenant_id = ? AND member_type = 'Group' LIMIT 1"
)


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def marks(n: int) -> str:
    return ", ".join("?" * n)


def read(
    conn: sqlite3.Connection, tenant_id: int, seqs: Sequence[int]
) -> dict[int, list[MemberRecord]]:
    """The members of these groups, for a whole page in one query per
    :data:`CHUNK` groups (no query per group)."""
    out: dict[int, list[MemberRecord]] = {seq: [] for seq in seqs}
    for part in chunks(list(seqs)):
        rows = conn.execute(_READ.format(marks=marks(len(part))), [tenant_id, *part])
        for seq, member_id, member_type, display in rows:
            out[seq].append(MemberRecord(member_id, member_type, display))
    return out


def apply(
    conn: sqlite3.Connection,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    actions: Iterable[Action],
) -> None:
    """Apply membership actions in order (core.membership); a bad member
    raises 400 and the caller's transaction rolls everything back."""
    for action in actions:
        if isinstance(action, AddMembers):
            _insert(
                conn,
                tenant_id,
                group_seq,
                _resolve(conn, tenant_id, group_id, action.members, action.where),
            )
        elif isinstance(action, RemoveMembers):
            _delete(conn, tenant_id, group_seq, action.ids)
        elif isinstance(action, ClearMembers):
            clear(conn, tenant_id, group_seq)
        elif isinstance(action, ReplaceMembers):
            _replace(conn, tenant_id, group_seq, group_id, action.members, action.where)
        elif isinstance(action, RewriteMembers):
            _rewrite(conn, tenant_id, group_seq, group_id, action)
        else:
            raise TypeError(f"not a membership action: {action!r}")


def add(
    conn: sqlite3.Connection,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    members: Sequence[Member],
    where: str = "members",
) -> None:
    """Add members of a new group (POST): checked like a PATCH ``add``."""
    _insert(conn, tenant_id, group_seq, _resolve(conn, tenant_id, group_id, members, where))


def clear(conn: sqlite3.Connection, tenant_id: int, group_seq: int) -> None:
    conn.execute(
        "DELETE FROM members WHERE tenant_id = ? AND group_seq = ?", (tenant_id, group_seq)
    )


def drop_resource(
    conn: sqlite3.Connection, tenant_id: int, member_id: str, member_type: str, now: str
) -> None:
    """A deleted user or group leaves every group it was in; those groups
    change (new ``meta.version`` and ``lastModified``, RFC 7644 §3.14)."""
    conn.execute(
        "UPDATE groups SET version = version + 1, last_modified = ? WHERE tenant_id = ? AND seq IN"
        " (SELECT group_seq FROM members WHERE tenant_id = ? AND member_id = ?"
        " AND member_type = ?)",
        (now, tenant_id, tenant_id, member_id, member_type),
    )
    conn.execute(
        "DELETE FROM members WHERE tenant_id = ? AND member_id = ? AND member_type = ?",
        (tenant_id, member_id, member_type),
    )


def user_groups(
    conn: sqlite3.Connection, tenant_id: int, user_ids: Sequence[str]
) -> dict[str, list[Membership]]:
    """Direct and indirect groups of a page of users (RFC 7643 §4.1.2); a
    group that is both is direct. Per :data:`CHUNK` users, one join for the
    direct groups; the recursive query runs only for users with a group
    when the tenant nests groups at all (an index probe), so a user read
    costs one small query in the common case (docs/performance.md)."""
    out: dict[str, list[Membership]] = {uid: [] for uid in user_ids}
    nests: bool | None = None
    for part in chunks(list(dict.fromkeys(user_ids))):
        args = [tenant_id, *part]
        direct = conn.execute(_DIRECT_GROUPS.format(marks=marks(len(part))), args).fetchall()
        if not direct:
            continue
        if nests is None:
            nests = conn.execute(_NESTS, (tenant_id,)).fetchone() is not None
        if not nests:
            for user_id, group_id, display in direct:
                out[user_id].append(Membership(group_id, display, True))
            continue
        rows = conn.execute(_USER_GROUPS.format(marks=marks(len(part))), args)
        for user_id, group_id, display, depth in rows:
            out[user_id].append(Membership(group_id, display, depth == 0))
    return out


def _resolve(
    conn: sqlite3.Connection, tenant_id: int, group_id: str, members: Sequence[Member], where: str
) -> list[tuple[str, str, str | None]]:
    """``(id, type, display)`` of each member: a live user or group of this tenant
    (RFC 7643 §4.2), else 400 invalidValue naming the first bad one. Only
    the ids named are looked up."""
    found: dict[str, str] = {}
    for part in chunks([m.value for m in members]):
        sql = (
            "SELECT id, 'User' FROM users WHERE tenant_id = ? AND deleted IS NULL"
            f" AND id IN ({marks(len(part))}) UNION ALL"
            " SELECT id, 'Group' FROM groups WHERE tenant_id = ? AND deleted IS NULL"
            f" AND id IN ({marks(len(part))})"
        )
        found.update(conn.execute(sql, [tenant_id, *part, tenant_id, *part]).fetchall())
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


def _insert(
    conn: sqlite3.Connection,
    tenant_id: int,
    group_seq: int,
    rows: Sequence[tuple[str, str, str | None]],
) -> None:
    """Present members stay as they are (RFC 7644 §3.5.2.1: no change)."""
    conn.executemany(
        "INSERT OR IGNORE INTO members(tenant_id, group_seq, member_id, member_type, display)"
        " VALUES (?, ?, ?, ?, ?)",
        [(tenant_id, group_seq, *row) for row in rows],
    )


def _delete(conn: sqlite3.Connection, tenant_id: int, group_seq: int, ids: Sequence[str]) -> None:
    for part in chunks(list(ids)):
        conn.execute(
            f"DELETE FROM members WHERE tenant_id = ? AND group_seq = ?"
            f" AND member_id IN ({marks(len(part))})",
            [tenant_id, group_seq, *part],
        )


def _replace(
    conn: sqlite3.Connection,
    tenant_id: int,
    group_seq: int,
    group_id: str,
    members: Sequence[Member],
    where: str,
) -> None:
    """The members become exactly ``members``: only the difference is
    written (a replace with the same list changes nothing), and only the
    ids not yet members are looked up."""
    current = {
        mid: (kind, display)
        for mid, kind, display in conn.execute(
            "SELECT member_id, member_type, display FROM members WHERE tenant_id = ? AND group_seq = ?",
            (tenant_id, group_seq),
        )
    }
    wanted = {m.value for m in members}
    _delete(conn, tenant_id, group_seq, [mid for mid in current if mid not in wanted])
    for member in members:
        if member.value not in current:
            continue
        kind, display = current[member.value]
        if member.type is not None and member.type != kind:
            raise InvalidReference(f"{where}: {member.value!r} is a {kind}, not a {member.type}")
        if member.display != display:
            conn.execute(
                "UPDATE members SET display = ? WHERE tenant_id = ? AND group_seq = ?"
                " AND member_id = ?",
                (member.display, tenant_id, group_seq, member.value),
            )
    added = [m for m in members if m.value not in current]
    _insert(conn, tenant_id, group_seq, _resolve(conn, tenant_id, group_id, added, where))


def _rewrite(
    conn: sqlite3.Connection, tenant_id: int, group_seq: int, group_id: str, action: RewriteMembers
) -> None:
    """The slow path: read every member, run the operation through the
    PATCH engine, write the difference."""
    current = read(conn, tenant_id, [group_seq])[group_seq]
    elements = [
        {"value": m.id, "type": m.type, **({"display": m.display} if m.display else {})}
        for m in current
    ]
    after = action.apply(elements)
    before = {m.id for m in current}
    kept = {m.value for m in after}
    _delete(conn, tenant_id, group_seq, [i for i in before if i not in kept])
    added = [m for m in after if m.value not in before]
    _insert(conn, tenant_id, group_seq, _resolve(conn, tenant_id, group_id, added, action.where))
