"""Tenants and admin tokens: creation, lookup, SCIM switch, deletion with
and without force, and the operator log (tenant :data:`OPERATOR_LOG`)."""

from __future__ import annotations

import pytest

from scimdock.core.clock import ManualClock
from scimdock.store.base import OPERATOR_LOG, AdminToken, Store, Tenant
from scimdock.store.errors import Conflict, NotFound

from .support import ADMIN, START, ContractBase, lines, log, user


class TenantContract(ContractBase):
    async def test_create_get_and_list_tenants(self, store: Store, clock: ManualClock) -> None:
        acme = await store.create_tenant("acme", actor=ADMIN)
        assert acme.id > 0 and acme.id != OPERATOR_LOG
        assert acme == Tenant(acme.id, "acme", False, START)  # SCIM starts switched off
        clock.advance(1)
        beta = await store.create_tenant("beta")
        assert beta.id != acme.id
        assert await store.get_tenant("acme") == acme
        assert await store.get_tenant_by_id(beta.id) == beta
        assert await store.get_tenant("nobody") is None
        assert await store.get_tenant_by_id(beta.id + 1000) is None
        assert {t.name for t in await store.list_tenants()} == {"acme", "beta"}
        [line] = await log(store, acme.id)
        assert (line.operation, line.resource_type, line.resource_id) == (
            "create",
            "Tenant",
            "acme",
        )
        assert (line.actor_kind, line.actor_id, line.address) == (
            "admin-token",
            "sat_contract",
            "203.0.113.9",
        )

    async def test_a_duplicate_tenant_is_a_conflict(self, store: Store) -> None:
        first = await store.create_tenant("acme")
        with pytest.raises(Conflict):
            await store.create_tenant("acme")
        assert await store.list_tenants() == [first]

    async def test_set_scim_enabled(self, store: Store, clock: ManualClock) -> None:
        acme = await store.create_tenant("acme")
        on = await store.set_scim_enabled("acme", True, actor=ADMIN)
        assert on == Tenant(acme.id, "acme", True, acme.created)
        assert (await store.get_tenant_by_id(acme.id)) == on
        assert await store.set_scim_enabled("acme", True) == on  # no change: no line
        off = await store.set_scim_enabled("acme", False)
        assert not off.scim_enabled
        assert [op for op, *_ in await lines(store, acme.id)] == [
            "create",
            "enable-scim",
            "disable-scim",
        ]
        with pytest.raises(NotFound):
            await store.set_scim_enabled("nobody", True)

    async def test_tenant_holds_data_counts_live_and_deleted_rows(
        self, store: Store, tenant: int
    ) -> None:
        assert not await store.tenant_holds_data(tenant)
        ann = await store.create(tenant, "User", user("ann@x"))
        assert await store.tenant_holds_data(tenant)
        await store.delete(tenant, "User", ann.id)
        assert await store.tenant_holds_data(tenant)  # a tombstone is data
        await store.purge_user(tenant, ann.id)
        assert not await store.tenant_holds_data(tenant)
        await store.create(tenant, "Group", {"displayName": "g"})
        assert await store.tenant_holds_data(tenant)

    async def test_delete_an_empty_tenant(self, store: Store, clock: ManualClock) -> None:
        acme = await store.create_tenant("acme")
        await store.add_key(acme.id, "k1", b"h" * 32, "ci")
        await store.add_admin_token("t1", b"t" * 32, acme.id)
        clock.advance(5)
        await store.delete_tenant("acme", actor=ADMIN)
        assert await store.get_tenant("acme") is None
        assert await store.get_tenant_by_id(acme.id) is None
        assert await store.get_key("k1") is None  # its keys go with it
        assert await store.get_key("k1", last_use=False) is None
        assert await store.get_admin_token("t1") is None
        operator = await log(store, OPERATOR_LOG)
        assert [(e.operation, e.resource_type, e.resource_id) for e in operator] == [
            ("delete", "Tenant", "acme")
        ]
        assert operator[0].at == clock.now() and operator[0].actor_id == "sat_contract"
        with pytest.raises(NotFound):
            await store.delete_tenant("acme")

    async def test_a_tenant_holding_data_needs_force(
        self, store: Store, clock: ManualClock
    ) -> None:
        acme = await store.create_tenant("acme")
        ann = await store.create(acme.id, "User", user("ann@x"))
        await store.create(acme.id, "Group", {"displayName": "g"})
        with pytest.raises(Conflict):
            await store.delete_tenant("acme")
        assert await store.get_tenant("acme") == acme
        assert (await store.get(acme.id, "User", ann.id)).id == ann.id
        assert await log(store, OPERATOR_LOG) == []
        await store.delete_tenant("acme", force=True)
        assert await store.get_tenant("acme") is None
        assert not await store.tenant_holds_data(acme.id)
        assert await store.lookup_user(acme.id, user_id=ann.id) is None
        assert [(e.operation, e.resource_id) for e in await log(store, OPERATOR_LOG)] == [
            ("purge", "acme")
        ]

    async def test_a_new_tenant_never_reads_a_deleted_tenants_log(self, store: Store) -> None:
        """Ids are never reused, so a log kept after a deletion stays the
        deleted tenant's (RFC 7644 §2: no tenant sees another's data)."""
        old = await store.create_tenant("acme")
        await store.delete_tenant("acme")
        new = await store.create_tenant("acme")
        assert new.id != old.id
        assert [op for op, *_ in await lines(store, new.id)] == ["create"]

    async def test_delete_an_unknown_tenant(self, store: Store) -> None:
        with pytest.raises(NotFound):
            await store.delete_tenant("nobody", force=True)
        assert await log(store, OPERATOR_LOG) == []


