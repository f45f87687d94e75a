"""Keyset pages (``ListQuery.keyset``, the store side of RFC 9865 cursor
paging): rows strictly after a position in the list's order, each with its
own position; the same order as offset pages, with or without ``sortBy``,
ascending and descending, NULLs last ascending and first descending (RFC
7644 §3.4.2.3); stable under inserts and deletes between pages; the total
counts every match. Every position makes the round trip through a cursor
(core.cursor), as it does between two HTTP requests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scimdock.core import cursor
from scimdock.core.query import ListQuery, Position
from scimdock.core.schema import GROUP
from scimdock.store.base import Store

from .support import ContractBase, group, query, user

KEY = b"k" * 32
SCOPE = cursor.scope(1, "/Users")


def _through_cursor(position: Position | None) -> Position | None:
    """``position`` as the next request reads it back from its cursor."""
    text = cursor.issue(cursor.Cursor("User", position, 0), key=KEY, bound=SCOPE)
    return cursor.read(text, key=KEY, bound=SCOPE, now=0, timeout=60).position


async def _walk(
    store: Store, tenant: int, q: ListQuery, size: int, groups: bool = False
) -> list[str]:
    """Every id of a keyset walk of pages of ``size``."""
    seen: list[str] = []
    after: Position | None = None
    while True:
        page = replace(q, keyset=True, after=after, count=size)
        if groups:
            _total, rows = await store.search(tenant, "Group", page, with_members=True)
        else:
            _total, rows = await store.search(tenant, "User", page)  # type: ignore[assignment]
        assert all(r.position is not None for r in rows)
        seen += [r.id for r in rows]
        if len(rows) < size:
            return seen
        after = _through_cursor(rows[-1].position)


async def _ids(store: Store, tenant: int, q: ListQuery) -> list[str]:
    """The same list by offset, in one page."""
    return [r.id for r in (await store.search(tenant, "User", replace(q, count=1000)))[1]]


PEOPLE: list[dict[str, Any]] = [
    {"title": "b", "active": True, "emails": [{"value": "z@x"}, {"value": "a@x", "primary": True}]},
    {"active": False},
    {"title": "A", "emails": [{"value": "m@x"}]},
    {"title": "c", "active": True, "emails": [{"value": "b@x"}]},
    {},
    {"title": "b", "active": False, "emails": [{"value": "M@x"}]},
    {"title": "a", "active": True},
]


class KeysetContract(ContractBase):
    async def test_unsorted_walk_is_insertion_order_and_total_counts_all(
        self, store: Store, tenant: int
    ) -> None:
        made = [(await store.create(tenant, "User", user(f"u{n}"))).id for n in range(7)]
        assert await _walk(store, tenant, query(), 3) == made
        total, rows = await store.search(tenant, "User", replace(query(), keyset=True, count=2))
        assert total == 7 and [r.id for r in rows] == made[:2]
        after = rows[-1].position
        assert after is not None
        total, rows = await store.search(
            tenant, "User", replace(query(), keyset=True, after=after, count=100)
        )
        assert total == 7 and [r.id for r in rows] == made[2:]
        # A keyset query of count 0 still counts.
        total, rows = await store.search(tenant, "User", replace(query(), keyset=True, count=0))
        assert (total, rows) == (7, [])
        # Offset pages carry no position.
        assert all(r.position is None for r in (await store.search(tenant, "User", query()))[1])

    @pytest.mark.parametrize("sort_by", ["title", "active", "emails", "userName", "meta.created"])
    @pytest.mark.parametrize("order", ["ascending", "descending"])
    async def test_sorted_walk_matches_the_offset_order(
        self, store: Store, tenant: int, sort_by: str, order: str
    ) -> None:
        for n, attrs in enumerate(PEOPLE):
            await store.create(tenant, "User", user(f"p{n}", **attrs))
        q = query(sort_by=sort_by, sort_order=order)
        expected = await _ids(store, tenant, q)
        assert len(expected) == len(PEOPLE)
        for size in (1, 2, 3):
            assert await _walk(store, tenant, q, size) == expected

    async def test_rows_inserted_or_deleted_between_pages(self, store: Store, tenant: int) -> None:
        """A row that exists throughout is seen once; nothing is seen twice."""
        for label, sort_by in (("x", None), ("y", "title")):
            steady = [
                (await store.create(tenant, "User", user(f"{label}s{n}", title=f"t{n % 4}"))).id
                for n in range(8)
            ]
            doomed = [
                (await store.create(tenant, "User", user(f"{label}d{n}", title=f"t{n}"))).id
                for n in range(4)
            ]
            q = query(sort_by=sort_by, filter=f'userName sw "{label}"')
            expected = [i for i in await _ids(store, tenant, q) if i in steady]
            seen: list[str] = []
            after: Position | None = None
            for step in range(100):
                page = replace(q, keyset=True, after=after, count=2)
                _total, rows = await store.search(tenant, "User", page)
                seen += [r.id for r in rows]
                if len(rows) < 2:
                    break
                after = _through_cursor(rows[-1].position)
                for title in ("t0", "t9"):
                    await store.create(tenant, "User", user(f"{label}n{step}{title}", title=title))
                if doomed:
                    await store.delete(tenant, "User", doomed.pop(0))
            assert len(seen) == len(set(seen))
            assert [i for i in seen if i in steady] == expected

    async def test_filtered_walk_counts_the_filter(self, store: Store, tenant: int) -> None:
        for n in range(6):
            await store.create(tenant, "User", user(f"f{n}", active=n % 2 == 0))
        q = query(filter="active eq true", sort_by="userName", sort_order="descending")
        total, rows = await store.search(tenant, "User", replace(q, keyset=True, count=1))
        assert total == 3 and [r.doc["userName"] for r in rows] == ["f4"]
        total, rows = await store.search(
            tenant, "User", replace(q, keyset=True, after=rows[0].position, count=5)
        )
        assert total == 3 and [r.doc["userName"] for r in rows] == ["f2", "f0"]

    async def test_a_position_reads_only_its_own_tenants_rows(self, store: Store) -> None:
        acme = (await store.create_tenant("acme")).id
        other = (await store.create_tenant("other")).id
        for n in range(3):
            await store.create(acme, "User", user(f"a{n}"))
        mine = [(await store.create(other, "User", user(f"o{n}"))).id for n in range(3)]
        _total, rows = await store.search(acme, "User", replace(query(), keyset=True, count=1))
        total, theirs = await store.search(
            other, "User", replace(query(), keyset=True, after=rows[0].position, count=10)
        )
        assert total == 3 and set(r.id for r in theirs) <= set(mine)

    @pytest.mark.parametrize("order", ["ascending", "descending"])
    async def test_group_walk_with_members(self, store: Store, tenant: int, order: str) -> None:
        names = ["delta", "Alpha", "charlie", "bravo", "echo"]
        for name in names:
            await store.create(tenant, "Group", group(name))
        q = query(GROUP, sort_by="displayName", sort_order=order)
        walked = await _walk(store, tenant, q, 2, groups=True)
        _total, listed = await store.search(tenant, "Group", replace(q, count=100))
        assert walked == [g.id for g in listed]
        _total, rows = await store.search(
            tenant, "Group", replace(q, keyset=True, count=2), with_members=True
        )
        assert all(g.members == () and g.position is not None for g in rows)
