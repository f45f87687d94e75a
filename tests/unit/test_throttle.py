"""The limits' windows and batches (handlers/throttle.py) on real SQLite
stores, two of them on one file standing for two processes, with a clock
the test moves: what the shared count admits over time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from connexion.exceptions import ProblemException
from limits import parse

from scimdock.handlers.throttle import SLICES, Throttle, batch, hold_slots, release
from scimdock.store.sqlite import SqliteStore

pytestmark = pytest.mark.anyio
T0 = 1_800_000_000.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    first = SqliteStore(tmp_path / "t.db")
    second = SqliteStore(tmp_path / "t.db")
    yield first, second
    await first.close()
    await second.close()


def _throttle(store: SqliteStore, clock: Clock, rate: str, cap: int | None = None) -> Throttle:
    return Throttle(
        store.counters,
        auth_failures=parse("3/minute"),
        rate_tenant=parse(rate),
        rate_key=None,
        tenant_concurrency=cap,
        now=clock,
    )


async def _admitted(throttle: Throttle, scope: dict[str, Any] | None = None) -> bool:
    try:
        await throttle.admit({} if scope is None else scope, 1, "k_one")
    except ProblemException as refused:
        assert refused.status == 429
        return False
    return True


async def test_no_interval_of_the_window_holds_more_than_the_limit(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    clock = Clock()
    throttle = _throttle(stores[0], clock, "10/minute")
    admitted: list[float] = []
    for _ in range(400):  # one request every 0.5 s, for 200 s
        if await _admitted(throttle):
            admitted.append(clock.at)
        clock.at += 0.5
    assert len(admitted) >= 30  # served again as the window moves on
    for start in admitted:
        assert sum(1 for t in admitted if start <= t < start + 60) <= 10


async def test_two_processes_batching_admit_the_limit_once(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    clock = Clock()
    pair = [_throttle(store, clock, "2000/minute") for store in stores]
    assert batch(parse("2000/minute")) == 10
    through = 0
    for n in range(3000):  # alternating, all inside one slice
        through += await _admitted(pair[n % 2])
    assert through == 2000


async def test_a_slice_later_the_window_still_counts_every_hit(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    clock = Clock()
    one, two = (_throttle(store, clock, "20/minute") for store in stores)
    assert batch(parse("20/minute")) == 1
    for _ in range(19):
        assert await _admitted(one)
    clock.at += 60 / SLICES  # the next slice: 19 still in the window
    assert await _admitted(two)
    assert not await _admitted(one) and not await _admitted(two)


async def test_in_flight_slots_are_shared_and_given_back(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    clock = Clock()
    one, two = (_throttle(store, clock, "1000/minute", cap=2) for store in stores)
    first, second, third = {}, {}, {}
    held = [hold_slots(scope) for scope in (first, second, third)]
    assert await _admitted(one, first)
    assert await _admitted(two, second)
    assert not await _admitted(one, third)  # the pool's two are taken
    release(held[0])
    assert one.slots is not None
    await one.slots.settle()  # the give-back, in a task after the response
    assert await _admitted(two, third)
    release(held[1])
    release(held[2])
    assert one.in_flight(1) == 0 and two.in_flight(1) == 0


async def test_failures_count_once_per_credential(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    clock = Clock()
    one, two = (_throttle(store, clock, "1000/minute") for store in stores)
    for _ in range(5):
        assert await one.failed("192.0.2.1", None, "same") is None
        assert await two.failed("192.0.2.1", None, "same") is None
    assert await one.failed("192.0.2.1", None, "b") is None
    assert await two.failed("192.0.2.1", None, "c") is None
    refused = await one.failed("192.0.2.1", None, "d")
    assert refused is not None and refused.status == 429
    assert await two.failed("192.0.2.2", None, "d") is None  # another address
