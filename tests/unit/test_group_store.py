"""The group store on a real SQLite file: a group of thousands of members
is as cheap to change, and to read without its members, as a group of ten.

"Cheap" is measured, not inferred from SQL text: SQLite's progress handler
counts the virtual-machine instructions each store call executes, which is
the work the database does (B-tree descents included). The same calls on a
small and a large group must cost about the same; reading the members must
not (that check proves the counter would see member rows being read).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scimdock.core.membership import Member, plan_patch
from scimdock.core.query import build_query
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import GROUP, USER
from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import InvalidReference
from scimdock.store.sqlite import SqliteStore

SMALL, LARGE = 10, 5000


def _store() -> BlockingStore:
    """A store whose every statement runs on one connection, the loop's
    (``:memory:``), without a time budget: :func:`steps` counts its work."""
    return BlockingStore(SqliteStore(":memory:", query_budget=None))


def steps(store: BlockingStore, call: Callable[[], Any]) -> int:
    """VM instructions SQLite runs for ``call`` on the store's connection."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    conn: sqlite3.Connection = store.store._engine._wconn  # the store's one connection
    conn.set_progress_handler(tick, 1)
    try:
        call()
    finally:
        conn.set_progress_handler(None, 1)
    return count


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    store = _store()
    tenant = store.create_tenant("acme").id
    docs = [normalize_resource({"userName": f"u{i}@example.com"}, USER) for i in range(LARGE + 20)]
    store.create_users(tenant, docs)
    query, _ = build_query(
        USER,
        filter=None,
        sort_by=None,
        sort_order=None,
        start_index=None,
        count=LARGE + 20,
        max_results=LARGE + 20,
    )
    users = [r.id for r in store.search(tenant, "User", query)[1]]
    small = store.create(
        tenant, "Group", {"displayName": "small"}, tuple(Member(u) for u in users[:SMALL])
    )
    large = store.create(
        tenant, "Group", {"displayName": "large"}, tuple(Member(u) for u in users[:LARGE])
    )
    yield {"store": store, "tenant": tenant, "users": users, "small": small.id, "large": large.id}
    store.close()


def patch(world: dict[str, Any], group: str, *ops: dict[str, Any]) -> Callable[[], Any]:
    store, tenant = world["store"], world["tenant"]
    return lambda: store.update(tenant, "Group", group, lambda cur: plan_patch(cur.doc, list(ops)))


def same_cost(world: dict[str, Any], make: Callable[[str], Callable[[], Any]]) -> tuple[int, int]:
    small = steps(world["store"], make(world["small"]))
    large = steps(world["store"], make(world["large"]))
    assert large <= small * 1.1 + 10, (small, large)  # O(n) would be thousands more
    return small, large


def test_reading_members_is_what_costs(world: dict[str, Any]) -> None:
    """The control: the counter sees member rows when they are read."""
    store, tenant = world["store"], world["tenant"]
    small = steps(store, lambda: store.get(tenant, "Group", world["small"], with_members=True))
    large = steps(store, lambda: store.get(tenant, "Group", world["large"], with_members=True))
    assert large > small * 100, (small, large)
    assert len(store.get(tenant, "Group", world["large"], with_members=True).members or ()) == LARGE


def test_get_and_list_without_members_never_read_them(world: dict[str, Any]) -> None:
    store, tenant = world["store"], world["tenant"]
    same_cost(world, lambda gid: lambda: store.get(tenant, "Group", gid))
    assert store.get(tenant, "Group", world["large"]).members is None

    def listing(gid: str) -> Callable[[], Any]:
        name = "small" if gid == world["small"] else "large"
        query, _ = build_query(
            GROUP,
            filter=f'displayName eq "{name}"',
            sort_by=None,
            sort_order=None,
            start_index=None,
            count=10,
            max_results=10,
        )
        return lambda: store.search(tenant, "Group", query)

    same_cost(world, listing)


def test_patch_costs_do_not_grow_with_the_group(world: dict[str, Any]) -> None:
    users = world["users"]
    newcomer, other = users[-1], users[-2]
    add = {"op": "add", "path": "members", "value": [{"value": newcomer}]}
    same_cost(world, lambda gid: patch(world, gid, add))
    remove = {"op": "remove", "path": f'members[value eq "{newcomer}"]'}
    same_cost(world, lambda gid: patch(world, gid, remove))
    entra_add = {"op": "Add", "path": "members", "value": [{"value": newcomer}, {"value": other}]}
    entra_remove = {
        "op": "Remove",
        "path": "members",
        "value": [{"value": newcomer}, {"value": other}],
    }
    same_cost(world, lambda gid: patch(world, gid, entra_add, entra_remove))
    rename = {"op": "replace", "path": "externalId", "value": "x"}
    same_cost(world, lambda gid: patch(world, gid, rename))
    store, tenant = world["store"], world["tenant"]
    after = store.get(tenant, "Group", world["large"], with_members=True)
    assert len(after.members or ()) == LARGE and after.doc["externalId"] == "x"


