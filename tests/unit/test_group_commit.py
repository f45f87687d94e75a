"""store.group_commit through the real SQLite store: writes awaited
together share transactions, each write succeeds or fails on its own, and
nothing is acknowledged before its COMMIT has returned."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import loop_turns, wait_until
from scimdock.store import sql_audit, sql_tenants, sql_users
from scimdock.store.base import CLI_ACTOR, UserRecord
from scimdock.store.errors import Conflict
from scimdock.store.sqldialect import SQLITE
from scimdock.store.sqlite_engine import SqliteEngine


def _tenant(engine: SqliteEngine, name: str) -> int:
    """A new tenant's id, written by the engine (store.sql_tenants)."""
    return engine.write(sql_tenants.create(SQLITE, name, CLI_ACTOR, engine.clock.now())).id


def _user(engine: SqliteEngine, tenant: int, doc: dict[str, Any]) -> UserRecord:
    """A new user, written by the engine (store.sql_users) in one write."""
    return engine.write(sql_users.create(SQLITE, tenant, doc, CLI_ACTOR, engine.clock.now()))


def _store(tmp_path: Path) -> tuple[SqliteEngine, int]:
    store = SqliteEngine(tmp_path / "s.db")  # synchronous=FULL, as served
    return store, _tenant(store, "acme")


def _commits(store: SqliteEngine) -> list[str]:
    """The COMMITs the writer connection runs from now on."""
    seen: list[str] = []
    store._wconn.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


def _hold_commits(store: SqliteEngine) -> tuple[threading.Event, threading.Event]:
    """From now on each COMMIT first sets ``entered``, then waits for ``release``."""
    entered, release = threading.Event(), threading.Event()
    original = store._commits._commit

    def held_commit() -> None:
        entered.set()
        assert release.wait(10)
        original()

    store._commits._commit = held_commit  # type: ignore[method-assign]
    return entered, release


async def _committing(entered: threading.Event) -> None:
    """Until a held COMMIT has begun (``entered``, set on the commit thread);
    the loop serves the rest meanwhile."""
    assert await asyncio.to_thread(entered.wait, 10), "no COMMIT began"


def _queued(store: SqliteEngine) -> int:
    """The writes (and nudges) waiting for the commit thread."""
    return store._commits._queue.qsize()


async def _all_queued(store: SqliteEngine, writes: int) -> None:
    """The tasks just made take their first step, which queues each one's
    write behind the held COMMIT; check that ``writes`` wait there."""
    await loop_turns()
    assert _queued(store) == writes


def _names(store: SqliteEngine, tenant: int) -> set[str]:
    reader = sqlite3.connect(store.path)  # another connection: only what is committed
    try:
        return {
            r[0]
            for r in reader.execute("SELECT user_name FROM users WHERE tenant_id = ?", (tenant,))
        }
    finally:
        reader.close()


def test_concurrent_writes_share_commits_and_fail_alone(tmp_path: Path) -> None:
    store, tenant = _store(tmp_path)
    commits = _commits(store)

    async def create(name: str) -> Any:
        return await store.durable(lambda: _user(store, tenant, {"userName": name}))

    async def run() -> list[Any]:
        names = [f"user{i}" for i in range(40)] + ["USER7", "user13"]  # two clashes
        return await asyncio.gather(*(create(n) for n in names), return_exceptions=True)

    results = asyncio.run(run())
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 2
    assert all(isinstance(r, Conflict) for r in failed)
    assert _names(store, tenant) == {f"user{i}" for i in range(40)}
    # 40 created users and two conflicts in fewer transactions than writes.
    assert 1 <= len(commits) < 40
    # Each write left exactly its audit line, the failed ones none.
    lines = store.read(sql_audit.read(SQLITE, tenant, None, None, 0, 100))[1]
    assert (
        sorted(e.resource_type for e in lines if e.operation == "create")
        == ["Tenant"] + ["User"] * 40
    )
    store.close()


