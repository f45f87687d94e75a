"""Tenants are isolated (RFC 7644 §6, multi-tenancy): nothing of tenant A
can be read, changed, referenced or counted through tenant B's id."""

from __future__ import annotations

import pytest

from scimdock.core.membership import AddMembers, Member
from scimdock.core.schema import GROUP
from scimdock.store.base import Store
from scimdock.store.errors import InvalidReference, NotFound

from .support import ContractBase, group, group_change, lines, query, set_doc, user


class IsolationContract(ContractBase):
    async def test_nothing_crosses_tenants(self, store: Store) -> None:
        a = (await store.create_tenant("a")).id
        b = (await store.create_tenant("b")).id
        ann = await store.create(a, "User", user("ann@x"))
        gone = await store.create(a, "User", user("gone@x"))
        await store.delete(a, "User", gone.id)
        team = await store.create(a, "Group", group("team"), (Member(ann.id),))
        await store.add_key(a, "ka", b"k" * 32, "")
        a_lines = await lines(store, a)

        # The same names are free in B (uniqueness is per tenant).
        bob = await store.create(b, "User", user("ANN@x"))
        b_team = await store.create(b, "Group", group("team"))

        for read in (
            store.get(b, "User", ann.id),
            store.get(b, "Group", team.id),
            store.get(b, "Group", team.id, with_members=True),
            store.update(b, "User", ann.id, set_doc(displayName="x")),
            store.update(b, "Group", team.id, group_change(displayName="x")),
            store.delete(b, "User", ann.id),
            store.delete(b, "Group", team.id),
            store.restore_user(b, gone.id),
            store.purge_user(b, gone.id),
        ):
            with pytest.raises(NotFound):
                await read
        assert [u.id for u in (await store.search(b, "User", query()))[1]] == [bob.id]
        assert [g.id for g in (await store.search(b, "Group", query(GROUP)))[1]] == [b_team.id]
        assert (await store.search(b, "User", query(filter='userName eq "ann@x"')))[1][
            0
        ].id == bob.id
        assert await store.list_tombstones(b) == []
        assert await store.purge_tombstones(b, "2100-01-01") == []
        assert await store.lookup_user(b, user_id=ann.id) is None
        assert await store.lookup_user(b, user_id=gone.id) is None
        assert await store.user_groups(b, [ann.id]) == {ann.id: []}
        assert await store.list_keys(b) == []
        with pytest.raises(InvalidReference):
            await store.create(b, "Group", group("x"), (Member(ann.id),))
        with pytest.raises(InvalidReference):
            await store.update(
                b, "Group", b_team.id, group_change(AddMembers((Member(team.id),), "members"))
            )
        # A's rows are as they were, and its log holds nothing of B's.
        assert await store.get(a, "User", ann.id) == ann
        assert await store.get(a, "Group", team.id) == team
        assert [t.id for t in await store.list_tombstones(a)] == [gone.id]
        assert await lines(store, a) == a_lines
        assert not any(rid in (bob.id, b_team.id) for _, _, rid, _ in await lines(store, a))
        # Deleting B with force leaves A whole.
        await store.delete_tenant("b", force=True)
        assert (await store.search(a, "User", query()))[0] == 1
        assert await store.tenant_holds_data(a)