def test_a_users_groups_cost_its_memberships_not_the_groups(world: dict[str, Any]) -> None:
    """GET /Users renders ``groups``: a member of the 5000-member group is
    as cheap as a member of a group of one."""
    store, tenant, users = world["store"], world["tenant"], world["users"]
    in_large, in_solo = users[LARGE - 1], users[LARGE + 10]
    solo = store.create(tenant, "Group", {"displayName": "solo"}, (Member(in_solo),))
    small = steps(store, lambda: store.user_groups(tenant, [in_solo]))
    large = steps(store, lambda: store.user_groups(tenant, [in_large]))
    assert large <= small * 1.1 + 10, (small, large)
    assert [g.id for g in store.user_groups(tenant, [in_solo])[in_solo]] == [solo.id]
    assert [g.id for g in store.user_groups(tenant, [in_large])[in_large]] == [world["large"]]


def test_a_users_groups_cost_the_same_in_a_tenant_of_any_size(world: dict[str, Any]) -> None:
    """Whether a tenant nests groups is one index probe, not a walk over
    the tenant's memberships (thousands here)."""
    store, tenant, users = world["store"], world["tenant"], world["users"]
    member = users[LARGE + 11]
    store.create(tenant, "Group", {"displayName": "one"}, (Member(member),))
    tiny = store.create_tenant("tiny").id
    store.create_users(tiny, [normalize_resource({"userName": "t@example.com"}, USER)])
    query, _ = build_query(
        USER, filter=None, sort_by=None, sort_order=None, start_index=None, count=1, max_results=1
    )
    lone = store.search(tiny, "User", query)[1][0].id
    store.create(tiny, "Group", {"displayName": "one"}, (Member(lone),))
    small = steps(store, lambda: store.user_groups(tiny, [lone]))
    large = steps(store, lambda: store.user_groups(tenant, [member]))
    assert large <= small * 1.1 + 10, (small, large)


def test_a_bad_member_fails_the_whole_patch(world: dict[str, Any]) -> None:
    store, tenant, users = world["store"], world["tenant"], world["users"]
    before = store.get(tenant, "Group", world["small"], with_members=True)
    ops = [
        {"op": "replace", "path": "displayName", "value": "renamed"},
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [{"value": users[-3]}, {"value": "nobody"}]},
    ]
    with pytest.raises(InvalidReference) as info:
        store.update(tenant, "Group", world["small"], lambda cur: plan_patch(cur.doc, ops))
    assert "Operations[2]" in info.value.detail
    assert store.get(tenant, "Group", world["small"], with_members=True) == before


def test_deleting_a_member_costs_its_memberships_not_the_groups(tmp_path: Path) -> None:
    """A user in a group of thousands (in a tenant of thousands of member
    rows) is deleted with the same work as one in a group of one."""
    store = _store()

    def tenant_with_group(name: str, size: int) -> tuple[int, list[str], str]:
        tenant = store.create_tenant(name).id
        store.create_users(
            tenant, [normalize_resource({"userName": f"{name}{i}"}, USER) for i in range(size)]
        )
        query, _ = build_query(
            USER,
            filter=None,
            sort_by=None,
            sort_order=None,
            start_index=None,
            count=size,
            max_results=size,
        )
        users = [r.id for r in store.search(tenant, "User", query)[1]]
        group = store.create(
            tenant, "Group", {"displayName": name}, tuple(Member(u) for u in users)
        )
        return tenant, users, group.id

    tiny, tiny_users, tiny_group = tenant_with_group("tiny", 1)
    big, big_users, big_group = tenant_with_group("big", LARGE)
    cost_tiny = steps(store, lambda: store.delete(tiny, "User", tiny_users[0]))
    cost_big = steps(store, lambda: store.delete(big, "User", big_users[0]))
    assert cost_big <= cost_tiny * 1.1 + 10, (cost_tiny, cost_big)
    got = store.get(big, "Group", big_group, with_members=True)
    assert {m.id for m in got.members or ()} == set(big_users[1:]) and got.version == 2
    assert store.get(tiny, "Group", tiny_group, with_members=True).members == ()
    store.close()
