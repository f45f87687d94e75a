"""The embedded SQLite store: :class:`scimdock.store.base.Store` over the
synchronous engine (:mod:`scimdock.store.sqlite_engine`).

Where each call runs, so that no tenant's work holds up another's:

* **point reads** (a key, a tenant, one user or group by id, one user's
  groups) run on the event loop: indexed lookups of one resource's rows,
  cheaper than a hop to a thread;
* **lists, searches and member reads** run on a pool of reader threads,
  each with its own connection (WAL readers never wait for each other or
  for a write), within the store's time budget (:class:`OverBudget` past
  it); ``sqlite3`` releases the GIL while SQLite works, so the loop keeps
  serving meanwhile;
* **SCIM writes** go to the one commit thread, which commits every write
  queued meanwhile together, with one fsync (store.group_commit);
* **administrative writes** (tenants, keys, tombstones) run on a thread of
  their own, a transaction each.

The reader threads run under ``SCHED_IDLE`` (:func:`_yield_to_the_loop`):
on a core the loop needs, the loop goes first.

A write the disk refuses (full, or an I/O error) raises
:class:`~scimdock.store.errors.Unavailable` (store.sqlite_unavailable):
SQLite has rolled it back, and the next write is tried afresh.

A ``:memory:`` database has one connection: everything runs on the loop,
lists and searches within the same time budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from scimdock.core.clock import Clock
from scimdock.store import metrics
from scimdock.store import sql_keys as keys
from scimdock.store.base import (
    QUERY_BUDGET,
    Store,
)
from scimdock.store.key_use import KeyUses
from scimdock.store.sql_keys import KeyCache
from scimdock.store.sqldialect import SQLITE
from scimdock.store.sqlite_counters import SqliteCounters
from scimdock.store.sqlite_engine import SqliteEngine
from scimdock.store.sqlite_unavailable import disk_refusals
from scimdock.store.sqlscript import Script

T = TypeVar("T")


async def _now(call: Callable[[], T]) -> T:
    """``call()`` on the loop, as an awaitable."""
    return call()


async def _timed(histogram: Any, work: Awaitable[T]) -> T:
    """``await work``, its time observed in ``histogram`` when metrics are on."""
    if not metrics.ENABLED:
        return await work
    started = perf_counter()
    try:
        return await work
    finally:
        histogram.observe(perf_counter() - started)


def _yield_to_the_loop() -> None:
    """Put the calling reader thread under Linux's ``SCHED_IDLE`` (sched(7);
    no privilege needed): it runs whenever its core has nothing else to run,
    at full speed on an otherwise idle core, but the event loop (and the
    commit thread) take the core from it as soon as they have work. One
    tenant's long scan then costs the others' point reads, served on the
    loop, nothing more than the scan's GIL hand-offs (bench/noisy.py,
    docs/performance-history.md#noisy-neighbour-cpu). The price: on a core the loop
    keeps busy, a list waits for the loop to pause, and past the query
    budget it ends with ``tooMany``. Elsewhere, or where the call is refused
    (a sandbox's seccomp), nothing changes."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux; refused
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


#: Reader threads: reads of this many requests run at once.
READERS = 4


class SqliteStore(Store):
    """The store on one SQLite file (WAL, ``synchronous=FULL``)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        clock: Clock | None = None,
        readers: int = READERS,
        query_budget: float | None = QUERY_BUDGET,
    ) -> None:
        self._engine = SqliteEngine(path, synchronous=synchronous, clock=clock)
        self.clock = self._engine.clock
        self.path = self._engine.path
        self.counters = self._counters = SqliteCounters(self.path)
        self.query_budget = query_budget
        self._pool = ThreadPoolExecutor(
            readers, thread_name_prefix="scimdock-reader", initializer=_yield_to_the_loop
        )
        # Administrative writes hold the writer's lock, which the commit
        # thread waits for: they run at the normal priority, one at a time.
        self._admin_thread = ThreadPoolExecutor(1, thread_name_prefix="scimdock-admin")
        self.dialect = SQLITE
        self._uses = KeyUses()
        # ``:memory:``'s one connection sees uncommitted rows: none is remembered.
        self._key_cache = None if self._engine.in_memory else KeyCache()

    # Each dispatch is timed by where it runs (store.metrics) once enabled.
    async def _inline(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not metrics.ENABLED:
            return call(*args, **kwargs)
        started = perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            metrics.INLINE.observe(perf_counter() - started)

    async def _read(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        bounded = partial(
            self._engine.read_within, self.query_budget, partial(call, *args, **kwargs)
        )
        if self._engine.in_memory:
            return await _timed(metrics.READ, _now(bounded))  # on the loop, within the budget
        return await _timed(
            metrics.READ, asyncio.get_running_loop().run_in_executor(self._pool, bounded)
        )

    async def _offload(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with disk_refusals():
            if self._engine.in_memory:
                return await _timed(metrics.OFFLOAD, _now(partial(call, *args, **kwargs)))
            return await _timed(
                metrics.OFFLOAD,
                asyncio.get_running_loop().run_in_executor(
                    self._admin_thread, partial(call, *args, **kwargs)
                ),
            )

    async def ready(self) -> bool:
        """The schema version (``PRAGMA user_version``) read on a reader
        thread, against the number of migrations (store.migrations)."""
        try:
            return await self._read(self._engine.schema_current)
        except Exception:  # any database error: not ready (the probe says 503)
            return False

    async def _point(self, script: Script[T]) -> T:
        if not metrics.ENABLED:  # on the loop, without a second coroutine
            return self._engine.read(script)
        return await self._inline(self._engine.read, script)

    async def _one(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        if not metrics.ENABLED:
            return self._engine.one(sql, params)
        return await self._inline(self._engine.one, sql, params)

    async def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        if not metrics.ENABLED:
            return self._engine.rows(sql, params)
        return await self._inline(self._engine.rows, sql, params)

    async def _scan(self, script: Script[T], *, budget: bool = True) -> T:
        return await self._read(self._engine.read, script)

    async def _admin(self, script: Script[T]) -> T:
        return await self._offload(self._engine.write, script)

    async def _change(self, script: Script[T]) -> T:
        engine = self._engine
        with disk_refusals():
            if not metrics.ENABLED:
                return await engine.durable(partial(engine.write, script))
            return await _timed(metrics.COMMIT, engine.durable(partial(engine.write, script)))

    async def _purge(self, script: Script[list[str]]) -> list[str]:
        return await self._offload(self._engine.purge, script)

    async def close(self) -> None:
        """Let the reads and the commit in flight finish, write the key uses
        still in memory, then close."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._pool.shutdown)
        await loop.run_in_executor(None, self._admin_thread.shutdown)
        await self._counters.close()
        self._engine.close(keys.flush(SQLITE, self._uses))

    def close_now(self) -> None:
        """:meth:`close` from outside an event loop (at process exit)."""
        self._pool.shutdown()
        self._admin_thread.shutdown()
        self._counters.close_now()
        self._engine.close(keys.flush(SQLITE, self._uses))
