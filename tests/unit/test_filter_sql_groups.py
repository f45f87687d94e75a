"""The SQL compiler on Groups and on the membership-derived attributes
(RFC 7643 §4.2 ``members``, §4.1.2 a User's ``groups``), checked row for
row against the in-memory evaluator on the documents a client would see.

Members live in the ``members`` table, not in JSON: the reference documents
here are built from the same rows the way the HTTP layer renders them
(``display`` as given, else the user's displayName or userName or the
group's displayName; a user's groups direct, or indirect through nested
groups), and the compiled SQL must select exactly the resources whose
document matches.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_filter_sql import (
    ALL_OPS,
    DATES,
    EXAMPLES,
    STRINGS,
    USERS,
    _combine,
    _compare,
    _leaf_for,
    insert,
    new_db,
)

from scimdock.core.filter import (
    And,
    AttrPath,
    Filter,
    Or,
    ValuePath,
    matches,
    normalize_datetime,
    parse_attr_path,
    parse_filter,
    resolve_filter,
    to_string,
)
from scimdock.core.schema import GROUP, USER
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlfold import folded_json

#: Ids as the store assigns them are lower-case UUIDs, which case-folding
#: leaves unchanged (store/sqltables.py relies on it); so are these.
GROUP_IDS = ["g0", "g1", "ǆ2", "g3"]
TYPES = st.sampled_from(["User", "Group", "user", "GROUP", "x"])


def _member_pick(draw: Any, targets: list[tuple[str, str]]) -> list[dict[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(targets), unique=True, max_size=4)) if targets else []
    return [
        {"id": tid, "type": kind, "display": draw(st.none() | STRINGS.filter(bool))}
        for tid, kind in chosen
    ]


@st.composite
def worlds(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Users, and groups whose members are some of those users and groups."""
    users = [{**u, "id": u["id"].casefold()} for u in draw(USERS)]
    n = draw(st.integers(1, len(GROUP_IDS)))
    names = draw(st.lists(STRINGS, min_size=n, max_size=n, unique_by=str.casefold))
    targets = [(u["id"], "User") for u in users] + [(g, "Group") for g in GROUP_IDS[:n]]
    groups = []
    for i, name in enumerate(names):
        group: dict[str, Any] = {
            "id": GROUP_IDS[i],
            "displayName": name,
            "meta": {"created": draw(DATES), "lastModified": draw(DATES)},
            "rows": _member_pick(draw, targets),
        }
        if draw(st.booleans()):
            group["externalId"] = draw(STRINGS)
        groups.append(group)
    return users, groups


def store(
    conn: sqlite3.Connection,
    users: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    tenant: int = 1,
) -> None:
    """The rows the store writes: users, groups (doc without members), members."""
    for user in users:
        insert(conn, user, tenant)
    for group in groups:
        doc = {k: v for k, v in group.items() if k in ("displayName", "externalId")}
        cur = conn.execute(
            "INSERT INTO groups (tenant_id, id, display_name, display_name_fold, external_id, doc,"
            " doc_fold, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant,
                group["id"],
                group["displayName"],
                group["displayName"].casefold(),
                group.get("externalId"),
                json.dumps(doc),
                folded_json(doc, GROUP),
                normalize_datetime(group["meta"]["created"]),
                normalize_datetime(group["meta"]["lastModified"]),
            ),
        )
        conn.executemany(
            "INSERT INTO members (tenant_id, group_seq, member_id, member_type, display)"
            " VALUES (?, ?, ?, ?, ?)",
            [(tenant, cur.lastrowid, m["id"], m["type"], m["display"]) for m in group["rows"]],
        )


