"""The readiness check (``/readyz``) and the Unicode form of ``userName``
in the store's uniqueness and lookups."""

from __future__ import annotations

from scimdock.core.clock import ManualClock
from scimdock.store.base import Store, UserRecord
from scimdock.store.errors import Conflict

from .support import ContractBase, StoreFactory, query, user

#: "café" precomposed (U+00E9), and "cafe" + U+0301 COMBINING ACUTE ACCENT.
NFC, NFD = "caf\u00e9@x", "cafe\u0301@x"


class ReadinessContract(ContractBase):
    async def test_an_open_store_is_ready(self, store: Store) -> None:
        assert await store.ready() is True

    async def test_a_closed_store_is_not_ready_and_does_not_raise(
        self, store_factory: StoreFactory, clock: ManualClock
    ) -> None:
        opened = store_factory(clock, None)
        await opened.close()
        assert await opened.ready() is False

    async def test_canonically_equivalent_user_names_are_one_name(
        self, store: Store, tenant: int
    ) -> None:
        """Unicode §3.13 D145 canonical caseless match: "café" in either
        form, in any case, is one ``userName`` (RFC 7643 §4.1.1 uniqueness)."""
        ann = await store.create(tenant, "User", {"userName": NFC})
        for other in (NFD, NFD.upper(), NFC.upper()):
            try:
                await store.create(tenant, "User", {"userName": other})
            except Conflict:
                continue
            raise AssertionError(f"{other!r} was taken as a second user")
        for name in (NFC, NFD, NFD.upper()):
            found = await store.lookup_user(tenant, user_name=name)
            assert isinstance(found, UserRecord) and found.id == ann.id
            total, rows = await store.search(tenant, "User", query(filter=f'userName eq "{name}"'))
            assert total == 1 and rows[0].id == ann.id
        await store.create(tenant, "User", user("cafe@x"))  # no accent: another name
