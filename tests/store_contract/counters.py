"""The limits' shared counters (store.counters): what every backend's
:meth:`Counters.take`, ``give_back`` and ``renew`` answer. Times are
milliseconds given by the test: the counters read no clock of their own."""

from __future__ import annotations

import anyio

from scimdock.store.base import Store

from .support import ContractBase

T0 = 1_800_000_000_000


class CounterContract(ContractBase):
    async def test_takes_stop_at_the_cap_with_a_partial_last_grant(self, store: Store) -> None:
        c = store.counters
        got = [await c.take("rate:t", 1, 4, 10, T0 + 60_000, T0) for _ in range(3)]
        assert [g.granted for g in got] == [4, 4, 2]
        assert [g.held for g in got] == [4, 8, 10]
        full = await c.take("rate:t", 2, 1, 10, T0 + 61_000, T0 + 1_000)
        assert (full.granted, full.held, full.frees_at) == (0, 10, T0 + 60_000)

    async def test_want_zero_reads_without_taking(self, store: Store) -> None:
        c = store.counters
        assert (await c.take("auth:a", 1, 0, 5, T0 + 1, T0)).held == 0
        await c.take("auth:a", 1, 3, 5, T0 + 10_000, T0)
        read = await c.take("auth:a", 1, 0, 5, T0 + 10_000, T0)
        assert (read.granted, read.held, read.frees_at) == (0, 3, T0 + 10_000)

    async def test_expired_rows_free_their_hits_and_names_are_apart(self, store: Store) -> None:
        c = store.counters
        await c.take("rate:x", 1, 5, 5, T0 + 1_000, T0)
        await c.take("rate:x", 2, 0, 5, T0 + 2_000, T0 + 500)
        other = await c.take("rate:y", 1, 5, 5, T0 + 1_000, T0 + 500)
        assert other.granted == 5  # another name's pool is its own
        assert (await c.take("rate:x", 2, 5, 5, T0 + 2_000, T0 + 999)).granted == 0
        later = await c.take("rate:x", 2, 5, 5, T0 + 2_000, T0 + 1_000)
        assert (later.granted, later.held, later.frees_at) == (5, 5, T0 + 2_000)

    async def test_hits_given_back_are_free_again(self, store: Store) -> None:
        c = store.counters
        await c.take("busy:t", 7, 3, 3, T0 + 15_000, T0)
        assert (await c.take("busy:t", 8, 1, 3, T0 + 15_000, T0)).granted == 0
        await c.give_back("busy:t", 7, 2)
        assert (await c.take("busy:t", 8, 5, 3, T0 + 15_000, T0)).granted == 2
        await c.give_back("busy:t", 7, 9)  # never below zero
        now = await c.take("busy:t", 8, 0, 3, T0 + 15_000, T0)
        assert (now.held, now.frees_at) == (2, T0 + 15_000)

    async def test_a_renewed_lease_outlives_its_first_expiry(self, store: Store) -> None:
        c = store.counters
        await c.take("busy:a", 7, 2, 4, T0 + 15_000, T0)
        await c.take("busy:b", 7, 1, 4, T0 + 15_000, T0)
        await c.take("busy:a", 9, 1, 4, T0 + 15_000, T0)  # another process's
        await c.take("rate:a", 7, 1, 4, T0 + 15_000, T0)  # not a lease
        await c.renew("busy:", 7, T0 + 30_000)
        after = T0 + 20_000
        a = await c.take("busy:a", 8, 0, 4, after, after)
        assert (a.held, a.frees_at) == (2, T0 + 30_000)  # process 9's lease expired
        assert (await c.take("busy:b", 8, 0, 4, after, after)).held == 1
        assert (await c.take("rate:a", 8, 0, 4, after, after)).held == 0

    async def test_concurrent_takes_never_pass_the_cap(self, store: Store) -> None:
        c = store.counters
        granted: list[int] = []

        async def take(part: int) -> None:
            granted.append((await c.take("rate:race", part % 3, 2, 25, T0 + 60_000, T0)).granted)

        async with anyio.create_task_group() as group:
            for part in range(40):
                group.start_soon(take, part)
        assert sum(granted) == 25 and max(granted) == 2
        assert (await c.take("rate:race", 0, 0, 25, T0 + 60_000, T0)).held == 25

    async def test_a_sweep_drops_only_expired_rows(self, store: Store) -> None:
        c = store.counters
        await c.take("seen:a", 0, 1, 1, T0 + 1_000, T0)
        await c.take("seen:b", 0, 1, 1, T0 + 5_000, T0)
        await c.sweep(T0 + 1_000)
        assert (await c.take("seen:b", 0, 0, 1, T0 + 5_000, T0 + 1_000)).held == 1
        assert (await c.take("seen:a", 0, 1, 1, T0 + 9_000, T0 + 1_000)).granted == 1