def test_a_failed_commit_acknowledges_no_write_of_its_batch(tmp_path: Path) -> None:
    store, tenant = _store(tmp_path)

    def dangling() -> None:
        # A foreign key checked at COMMIT time: the whole transaction fails there.
        conn = store._wconn
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute(
            "INSERT INTO members(tenant_id, group_seq, member_id, member_type)"
            " VALUES (?, 424242, 'nobody', 'User')",
            (tenant,),
        )

    async def run() -> list[Any]:
        entered, release = _hold_commits(store)  # the first COMMIT waits until the rest are queued
        first = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "u0"}))
        )
        await _committing(entered)  # u0's transaction is committing, held
        rest = [
            asyncio.ensure_future(
                store.durable(lambda i=i: _user(store, tenant, {"userName": f"u{i}"}))
            )
            for i in range(1, 5)
        ]
        dangle = asyncio.ensure_future(store.durable(dangling))
        clash = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "U1"}))
        )
        await _all_queued(store, 6)  # all queued behind it: the next transaction
        release.set()
        return await asyncio.gather(first, *rest, dangle, clash, return_exceptions=True)

    results = asyncio.run(run())
    # The first write went alone; the others shared a transaction whose
    # COMMIT failed: none of them is acknowledged or kept, and the one that
    # clashed with u1 (never written after all) is not told "409" either.
    assert not isinstance(results[0], BaseException)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results[1:])
    assert _names(store, tenant) == {"u0"}
    # The writer is free again: the next write commits.
    asyncio.run(store.durable(lambda: _user(store, tenant, {"userName": "after"})))
    assert _names(store, tenant) == {"u0", "after"}
    store.close()


def test_reads_do_not_wait_for_a_commit_in_flight(tmp_path: Path) -> None:
    """While a batch is being committed (its COMMIT stalled here), the
    event loop still serves reads, which see only committed data."""
    store, tenant = _store(tmp_path)
    _user(store, tenant, {"userName": "before"})
    entered, release = _hold_commits(store)

    async def run() -> tuple[list[str], list[str]]:
        write = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "pending"}))
        )
        await _committing(entered)
        during = [
            u.doc["userName"] for u in store.read(sql_users.listed(SQLITE, tenant, _all()))[1]
        ]
        assert not write.done()
        release.set()
        await write
        after = [u.doc["userName"] for u in store.read(sql_users.listed(SQLITE, tenant, _all()))[1]]
        return during, after

    during, after = asyncio.run(run())
    assert during == ["before"] and sorted(after) == ["before", "pending"]
    store.close()


def _all() -> Any:
    from scimdock.core.query import build_query
    from scimdock.core.schema import USER

    return build_query(
        USER,
        filter=None,
        sort_by=None,
        sort_order=None,
        start_index=None,
        count=None,
        max_results=100,
        lenient=True,
    )[0]


def test_synchronous_writes_still_commit_one_by_one(tmp_path: Path) -> None:
    """The CLI and scripts call the store directly: a transaction each."""
    store, tenant = _store(tmp_path)
    commits = _commits(store)
    _user(store, tenant, {"userName": "a"})
    with pytest.raises(Conflict):
        _user(store, tenant, {"userName": "A"})
    _user(store, tenant, {"userName": "b"})
    assert len(commits) == 2 and _names(store, tenant) == {"a", "b"}
    store.close()


def test_a_write_after_close_fails_and_leaves_the_writer_free(tmp_path: Path) -> None:
    store, tenant = _store(tmp_path)
    store._commits.close()
    with pytest.raises(RuntimeError):
        asyncio.run(store.durable(lambda: _user(store, tenant, {"userName": "late"})))
    assert _names(store, tenant) == set()
    _user(store, tenant, {"userName": "direct"})  # the writer lock was released
    assert _names(store, tenant) == {"direct"}
    store.close()


def test_a_write_whose_request_is_gone_before_its_turn_is_not_made(tmp_path: Path) -> None:
    store, tenant = _store(tmp_path)
    entered, release = _hold_commits(store)

    async def run() -> None:
        first = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "first"}))
        )
        await _committing(entered)  # the first write ran; its commit is in flight, held
        gone = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "gone"}))
        )
        kept = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "kept"}))
        )
        await _all_queued(store, 2)  # both queued behind the commit
        gone.cancel()
        release.set()
        await first
        await kept
        assert gone.cancelled()

    asyncio.run(run())
    assert _names(store, tenant) == {"first", "kept"}
    store.close()


