"""Resetting a tenant's data (the mock's ``POST /tenants/{t}/reset``):
users, tombstones, groups and memberships go; the tenant, its keys, its
admin tokens, its audit log and every other tenant's data stay."""

from __future__ import annotations

import pytest

from scimdock.core import credentials
from scimdock.core.membership import Member
from scimdock.store.base import Store
from scimdock.store.errors import NotFound

from .support import ADMIN, group, lines, query, user


class ResetContract:
    async def test_reset_removes_resources_and_keeps_credentials(
        self, store: Store, tenant: int
    ) -> None:
        other = (await store.create_tenant("other")).id
        kept = await store.create(other, "User", user("kept@x"))
        new = credentials.generate(credentials.SYSTEM_RANDOM)
        await store.add_key(tenant, new.key_id, new.secret_hash, "k")
        ann = await store.create(tenant, "User", user("ann@x"))
        gone = await store.create(tenant, "User", user("gone@x"))
        await store.delete(tenant, "User", gone.id)  # a tombstone
        await store.create(tenant, "Group", group("team"), (Member(ann.id, "User"),))

        assert await store.reset_tenant_data(tenant, actor=ADMIN) == (2, 1)

        assert (await store.search(tenant, "User", query()))[0] == 0
        assert await store.list_tombstones(tenant) == []
        assert not await store.tenant_holds_data(tenant)
        assert [k.key_id for k in await store.list_keys(tenant)] == [new.key_id]
        assert (await store.get(other, "User", kept.id)).id == kept.id
        assert (await lines(store, tenant))[-1][:3] == ("reset", "Tenant", "acme")
        # The same user name and group name can be created again.
        await store.create(tenant, "User", user("ann@x"))
        await store.create(tenant, "Group", group("team"))
        assert await store.reset_tenant_data(tenant) == (1, 1)

    async def test_reset_of_an_unknown_tenant(self, store: Store, tenant: int) -> None:
        with pytest.raises(NotFound):
            await store.reset_tenant_data(tenant + 1000)