class AdminTokenContract(ContractBase):
    async def test_add_get_list_and_revoke(self, store: Store, clock: ManualClock) -> None:
        acme = await store.create_tenant("acme")
        beta = await store.create_tenant("beta")
        operator = await store.add_admin_token("op1", b"o" * 32, None, "root", actor=ADMIN)
        assert operator == AdminToken("op1", None, b"o" * 32, "root", START, None)
        clock.advance(1)
        mine = await store.add_admin_token("ta1", b"a" * 32, acme.id)
        theirs = await store.add_admin_token("tb1", b"b" * 32, beta.id, "b")
        assert mine.tenant_id == acme.id and mine.label == "" and mine.created == clock.now()
        assert await store.get_admin_token("ta1") == mine
        assert await store.get_admin_token("nope") is None
        assert await store.list_admin_tokens(acme.id) == [mine]
        assert {t.token_id for t in await store.list_admin_tokens()} == {"op1", "ta1", "tb1"}
        clock.advance(1)
        revoked = await store.revoke_admin_token("tb1", actor=ADMIN)
        assert revoked.revoked == clock.now() and revoked.secret_hash == theirs.secret_hash
        assert await store.get_admin_token("tb1") == revoked
        clock.advance(1)
        assert (await store.revoke_admin_token("tb1")).revoked == revoked.revoked  # final
        with pytest.raises(NotFound):
            await store.revoke_admin_token("nope")

    async def test_token_changes_are_logged_where_they_belong(self, store: Store) -> None:
        acme = await store.create_tenant("acme")
        await store.add_admin_token("op1", b"o" * 32, None, "root", actor=ADMIN)
        await store.add_admin_token("ta1", b"a" * 32, acme.id)
        await store.revoke_admin_token("op1")
        await store.revoke_admin_token("op1")  # no change: no line
        operator = await lines(store, OPERATOR_LOG)
        assert [(op, rt, rid) for op, rt, rid, _ in operator] == [
            ("create", "AdminToken", "op1"),
            ("revoke", "AdminToken", "op1"),
        ]
        assert "secret" in operator[0][3] and b"o".decode() * 32 not in str(operator)
        tenant_lines = await lines(store, acme.id)
        assert [(op, rt, rid) for op, rt, rid, _ in tenant_lines][1:] == [
            ("create", "AdminToken", "ta1")
        ]
