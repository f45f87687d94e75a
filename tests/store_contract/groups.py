"""Groups (RFC 7643 §4.2, RFC 7644 §3.5.2): members as references to live
resources of the tenant, the membership actions of core.membership,
nested groups and a user's ``groups`` (RFC 7643 §4.1.2)."""

from __future__ import annotations

import pytest

from scimdock.core.clock import ManualClock
from scimdock.core.membership import (
    AddMembers,
    ClearMembers,
    GroupChange,
    Member,
    RemoveMembers,
    ReplaceMembers,
    plan_patch,
)
from scimdock.core.schema import GROUP
from scimdock.store.base import GroupRecord, MemberRecord, Membership, Store
from scimdock.store.errors import Conflict, InvalidReference, NotFound, PreconditionFailed

from .support import KEY, START, ContractBase, group, group_change, is_uuid, lines, query, user

MISSING = "00000000-0000-4000-8000-000000000000"


async def members(store: Store, tenant: int, group_id: str) -> list[tuple[str, str, str | None]]:
    record = await store.get(tenant, "Group", group_id, with_members=True)
    assert record.members is not None
    return sorted((m.id, m.type, m.display) for m in record.members)


class GroupContract(ContractBase):
    async def test_create_with_members(self, store: Store, tenant: int) -> None:
        ann = await store.create(tenant, "User", user("ann@x", displayName="Ann"))
        bob = await store.create(tenant, "User", user("bob@x"))
        inner = await store.create(tenant, "Group", group("inner"))
        doc = group("outer", externalId="e-1")
        outer = await store.create(
            tenant,
            "Group",
            doc,
            (Member(ann.id, "User"), Member(bob.id), Member(inner.id, "Group")),
            with_members=True,
            actor=KEY,
        )
        assert is_uuid(outer.id) and outer.id != inner.id
        assert (outer.doc, outer.created, outer.last_modified, outer.version) == (
            doc,
            START,
            START,
            1,
        )
        assert outer.members is not None
        # The display is the user's displayName, else its userName; a group's displayName.
        assert sorted((m.id, m.type, m.display) for m in outer.members) == sorted(
            [(ann.id, "User", "Ann"), (bob.id, "User", "bob@x"), (inner.id, "Group", "inner")]
        )
        bare = await store.get(tenant, "Group", outer.id)
        assert bare == GroupRecord(outer.id, doc, START, START, 1, None)
        assert await store.get(tenant, "Group", outer.id, with_members=True) == outer
        plain = await store.create(tenant, "Group", group("plain"))
        assert plain == GroupRecord(plain.id, group("plain"), START, START, 1, None)
        assert await store.get(tenant, "Group", plain.id, with_members=True) == GroupRecord(
            plain.id, group("plain"), START, START, 1, ()
        )
        with pytest.raises(NotFound):
            await store.get(tenant, "Group", MISSING)
        with pytest.raises(NotFound):
            await store.get(tenant, "Group", ann.id)  # a user is not a group
        assert [(op, rt, attrs) for op, rt, _, attrs in await lines(store, tenant)][-2:] == [
            ("create", "Group", ("displayName", "externalId", "members")),
            ("create", "Group", ("displayName",)),
        ]

    async def test_a_given_display_is_kept(self, store: Store, tenant: int) -> None:
        ann = await store.create(tenant, "User", user("ann@x", displayName="Ann"))
        g = await store.create(tenant, "Group", group("g"), (Member(ann.id, None, "Annie"),))
        assert await members(store, tenant, g.id) == [(ann.id, "User", "Annie")]

    async def test_members_must_be_live_resources_of_the_tenant(
        self, store: Store, tenant: int
    ) -> None:
        """RFC 7644 §3.5.2: a member that does not exist is a 400
        ``invalidValue``; nothing is written."""
        ann = await store.create(tenant, "User", user("ann@x"))
        gone = await store.create(tenant, "User", user("gone@x"))
        await store.delete(tenant, "User", gone.id)
        before = await lines(store, tenant)
        for bad in (Member(MISSING), Member(gone.id), Member(ann.id, "Group")):
            with pytest.raises(InvalidReference):
                await store.create(tenant, "Group", group("g"), (Member(ann.id), bad))
        assert await store.search(tenant, "Group", query(GROUP)) == (0, [])
        assert await lines(store, tenant) == before
        g = await store.create(tenant, "Group", group("g"), (Member(ann.id),))
        for bad_action in (
            AddMembers((Member(MISSING),), "members"),
            AddMembers((Member(g.id),), "members"),  # itself
            ReplaceMembers((Member(ann.id), Member(g.id, "Group")), "members"),
        ):
            with pytest.raises(InvalidReference):
                await store.update(tenant, "Group", g.id, group_change(bad_action, displayName="h"))
        assert await store.get(tenant, "Group", g.id) == g
        assert await members(store, tenant, g.id) == [(ann.id, "User", "ann@x")]

    async def test_display_name_is_unique_whatever_its_case(
        self, store: Store, tenant: int
    ) -> None:
        await store.create(tenant, "Group", group("Admins"))
        with pytest.raises(Conflict):
            await store.create(tenant, "Group", group("ADMINS"))
        other = await store.create(tenant, "Group", group("ops"))
        with pytest.raises(Conflict):
            await store.update(tenant, "Group", other.id, group_change(displayName="admins"))
        assert await store.get(tenant, "Group", other.id) == other
        assert (await store.search(tenant, "Group", query(GROUP)))[0] == 2

    async def test_membership_actions(self, store: Store, tenant: int, clock: ManualClock) -> None:
        a, b, c = [(await store.create(tenant, "User", user(f"{n}@x"))).id for n in "abc"]
        g = await store.create(tenant, "Group", group("g"), (Member(a),))
        clock.advance(1)
        added = await store.update(
            tenant,
            "Group",
            g.id,
            group_change(AddMembers((Member(a), Member(b)), "Operations[0]")),
            'W/"1"',
            with_members=True,
            operation="patch",
        )
        assert added.version == 2 and added.last_modified == clock.now()
        assert added.members is not None
        assert sorted(m.id for m in added.members) == sorted([a, b])  # ids case-folded
        removed = await store.update(
            tenant, "Group", g.id, group_change(RemoveMembers((a, MISSING), "Operations[0]"))
        )
        assert removed.members is None and removed.version == 3
        assert [m[0] for m in await members(store, tenant, g.id)] == [b]
        replaced = await store.update(
            tenant, "Group", g.id, group_change(ReplaceMembers((Member(a), Member(c)), "members"))
        )
        assert replaced.version == 4
        assert [m[0] for m in await members(store, tenant, g.id)] == sorted([a, c])
        cleared = await store.update(tenant, "Group", g.id, group_change(ClearMembers("members")))
        assert cleared.version == 5 and await members(store, tenant, g.id) == []
        # Through the PATCH planner, as the handlers call it.
        patched = await store.update(
            tenant,
            "Group",
            g.id,
            lambda cur: plan_patch(
                cur.doc,
                [
                    {"op": "add", "path": "members", "value": [{"value": b}]},
                    {"op": "replace", "path": "displayName", "value": "renamed"},
                ],
            ),
            with_members=True,
        )
        assert patched.doc["displayName"] == "renamed" and patched.version == 6
        assert patched.members == (MemberRecord(b, "User", "b@x"),)
        assert [attrs for op, rt, _, attrs in await lines(store, tenant) if op != "create"] == [
            ("members",),
            ("members",),
            ("members",),
            ("members",),
            ("displayName", "members"),
        ]

    async def test_a_change_that_changes_nothing_keeps_the_version(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        a = (await store.create(tenant, "User", user("a@x"))).id
        g = await store.create(tenant, "Group", group("g"), (Member(a),))
        before = await lines(store, tenant)
        clock.advance(5)
        for action in (
            AddMembers((Member(a),), "members"),
            RemoveMembers((MISSING,), "members"),
            ReplaceMembers((Member(a),), "members"),
        ):
            assert await store.update(tenant, "Group", g.id, group_change(action)) == g
        assert await store.get(tenant, "Group", g.id) == g
        assert await lines(store, tenant) == before

    async def test_conditional_update_and_delete(self, store: Store, tenant: int) -> None:
        g = await store.create(tenant, "Group", group("g"))
        current = await store.update(tenant, "Group", g.id, group_change(displayName="h"))
        before = await lines(store, tenant)
        with pytest.raises(PreconditionFailed):
            await store.update(tenant, "Group", g.id, group_change(displayName="i"), 'W/"1"')
        with pytest.raises(PreconditionFailed):
            await store.delete(tenant, "Group", g.id, if_match='W/"1"')
        assert await store.get(tenant, "Group", g.id) == current
        assert await lines(store, tenant) == before
        with pytest.raises(NotFound):
            await store.update(tenant, "Group", MISSING, group_change(displayName="x"))
        await store.delete(tenant, "Group", g.id, if_match='W/"2"', actor=KEY)
        with pytest.raises(NotFound):
            await store.get(tenant, "Group", g.id)
        with pytest.raises(NotFound):
            await store.delete(tenant, "Group", g.id)
        with pytest.raises(NotFound):
            await store.update(tenant, "Group", g.id, group_change(displayName="x"))
        assert await store.search(tenant, "Group", query(GROUP)) == (0, [])
        assert (await store.create(tenant, "Group", group("H"))).version == 1  # name free again

    async def test_a_change_that_raises_writes_nothing(self, store: Store, tenant: int) -> None:
        a = (await store.create(tenant, "User", user("a@x"))).id
        g = await store.create(tenant, "Group", group("g"))
        before = await lines(store, tenant)

        def refuse(current: GroupRecord) -> GroupChange:
            return plan_patch(current.doc, [{"op": "add", "path": "nonsense[", "value": 1}])

        with pytest.raises(Exception) as err:
            await store.update(tenant, "Group", g.id, refuse)
        assert getattr(err.value, "status", None) == 400
        # An action that fails after an earlier one succeeded undoes both.
        with pytest.raises(InvalidReference):
            await store.update(
                tenant,
                "Group",
                g.id,
                group_change(
                    AddMembers((Member(a),), "Operations[0]"),
                    AddMembers((Member(MISSING),), "Operations[1]"),
                    displayName="changed",
                ),
            )
        assert await store.get(tenant, "Group", g.id) == g
        assert await members(store, tenant, g.id) == []
        assert await lines(store, tenant) == before

    async def test_list_groups(self, store: Store, tenant: int) -> None:
        a = (await store.create(tenant, "User", user("a@x"))).id
        for name in ("beta", "alpha", "gamma"):
            await store.create(tenant, "Group", group(name), (Member(a),) if name != "beta" else ())
        total, page = await store.search(
            tenant, "Group", query(GROUP, sort_by="displayName", count=2), with_members=True
        )
        assert total == 3 and [g.doc["displayName"] for g in page] == ["alpha", "beta"]
        assert [len(g.members or ()) for g in page] == [1, 0]
        total, page = await store.search(tenant, "Group", query(GROUP, filter='displayName sw "g"'))
        assert total == 1 and page[0].members is None
        total, page = await store.search(
            tenant, "Group", query(GROUP, filter=f'members.value eq "{a}"', sort_by="displayName")
        )
        assert (total, [g.doc["displayName"] for g in page]) == (2, ["alpha", "gamma"])


class NestingContract(ContractBase):
    async def test_user_groups_direct_and_indirect(self, store: Store, tenant: int) -> None:
        """RFC 7643 §4.1.2: a user's ``groups`` holds the groups it is in
        directly or through nested groups."""
        ann = await store.create(tenant, "User", user("ann@x"))
        bob = await store.create(tenant, "User", user("bob@x"))
        team = await store.create(tenant, "Group", group("team"), (Member(ann.id),))
        dept = await store.create(tenant, "Group", group("dept"), (Member(team.id), Member(bob.id)))
        org = await store.create(tenant, "Group", group("org"), (Member(dept.id), Member(ann.id)))
        found = await store.user_groups(tenant, [ann.id, bob.id, MISSING])
        assert set(found) == {ann.id, bob.id, MISSING}
        assert sorted(found[ann.id], key=lambda m: m.display) == [
            Membership(dept.id, "dept", False),
            Membership(org.id, "org", True),  # direct and indirect: direct
            Membership(team.id, "team", True),
        ]
        assert sorted(found[bob.id], key=lambda m: m.display) == [
            Membership(dept.id, "dept", True),
            Membership(org.id, "org", False),
        ]
        assert found[MISSING] == []
        assert await store.user_groups(tenant, []) == {}

    async def test_deleting_a_group_drops_its_memberships_both_ways(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        ann = await store.create(tenant, "User", user("ann@x"))
        team = await store.create(tenant, "Group", group("team"), (Member(ann.id),))
        dept = await store.create(tenant, "Group", group("dept"), (Member(team.id),))
        clock.advance(1)
        await store.delete(tenant, "Group", team.id)
        assert await members(store, tenant, dept.id) == []
        after = await store.get(tenant, "Group", dept.id)
        # Its member list changed: a new version (RFC 7644 §3.14).
        assert after.version == 2 and after.last_modified == clock.now()
        assert await store.user_groups(tenant, [ann.id]) == {ann.id: []}
        with pytest.raises(InvalidReference):
            await store.update(
                tenant, "Group", dept.id, group_change(AddMembers((Member(team.id),), "members"))
            )

    async def test_deleting_a_user_drops_its_memberships(self, store: Store, tenant: int) -> None:
        ann = await store.create(tenant, "User", user("ann@x"))
        bob = await store.create(tenant, "User", user("bob@x"))
        team = await store.create(tenant, "Group", group("team"), (Member(ann.id), Member(bob.id)))
        await store.delete(tenant, "User", ann.id)
        assert [m[0] for m in await members(store, tenant, team.id)] == [bob.id]
        assert (await store.get(tenant, "Group", team.id)).version == 2
        # Memberships ended at delete time are not brought back by a restore.
        await store.restore_user(tenant, ann.id)
        assert [m[0] for m in await members(store, tenant, team.id)] == [bob.id]
        assert await store.user_groups(tenant, [ann.id]) == {ann.id: []}
