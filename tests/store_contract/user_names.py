"""How a tenant's userNames are told apart (store.tenant_schema): case-folded
by default (RFC 7643 §4.1.1, caseExact false), as given once the tenant's
profile says so (scimdock.mock.rules.profile ``userNameCaseExact``). The switch re-keys the
tenant's users in one transaction, refuses (naming two) to make two live
users one, and moves the tenant's schema tag, which a key read reports."""

from __future__ import annotations

import asyncio

import pytest

from scimdock.core.extensions import case_exact_user_name
from scimdock.core.schema import USER
from scimdock.store.base import Store, UserRecord
from scimdock.store.errors import Conflict, NotFound

from .support import ADMIN, lines, query, set_doc, user

EXACT = case_exact_user_name(USER)


async def names(store: Store, tenant: int, filter: str, *, exact: bool = True) -> list[str]:
    q = query(EXACT if exact else USER, filter=filter, sort_by="userName")
    return [r.doc["userName"] for r in (await store.search(tenant, "User", q))[1]]


class UserNameCaseContract:
    async def test_folded_by_default(self, store: Store, tenant: int) -> None:
        found = await store.get_tenant_by_id(tenant)
        assert found is not None and not found.user_name_case_exact and found.schema_tag == 0
        await store.create(tenant, "User", user("Alice"))
        with pytest.raises(Conflict):
            await store.create(tenant, "User", user("alice"))
        assert await names(store, tenant, 'userName eq "ALICE"', exact=False) == ["Alice"]

    async def test_case_exact_tenant_keeps_names_apart(self, store: Store, tenant: int) -> None:
        other = (await store.create_tenant("other")).id
        await store.create(tenant, "User", user("Alice"))
        switched = await store.set_user_name_case_exact(tenant, True, actor=ADMIN)
        assert switched.user_name_case_exact and switched.schema_tag != 0
        second = await store.create(tenant, "User", user("alice"))
        with pytest.raises(Conflict):
            await store.create(tenant, "User", user("Alice"))
        assert await store.create_users(tenant, [user("Bob"), user("bob")]) == 2
        with pytest.raises(Conflict):
            await store.create_users(tenant, [user("Carol"), user("Carol")])

        assert await names(store, tenant, 'userName eq "alice"') == ["alice"]
        assert await names(store, tenant, 'userName eq "ALICE"') == []
        assert await names(store, tenant, 'userName sw "A"') == ["Alice"]
        assert await names(store, tenant, 'userName co "o"') == ["Bob", "bob"]
        found = await store.lookup_user(tenant, user_name="alice")
        assert isinstance(found, UserRecord) and found.id == second.id
        assert await store.lookup_user(tenant, user_name="ALICE") is None

        # Renaming onto a name that differs only in case is a new name here.
        renamed = await store.update(tenant, "User", second.id, set_doc(userName="ALICE"))
        assert renamed.doc["userName"] == "ALICE"
        with pytest.raises(Conflict):
            await store.update(tenant, "User", second.id, set_doc(userName="Alice"))

        # Another tenant still folds.
        await store.create(other, "User", user("Alice"))
        with pytest.raises(Conflict):
            await store.create(other, "User", user("ALICE"))
        log = [line[:3] for line in await lines(store, tenant)]
        assert ("replace", "Tenant", "acme") in log

    async def test_switch_back_refuses_to_merge_users(self, store: Store, tenant: int) -> None:
        await store.set_user_name_case_exact(tenant, True)
        first = await store.create(tenant, "User", user("Alice"))
        second = await store.create(tenant, "User", user("alice"))
        before = await store.tenant_schema(tenant)
        with pytest.raises(Conflict, match="'Alice' and 'alice'"):
            await store.set_user_name_case_exact(tenant, False)
        after = await store.tenant_schema(tenant)
        assert (after.tag, after.user_name_case_exact) == (before.tag, True)
        assert await names(store, tenant, 'userName eq "alice"') == ["alice"]  # keys unchanged

        # Once one is deleted the switch goes through; the tombstone keeps its
        # name, and restoring it would make two users one.
        await store.delete(tenant, "User", second.id)
        folded = await store.set_user_name_case_exact(tenant, False)
        assert not folded.user_name_case_exact and folded.schema_tag > before.tag
        assert await names(store, tenant, 'userName eq "ALICE"', exact=False) == ["Alice"]
        with pytest.raises(Conflict):
            await store.restore_user(tenant, second.id)
        with pytest.raises(Conflict):
            await store.create(tenant, "User", user("aLiCe"))
        found = await store.lookup_user(tenant, user_name="ALICE")
        assert isinstance(found, UserRecord) and found.id == first.id

    async def test_setting_it_again_changes_nothing(self, store: Store, tenant: int) -> None:
        unchanged = await store.set_user_name_case_exact(tenant, False)
        assert unchanged.schema_tag == 0
        tag = (await store.set_user_name_case_exact(tenant, True)).schema_tag
        assert (await store.set_user_name_case_exact(tenant, True)).schema_tag == tag
        assert [line[:3] for line in await lines(store, tenant)].count(
            ("replace", "Tenant", "acme")
        ) == 1
        with pytest.raises(NotFound):
            await store.set_user_name_case_exact(tenant + 1000, True)

    async def test_schema_tag_moves_with_every_change(self, store: Store, tenant: int) -> None:
        await store.add_key(tenant, "k1", b"h" * 32, "")
        key = await store.get_key("k1", last_use=False)
        assert key is not None and key.tenant_schema_tag == 0
        schema = await store.tenant_schema(tenant)
        assert (schema.tag, schema.user_name_case_exact, schema.extensions) == (0, False, [])

        urn = "urn:example:params:scim:schemas:Acme"
        await store.add_schema_extension(tenant, urn, "User", {"id": urn})
        added = await store.tenant_schema(tenant)
        assert added.tag > 0 and [e.urn for e in added.extensions] == [urn]
        key = await store.get_key("k1", last_use=False)  # read again: the tenant changed
        assert key is not None and key.tenant_schema_tag == added.tag
        await store.set_user_name_case_exact(tenant, True)
        exact = await store.tenant_schema(tenant)
        assert exact.tag > added.tag and exact.user_name_case_exact
        await store.remove_schema_extension(tenant, urn)
        removed = await store.tenant_schema(tenant)
        assert removed.tag > exact.tag and removed.extensions == []
        key = await store.get_key("k1", last_use=False)
        assert key is not None and key.tenant_schema_tag == removed.tag
        with pytest.raises(NotFound):
            await store.tenant_schema(tenant + 1000)

    async def test_switches_and_writes_at_once_all_complete(
        self, store: Store, tenant: int
    ) -> None:
        made = [await store.create(tenant, "User", user(f"User{n}")) for n in range(6)]

        async def flip(n: int) -> None:
            await store.set_user_name_case_exact(tenant, n % 2 == 0)

        async def touch(n: int) -> None:
            record = made[n % len(made)]
            await store.update(tenant, "User", record.id, set_doc(displayName=f"d{n}"))

        async def add(n: int) -> None:
            await store.create(tenant, "User", user(f"Late{n}"))

        await asyncio.gather(
            *(flip(n) for n in range(7)),
            *(touch(n) for n in range(18)),
            *(add(n) for n in range(4)),
        )
        # Whichever switch came last, every user is keyed by it.
        exact = (await store.tenant_schema(tenant)).user_name_case_exact
        for name in [*(f"User{n}" for n in range(6)), *(f"Late{n}" for n in range(4))]:
            assert await names(store, tenant, f'userName eq "{name}"', exact=exact) == [name]
            lower = await names(store, tenant, f'userName eq "{name.lower()}"', exact=exact)
            assert lower == ([] if exact else [name])
            found = await store.lookup_user(tenant, user_name=name.upper())
            assert (found is None) == exact
