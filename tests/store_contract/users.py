"""Users (RFC 7643 §4.1, RFC 7644 §3.3-§3.6, §3.14): create, read,
conditional update and delete, uniqueness of ``userName``, lists, bulk
creation, tombstones, restore and purge."""

from __future__ import annotations

from typing import Any

import pytest

from scimdock.core.clock import ManualClock
from scimdock.core.errors import bad_request
from scimdock.store.base import Store, Tombstone, UserRecord
from scimdock.store.errors import Conflict, NotFound, PreconditionFailed

from .support import KEY, START, ContractBase, is_uuid, lines, query, set_doc, user

MISSING = "00000000-0000-4000-8000-000000000000"


class UserContract(ContractBase):
    async def test_create_assigns_a_fresh_id_and_the_clocks_time(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        doc = user("ann@x", displayName="Ann", active=True)
        ann = await store.create(tenant, "User", doc, actor=KEY)
        assert is_uuid(ann.id)
        assert ann == UserRecord(ann.id, doc, START, START, 1)
        clock.advance(1.5)
        bob = await store.create(tenant, "User", user("bob@x"))
        assert is_uuid(bob.id) and bob.id != ann.id
        assert (bob.created, bob.last_modified) == (clock.now(), clock.now())
        assert await store.get(tenant, "User", ann.id) == ann
        with pytest.raises(NotFound):
            await store.get(tenant, "User", MISSING)

    async def test_user_name_is_unique_whatever_its_case(self, store: Store, tenant: int) -> None:
        """RFC 7643 §4.1.1: ``userName`` is unique, ``caseExact`` false;
        a taken one is a 409 ``uniqueness`` (RFC 7644 §3.3)."""
        ann = await store.create(tenant, "User", user("ann@x"))
        with pytest.raises(Conflict):
            await store.create(tenant, "User", user("ANN@X"))
        bob = await store.create(tenant, "User", user("bob@x"))
        with pytest.raises(Conflict):
            await store.update(tenant, "User", bob.id, set_doc(userName="Ann@x"))
        assert await store.get(tenant, "User", bob.id) == bob
        assert (await store.search(tenant, "User", query()))[0] == 2
        # The user itself may change the case of its own name.
        renamed = await store.update(tenant, "User", ann.id, set_doc(userName="Ann@X"))
        assert renamed.doc["userName"] == "Ann@X"

    async def test_update_writes_a_new_version(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        ann = await store.create(tenant, "User", user("ann@x"))
        seen: list[UserRecord] = []

        def change(current: UserRecord) -> dict[str, Any]:
            seen.append(current)
            return {**current.doc, "displayName": "Ann"}

        clock.advance(30)
        updated = await store.update(tenant, "User", ann.id, change, 'W/"1"', operation="patch")
        assert seen == [ann]
        assert updated == UserRecord(
            ann.id, {**ann.doc, "displayName": "Ann"}, START, clock.now(), 2
        )
        assert await store.get(tenant, "User", ann.id) == updated
        with pytest.raises(NotFound):
            await store.update(tenant, "User", MISSING, set_doc(displayName="x"))

    async def test_a_stale_if_match_writes_nothing(self, store: Store, tenant: int) -> None:
        """RFC 7644 §3.14: If-Match with a version no longer current fails."""
        ann = await store.create(tenant, "User", user("ann@x"))
        current = await store.update(tenant, "User", ann.id, set_doc(displayName="Ann"))
        called: list[UserRecord] = []

        def change(record: UserRecord) -> dict[str, Any]:
            called.append(record)
            return {**record.doc, "displayName": "Stale"}

        before = await lines(store, tenant)
        with pytest.raises(PreconditionFailed):
            await store.update(tenant, "User", ann.id, change, 'W/"1"')
        with pytest.raises(PreconditionFailed):
            await store.delete(tenant, "User", ann.id, if_match='W/"1"')
        assert await store.get(tenant, "User", ann.id) == current
        assert await lines(store, tenant) == before
        assert (await store.update(tenant, "User", ann.id, set_doc(title="t"), '"2"')).version == 3
        assert (await store.update(tenant, "User", ann.id, set_doc(title="u"), "*")).version == 4

    async def test_a_change_that_raises_writes_nothing(self, store: Store, tenant: int) -> None:
        ann = await store.create(tenant, "User", user("ann@x"))
        before = await lines(store, tenant)

        def refuse(current: UserRecord) -> dict[str, Any]:
            raise bad_request("mutability", "userName is the wrong shape")

        with pytest.raises(Exception) as err:
            await store.update(tenant, "User", ann.id, refuse)
        assert getattr(err.value, "scim_type", None) == "mutability"
        assert await store.get(tenant, "User", ann.id) == ann
        assert await lines(store, tenant) == before

    async def test_a_change_that_changes_nothing_keeps_the_version(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        ann = await store.create(tenant, "User", user("ann@x", displayName="Ann"))
        before = await lines(store, tenant)
        clock.advance(60)
        same = await store.update(tenant, "User", ann.id, set_doc(displayName="Ann"))
        assert same == ann
        assert await store.get(tenant, "User", ann.id) == ann
        assert await lines(store, tenant) == before

    async def test_delete_leaves_a_tombstone(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        ann = await store.create(tenant, "User", user("ann@x", displayName="Ann"))
        clock.advance(7)
        await store.delete(tenant, "User", ann.id, if_match='W/"1"', actor=KEY)
        with pytest.raises(NotFound):
            await store.get(tenant, "User", ann.id)
        with pytest.raises(NotFound):
            await store.delete(tenant, "User", ann.id)
        with pytest.raises(NotFound):
            await store.update(tenant, "User", ann.id, set_doc(displayName="x"))
        assert await store.search(tenant, "User", query()) == (0, [])
        tomb = Tombstone(ann.id, "ann@x", clock.now(), ann.doc)
        assert await store.list_tombstones(tenant) == [tomb]
        assert await store.lookup_user(tenant, user_id=ann.id) == tomb
        # Its userName is free again for a new user (RFC 7644 §3.6).
        again = await store.create(tenant, "User", user("Ann@x"))
        assert again.id != ann.id

    async def test_list_filters_sorts_and_pages(self, store: Store, tenant: int) -> None:
        """RFC 7644 §3.4.2: filter, then sort, then page; ``totalResults``
        counts every match."""
        names = ["dan@x", "ann@x", "cat@y", "bob@x", "eve@x"]
        made = {n: await store.create(tenant, "User", user(n, active=n != "bob@x")) for n in names}
        await store.delete(tenant, "User", made["eve@x"].id)

        total, page = await store.search(tenant, "User", query(filter='userName ew "@X"'))
        assert total == 3 and {r.doc["userName"] for r in page} == {"dan@x", "ann@x", "bob@x"}
        total, page = await store.search(
            tenant,
            "User",
            query(sort_by="userName", sort_order="descending", start_index=2, count=2),
        )
        assert total == 4 and [r.doc["userName"] for r in page] == ["cat@y", "bob@x"]
        total, page = await store.search(
            tenant, "User", query(filter="active eq true", sort_by="userName")
        )
        assert (total, [r.doc["userName"] for r in page]) == (3, ["ann@x", "cat@y", "dan@x"])
        assert await store.search(tenant, "User", query(count=0)) == (4, [])
        assert await store.search(tenant, "User", query(start_index=10)) == (4, [])
        total, [found] = await store.search(
            tenant, "User", query(filter=f'id eq "{made["ann@x"].id}"')
        )
        assert found == made["ann@x"]

    async def test_create_users_is_all_or_nothing(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        assert await store.create_users(tenant, [user("a@x"), user("b@x")], actor=KEY) == 2
        total, page = await store.search(tenant, "User", query(sort_by="userName"))
        assert total == 2 and all(is_uuid(r.id) and r.version == 1 for r in page)
        assert {r.created for r in page} == {clock.now()}
        before = await lines(store, tenant)
        assert [op for op, *_ in before] == ["create", "create", "create"]
        with pytest.raises(Conflict):
            await store.create_users(tenant, [user("c@x"), user("B@X")])  # taken
        with pytest.raises(Conflict):
            await store.create_users(tenant, [user("d@x"), user("D@x")])  # repeated
        assert (await store.search(tenant, "User", query()))[0] == 2
        assert await lines(store, tenant) == before
        assert await store.create_users(tenant, []) == 0


class TombstoneContract(ContractBase):
    async def test_restore_brings_back_the_same_id(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        ann = await store.create(tenant, "User", user("ann@x", displayName="Ann"))
        await store.delete(tenant, "User", ann.id)
        clock.advance(3)
        restored = await store.restore_user(tenant, ann.id, actor=KEY)
        assert restored == UserRecord(ann.id, ann.doc, ann.created, clock.now(), 2)
        assert await store.get(tenant, "User", ann.id) == restored
        assert await store.list_tombstones(tenant) == []
        with pytest.raises(NotFound):
            await store.restore_user(tenant, ann.id)  # live: not a tombstone
        with pytest.raises(NotFound):
            await store.restore_user(tenant, MISSING)

    async def test_restore_is_a_conflict_when_the_name_was_taken(
        self, store: Store, tenant: int
    ) -> None:
        ann = await store.create(tenant, "User", user("ann@x"))
        await store.delete(tenant, "User", ann.id)
        taker = await store.create(tenant, "User", user("ANN@x"))
        before = await lines(store, tenant)
        with pytest.raises(Conflict):
            await store.restore_user(tenant, ann.id)
        assert [t.id for t in await store.list_tombstones(tenant)] == [ann.id]
        assert await lines(store, tenant) == before
        await store.delete(tenant, "User", taker.id)
        assert (await store.restore_user(tenant, ann.id)).id == ann.id

    async def test_purge_user(self, store: Store, tenant: int) -> None:
        ann = await store.create(tenant, "User", user("ann@x"))
        with pytest.raises(NotFound):
            await store.purge_user(tenant, ann.id)  # live users are not purged
        assert await store.get(tenant, "User", ann.id) == ann
        await store.delete(tenant, "User", ann.id)
        await store.purge_user(tenant, ann.id, actor=KEY)
        assert await store.list_tombstones(tenant) == []
        assert await store.lookup_user(tenant, user_id=ann.id) is None
        with pytest.raises(NotFound):
            await store.purge_user(tenant, ann.id)
        with pytest.raises(NotFound):
            await store.restore_user(tenant, ann.id)
        assert [(op, rid) for op, _, rid, _ in await lines(store, tenant)][-2:] == [
            ("delete", ann.id),
            ("purge", ann.id),
        ]

    async def test_purge_tombstones_by_age(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        old = await store.create(tenant, "User", user("old@x"))
        new = await store.create(tenant, "User", user("new@x"))
        live = await store.create(tenant, "User", user("live@x"))
        await store.delete(tenant, "User", old.id)
        clock.advance(10 * 86400)
        await store.delete(tenant, "User", new.id)
        assert await store.purge_tombstones(tenant, "2025-02-05T00:00:00Z", actor=KEY) == [old.id]
        assert [t.id for t in await store.list_tombstones(tenant)] == [new.id]
        assert await store.purge_tombstones(tenant, "2025-02-05") == []
        assert await store.purge_tombstones(tenant, clock.now()) == []  # not before: kept
        assert await store.get(tenant, "User", live.id) == live
        with pytest.raises(ValueError):
            await store.purge_tombstones(tenant, "last tuesday")

    async def test_lookup_by_id_and_by_name(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        first = await store.create(tenant, "User", user("ann@x", title="first"))
        await store.delete(tenant, "User", first.id)
        clock.advance(1)
        second = await store.create(tenant, "User", user("Ann@x", title="second"))
        await store.delete(tenant, "User", second.id)
        found = await store.lookup_user(tenant, user_name="ANN@X")
        assert isinstance(found, Tombstone) and found.id == second.id  # most recent
        assert (await store.lookup_user(tenant, user_id=first.id)) == Tombstone(
            first.id, "ann@x", START, first.doc
        )
        live = await store.create(tenant, "User", user("ann@x"))
        assert await store.lookup_user(tenant, user_name="ann@X") == live  # live wins
        assert await store.lookup_user(tenant, user_id=live.id) == live
        assert await store.lookup_user(tenant, user_name="nobody@x") is None
        assert await store.lookup_user(tenant, user_id=MISSING) is None
