"""SCIM keys: add, read, list, revoke, update, rotate, last use, and a
change seen by the very next authentication read."""

from __future__ import annotations

import pytest

from scimdock.core.clock import ManualClock
from scimdock.store.base import ApiKey, Store
from scimdock.store.errors import Conflict, NotFound

from .support import ADMIN, START, ContractBase, lines

OLD, NEW = b"o" * 32, b"n" * 32


class KeyContract(ContractBase):
    async def test_add_get_and_list(self, store: Store, tenant: int, clock: ManualClock) -> None:
        key = await store.add_key(tenant, "k1", OLD, "ci", actor=ADMIN)
        assert key == ApiKey("k1", tenant, "acme", False, OLD, "ci", START, None, None, None)
        clock.advance(1)
        later = await store.add_key(tenant, "k2", NEW, "", expires="2025-03-01T00:00:00+01:00")
        assert later.expires == "2025-02-28T23:00:00.000000Z"  # the store's form, UTC
        assert later.created == clock.now()
        assert await store.get_key("k1") == key
        assert await store.get_key("k1", last_use=False) == key
        assert await store.get_key("nope") is None
        assert await store.get_key("nope", last_use=False) is None
        assert [k.key_id for k in await store.list_keys(tenant)] == ["k1", "k2"]
        other = await store.create_tenant("other")
        assert await store.list_keys(other.id) == []
        assert [(op, rt, rid) for op, rt, rid, _ in await lines(store, tenant)][1:] == [
            ("create", "ApiKey", "k1"),
            ("create", "ApiKey", "k2"),
        ]

    async def test_revoke(self, store: Store, tenant: int, clock: ManualClock) -> None:
        await store.add_key(tenant, "k1", OLD, "ci")
        await store.rotate_key("k1", NEW, "2025-02-01T00:00:00Z")
        clock.advance(10)
        revoked = await store.revoke_key("k1", actor=ADMIN)
        assert revoked.revoked == clock.now()
        assert (revoked.previous_hash, revoked.previous_valid_until) == (None, None)
        assert await store.get_key("k1") == revoked
        clock.advance(10)
        assert await store.revoke_key("k1") == revoked  # final; no second line
        with pytest.raises(Conflict):
            await store.rotate_key("k1", b"x" * 32)
        assert (await store.get_key("k1")) == revoked
        with pytest.raises(NotFound):
            await store.revoke_key("nope")
        assert [op for op, *_ in await lines(store, tenant)] == [
            "create",
            "create",
            "rotate",
            "revoke",
        ]

    async def test_update_label_and_expiry(self, store: Store, tenant: int) -> None:
        await store.add_key(tenant, "k1", OLD, "ci")
        labelled = await store.update_key("k1", label="deploy")
        assert (labelled.label, labelled.expires) == ("deploy", None)
        dated = await store.update_key("k1", expires="2025-06-01T00:00:00Z")
        assert (dated.label, dated.expires) == ("deploy", "2025-06-01T00:00:00.000000Z")
        assert await store.update_key("k1", label="deploy") == dated  # no change: no line
        cleared = await store.update_key("k1", clear_expiry=True)
        assert (cleared.label, cleared.expires) == ("deploy", None)
        assert await store.get_key("k1") == cleared
        with pytest.raises(NotFound):
            await store.update_key("nope", label="x")
        assert [(op, attrs) for op, _, _, attrs in await lines(store, tenant)][2:] == [
            ("update", ("label",)),
            ("update", ("expires",)),
            ("update", ("expires",)),
        ]

    async def test_rotate_without_and_with_grace(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        await store.add_key(tenant, "k1", OLD, "ci")
        hard = await store.rotate_key("k1", NEW)
        assert (hard.secret_hash, hard.previous_hash, hard.previous_valid_until) == (
            NEW,
            None,
            None,
        )
        soft = await store.rotate_key("k1", b"3" * 32, "2025-02-01T12:00:00Z", actor=ADMIN)
        assert soft.secret_hash == b"3" * 32
        assert (soft.previous_hash, soft.previous_valid_until) == (
            NEW,
            "2025-02-01T12:00:00.000000Z",
        )
        assert await store.get_key("k1", last_use=False) == soft
        # A grace period already over keeps nothing of the old secret.
        past = await store.rotate_key("k1", b"4" * 32, "2025-01-01T00:00:00Z")
        assert (past.previous_hash, past.previous_valid_until) == (None, None)
        with pytest.raises(NotFound):
            await store.rotate_key("nope", NEW)
        assert [op for op, *_ in await lines(store, tenant)][2:] == ["rotate"] * 3

    async def test_noted_uses_are_seen_at_once_and_kept_by_a_flush(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        await store.add_key(tenant, "k1", OLD, "ci")
        clock.advance(60)
        used_at = clock.now()
        store.note_key_use("k1", "198.51.100.7")
        seen = await store.get_key("k1")
        assert seen is not None
        assert (seen.last_used, seen.last_used_from) == (used_at, "198.51.100.7")
        [listed] = await store.list_keys(tenant)
        assert (listed.last_used, listed.last_used_from) == (used_at, "198.51.100.7")
        clock.advance(60)
        await store.flush_key_uses()
        await store.flush_key_uses()  # nothing pending: nothing to do
        kept = await store.get_key("k1")
        assert kept is not None and (kept.last_used, kept.last_used_from) == (
            used_at,
            "198.51.100.7",
        )
        before = await lines(store, tenant)
        assert [op for op, *_ in before] == ["create", "create"]  # a use is not audited

    async def test_record_key_use_keeps_the_newest(self, store: Store, tenant: int) -> None:
        await store.add_key(tenant, "k1", OLD, "ci")
        await store.add_key(tenant, "k2", NEW, "ci")
        await store.record_key_use(
            {
                "k1": ("2025-02-01T00:00:00.000000Z", "192.0.2.1"),
                "k2": ("2025-02-02T00:00:00.000000Z", None),
            }
        )
        await store.record_key_use({"k1": ("2025-01-31T00:00:00.000000Z", "192.0.2.99")})
        await store.record_key_use({})
        k1, k2 = await store.list_keys(tenant)
        assert (k1.last_used, k1.last_used_from) == ("2025-02-01T00:00:00.000000Z", "192.0.2.1")
        assert (k2.last_used, k2.last_used_from) == ("2025-02-02T00:00:00.000000Z", None)
        assert (await store.get_key("k1")) == k1

    async def test_authentication_reads_see_the_next_change(
        self, store: Store, tenant: int
    ) -> None:
        """A revocation, an expiry, a rotation or SCIM switched off refuses
        the very next request, even after the key was read (and perhaps
        remembered) for earlier ones."""
        await store.add_key(tenant, "k1", OLD, "ci")
        await store.set_scim_enabled("acme", True)

        async def auth() -> ApiKey:
            key = await store.get_key("k1", last_use=False)
            assert key is not None
            return key

        assert (await auth()).tenant_scim_enabled
        await auth()
        await store.update_key("k1", expires="2025-02-01T00:00:00Z")
        assert (await auth()).expires == "2025-02-01T00:00:00.000000Z"
        await store.rotate_key("k1", NEW)
        assert (await auth()).secret_hash == NEW
        await store.set_scim_enabled("acme", False)
        assert not (await auth()).tenant_scim_enabled
        await store.set_scim_enabled("acme", True)
        assert (await auth()).tenant_scim_enabled
        await store.revoke_key("k1")
        assert (await auth()).revoked is not None
        await store.delete_tenant("acme")
        assert await store.get_key("k1", last_use=False) is None