def test_a_write_runs_in_the_context_of_its_own_request(tmp_path: Path) -> None:
    import contextvars

    store, tenant = _store(tmp_path)
    request: contextvars.ContextVar[str] = contextvars.ContextVar("request")

    async def one(name: str) -> str:
        request.set(name)
        return await store.durable(
            lambda: _user(store, tenant, {"userName": request.get()}).doc["userName"]
        )

    async def run() -> list[str]:
        return await asyncio.gather(*(one(f"r{i}") for i in range(6)))

    assert asyncio.run(run()) == [f"r{i}" for i in range(6)]
    assert _names(store, tenant) == {f"r{i}" for i in range(6)}
    store.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is Linux's")
def test_the_commit_thread_does_not_preempt_the_loop_on_wakeup(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)

    async def run() -> tuple[int, int]:
        return os.sched_getscheduler(0), await store.durable(lambda: os.sched_getscheduler(0))

    loop_policy, commit_policy = asyncio.run(run())
    assert commit_policy == os.SCHED_BATCH  # sched_getscheduler(0): the calling thread
    assert loop_policy == os.SCHED_OTHER  # the loop, and the process, keep the default
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    store.close()


def test_a_loop_that_ends_with_a_commit_in_flight_does_not_block_the_next(tmp_path: Path) -> None:
    store, tenant = _store(tmp_path)
    entered, release = _hold_commits(store)

    async def leave_early() -> None:
        asyncio.ensure_future(store.durable(lambda: _user(store, tenant, {"userName": "early"})))
        await _committing(entered)  # its commit is in flight when this loop ends

    asyncio.run(leave_early())
    release.set()  # the COMMIT returns with no loop left to answer
    asyncio.run(
        asyncio.wait_for(store.durable(lambda: _user(store, tenant, {"userName": "next"})), 10)
    )
    assert _names(store, tenant) == {"early", "next"}
    store.close()


def test_an_in_memory_store_writes_on_the_loop() -> None:
    """``:memory:`` has one connection for reads and writes and nothing to
    sync: writes run where they are awaited, one transaction each, so a
    read never meets a batch in flight on the commit thread."""
    store = SqliteEngine(":memory:")
    tenant = _tenant(store, "acme")

    async def run() -> list[Any]:
        return await asyncio.gather(
            *(
                store.durable(lambda n=n: _user(store, tenant, {"userName": n}))
                for n in ("a", "b", "A", "c")
            ),
            return_exceptions=True,
        )

    results = asyncio.run(run())
    assert [isinstance(r, Conflict) for r in results] == [
        False,
        False,
        True,
        False,
    ]
    assert {u.doc["userName"] for u in store.read(sql_users.listed(SQLITE, tenant, _all()))[1]} == {
        "a",
        "b",
        "c",
    }
    assert store._commits._thread is None  # no commit thread was started
    store.close()


def test_close_makes_the_writes_queued_before_it_then_stops(tmp_path: Path) -> None:
    store, tenant = _store(tmp_path)
    entered, release = _hold_commits(store)
    returned: list[tuple[bool, set[str]]] = []

    def close() -> None:
        """Close; then note whether the held COMMIT had been released, and what is made."""
        store._commits.close()
        returned.append((release.is_set(), _names(store, tenant)))

    async def run() -> None:
        first = asyncio.ensure_future(
            store.durable(lambda: _user(store, tenant, {"userName": "a"}))
        )
        await _committing(entered)
        rest = [
            asyncio.ensure_future(store.durable(lambda n=n: _user(store, tenant, {"userName": n})))
            for n in ("b", "c")
        ]
        await _all_queued(store, 2)  # queued behind the held COMMIT
        closer = threading.Thread(target=close)
        closer.start()
        # close() has put its nudge behind the writes: it is closing, the COMMIT still held.
        await asyncio.to_thread(wait_until, lambda: _queued(store) == 3, 10, "close's nudge")
        release.set()
        await asyncio.wait_for(asyncio.gather(first, *rest), 10)
        await asyncio.to_thread(closer.join, 10)
        assert not closer.is_alive()
        # It returned only once what was queued before it was made.
        assert returned == [(True, {"a", "b", "c"})]
        with pytest.raises(RuntimeError):
            await store.durable(lambda: _user(store, tenant, {"userName": "late"}))

    asyncio.run(run())
    assert _names(store, tenant) == {"a", "b", "c"}
    store.close()