def rendered(
    users: list[dict[str, Any]], groups: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The documents a client sees: members with display, users with groups."""
    names = {
        u["id"]: u["displayName"] if u.get("displayName") is not None else u["userName"]
        for u in users
    }
    names.update({g["id"]: g["displayName"] for g in groups})
    group_docs = []
    for group in groups:
        doc = {k: v for k, v in group.items() if k != "rows"}
        members = [
            {
                "value": m["id"],
                "type": m["type"],
                "display": m["display"] if m["display"] is not None else names[m["id"]],
            }
            for m in group["rows"]
        ]
        if members:
            doc["members"] = members
        group_docs.append(doc)
    parents: dict[str, set[str]] = {}
    for group in groups:
        for m in group["rows"]:
            parents.setdefault(m["id"], set()).add(group["id"])
    user_docs = []
    for user in users:
        direct = parents.get(user["id"], set())
        seen, todo = set(direct), list(direct)
        while todo:
            for parent in parents.get(todo.pop(), set()) - seen:
                seen.add(parent)
                todo.append(parent)
        memberships = [
            {"value": g, "display": names[g], "type": "direct" if g in direct else "indirect"}
            for g in GROUP_IDS
            if g in seen
        ]
        user_docs.append({**user, **({"groups": memberships} if memberships else {})})
    return user_docs, group_docs


MEMBER_IDS = st.sampled_from(["u0", "U1", "u1", "é3", "É3", *GROUP_IDS, "G0", "Ǆ2", "x"])


def _leaves(paths: dict[str, str]) -> st.SearchStrategy[Filter]:
    return st.one_of(*(_leaf_for(parse_attr_path(p), kind) for p, kind in paths.items()))


def _value_filter(
    outer: str, subs: list[str], types: st.SearchStrategy[str]
) -> st.SearchStrategy[Filter]:
    inner = st.one_of(
        *(_leaf_for(AttrPath(s), "string") for s in subs),
        _compare(AttrPath("value"), ALL_OPS, MEMBER_IDS),
        _compare(AttrPath("type"), ALL_OPS, types),
    )
    return st.builds(
        ValuePath, st.just(parse_attr_path(outer)), st.recursive(inner, _combine, max_leaves=3)
    )


GROUP_FILTERS = st.recursive(
    _leaves(
        {
            "displayName": "string",
            "externalId": "string",
            "id": "string",
            "members.display": "string",
            "meta.created": "dateTime",
            "members": "complex",
        }
    )
    | _compare(parse_attr_path("members.value"), ALL_OPS, MEMBER_IDS)
    | _compare(parse_attr_path("members"), ["eq", "co", "sw"], MEMBER_IDS)
    | _compare(parse_attr_path("members.type"), ALL_OPS, TYPES)
    | _value_filter("members", ["value", "display"], TYPES),
    _combine,
    max_leaves=5,
)
#: Filters that say which groups can match (what store.sqltables.seeds_of
#: uses to start the walk): value/display eq, or-ed, and-ed with others.
_SEEDS = st.recursive(
    _compare(AttrPath("value"), ["eq"], st.sampled_from([*GROUP_IDS, "G0", "Ǆ2"]))
    | _compare(AttrPath("display"), ["eq"], STRINGS)
    | _compare(AttrPath("type"), ["eq", "ne"], st.sampled_from(["direct", "indirect"])),
    lambda c: st.builds(Or, c, c) | st.builds(And, c, c),
    max_leaves=4,
)
USER_GROUP_FILTERS = st.recursive(
    _leaves({"userName": "string", "groups.display": "string", "groups": "complex"})
    | _compare(parse_attr_path("groups.value"), ALL_OPS, MEMBER_IDS)
    | _compare(
        parse_attr_path("groups.type"),
        ["eq", "ne", "sw"],
        st.sampled_from(["direct", "Indirect", "in", "x"]),
    )
    | _value_filter(
        "groups", ["value", "display"], st.sampled_from(["direct", "Indirect", "in", "x"])
    )
    | st.builds(ValuePath, st.just(parse_attr_path("groups")), _SEEDS),
    _combine,
    max_leaves=5,
)
DECOY_USER = {
    "id": "u0",
    "userName": "a",
    "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
}
DECOY_GROUP = {
    "id": "g0",
    "displayName": "a",
    "rows": [{"id": "u0", "type": "User", "display": "a"}],
    "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
}


def _world(users: list[dict[str, Any]], groups: list[dict[str, Any]]) -> sqlite3.Connection:
    conn = new_db()
    store(conn, users, groups)
    store(conn, [DECOY_USER], [DECOY_GROUP], tenant=2)  # queries must stay in tenant 1
    return conn


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.lists(GROUP_FILTERS, min_size=1, max_size=4))
def test_group_filters_agree_with_matches(world: Any, filters: list[Filter]) -> None:
    users, groups = world
    conn = _world(users, groups)
    _, docs = rendered(users, groups)
    for node in filters:
        f = resolve_filter(node, GROUP)
        sql, params = compile_filter(f, GROUP, tenant_id=1)
        got = {
            r[0]
            for r in conn.execute(f"SELECT id FROM groups WHERE tenant_id = 1 AND ({sql})", params)
        }
        assert got == {d["id"] for d in docs if matches(f, d, GROUP)}, (to_string(f), sql)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.lists(USER_GROUP_FILTERS, min_size=1, max_size=4), st.sampled_from([1, None]))
def test_user_group_filters_agree_with_matches(
    world: Any, filters: list[Filter], tenant: int | None
) -> None:
    """With the tenant (what the store passes: one walk per query) and
    without it (the walk follows each user's tenant)."""
    users, groups = world
    conn = _world(users, groups)
    docs, _ = rendered(users, groups)
    for node in filters:
        f = resolve_filter(node, USER)
        sql, params = compile_filter(f, USER, tenant_id=tenant)
        got = {
            r[0]
            for r in conn.execute(f"SELECT id FROM users WHERE tenant_id = 1 AND ({sql})", params)
        }
        assert got == {d["id"] for d in docs if matches(f, d, USER)}, (to_string(f), sql)


SEEDED = st.builds(ValuePath, st.just(parse_attr_path("groups")), _SEEDS) | st.builds(
    Or,
    _compare(parse_attr_path("groups.value"), ["eq"], st.sampled_from(GROUP_IDS)),
    _compare(parse_attr_path("groups.display"), ["eq"], STRINGS),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.lists(SEEDED, min_size=1, max_size=4))
def test_filters_that_narrow_the_walk_agree_with_matches(world: Any, filters: list[Filter]) -> None:
    """Where the walk starts from the groups the filter names only."""
    users, groups = world
    conn = _world(users, groups)
    docs, _ = rendered(users, groups)
    for node in filters:
        f = resolve_filter(node, USER)
        sql, params = compile_filter(f, USER, tenant_id=1)
        got = {
            r[0]
            for r in conn.execute(f"SELECT id FROM users WHERE tenant_id = 1 AND ({sql})", params)
        }
        assert got == {d["id"] for d in docs if matches(f, d, USER)}, (to_string(f), sql)


def test_nested_cycle_terminates_and_direct_wins() -> None:
    users = [{**DECOY_USER, "id": "u0"}]
    groups = [
        {
            "id": "g0",
            "displayName": "A",
            "meta": DECOY_USER["meta"],
            "rows": [
                {"id": "u0", "type": "User", "display": None},
                {"id": "g1", "type": "Group", "display": None},
            ],
        },
        {
            "id": "g1",
            "displayName": "B",
            "meta": DECOY_USER["meta"],
            "rows": [{"id": "g0", "type": "Group", "display": None}],
        },
    ]
    conn = _world(users, groups)
    docs, _ = rendered(users, groups)
    assert docs[0]["groups"] == [
        {"value": "g0", "display": "A", "type": "direct"},
        {"value": "g1", "display": "B", "type": "indirect"},
    ]
    for text, hit in (
        ('groups[value eq "G1" and type eq "indirect"]', True),
        ('groups[value eq "g0" and type eq "indirect"]', False),
        ('groups[display eq "b" and type eq "direct"]', False),
    ):
        sql, params = compile_filter(resolve_filter(parse_filter(text), USER), USER, tenant_id=1)
        rows = conn.execute(f"SELECT id FROM users WHERE tenant_id = 1 AND ({sql})", params)
        assert bool(rows.fetchall()) is hit, text
