"""Group commit: writes from the event loop, durable, without holding the
loop while the disk syncs.

With ``synchronous=FULL`` every ``COMMIT`` waits for an fsync. Run on the
event-loop thread, that wait stops every other request, reads included
(docs/performance-history.md#group-commit). Here the loop only queues a write and
awaits its answer: one commit thread takes every write queued so far, runs
them in arrival order inside one transaction, each in its own
``SAVEPOINT`` (the store's ``_write``, so one write's error rolls back only
that write), then ``COMMIT``s them with one fsync, and takes the writes
that arrived meanwhile. The :mod:`sqlite3` module releases the GIL while
SQLite works, so the loop serves other requests, reads included, all the
while; and the next transaction starts the moment a ``COMMIT`` returns,
not when the busy loop gets round to it (docs/performance-history.md#commit-thread-batches).

The commit thread does not preempt the loop when it wakes (Linux's
``SCHED_BATCH``, :func:`_yield_on_wakeup`): woken by a queued write or a
finished fsync while the loop runs Python, it would only take the core to
wait for the GIL the loop holds, two context switches for nothing; it runs
when the loop waits for the network or its time slice ends, and by then
more writes have queued (docs/performance-history.md#sched-batch).

A write is acknowledged (its awaiting handler resumes, through
``call_soon_threadsafe``) only after the ``COMMIT`` that contains it has
returned: durability is exactly that of a transaction per write. If the
``COMMIT`` fails, every write of the batch gets the error. A write runs in
its own request's context variables (a copy), on the commit thread: the
write functions the handlers pass are store calls on values already read
from the request. A write whose request is gone before its turn is not
made.

Why by hand: :mod:`sqlite3` has no asynchronous interface, and the
asynchronous wrappers on PyPI (aiosqlite and the like) run *every* call,
reads included, on a thread, one transaction each: no batching, and a
thread hop for each of the many small reads a request makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scimdock.store import metrics


@dataclass
class _Write:
    """One queued write: the call, and where its outcome goes."""

    call: Callable[[], Any]
    future: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None


#: Put on the queue to wake the commit thread when the store closes.
_NUDGE = object()


class GroupCommit:
    """Batches writes on one connection; see the module docstring.

    ``lock`` is the store's writer lock: held by the commit thread from
    ``BEGIN`` until the ``COMMIT`` returns, so a synchronous write from
    elsewhere in the process waits for the batch in flight.
    ``local.depth`` non-zero tells the store's ``_write`` that a
    transaction is already open on this thread (it then takes a savepoint).
    """

    def __init__(
        self, conn: sqlite3.Connection, lock: threading.Lock, local: threading.local
    ) -> None:
        self._conn = conn
        self._lock = lock
        self._local = local
        # Writes (and nudges) from the loop to the commit thread. A C queue:
        # a put is one call, where a threading.Condition is several in Python.
        self._queue: queue.SimpleQueue[_Write | object] = queue.SimpleQueue()
        self._start = threading.Lock()  # over _thread and _closed
        self._thread: threading.Thread | None = None
        self._closed = False

    async def run(self, call: Callable[[], Any]) -> Any:
        """``call()`` inside a transaction; its result once committed. It runs
        in a copy of the caller's context (context variables)."""
        loop = asyncio.get_running_loop()
        write = _Write(
            functools.partial(contextvars.copy_context().run, call), loop.create_future()
        )
        with self._start:
            if self._closed:
                raise RuntimeError("the store is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="scimdock-commit", daemon=True
                )
                self._thread.start()
            self._queue.put(write)
        return await write.future

    def close(self) -> None:
        """Stop the commit thread once the writes queued so far are done."""
        with self._start:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_NUDGE)
            thread.join()

    def _work(self) -> None:
        """The commit thread: one transaction per turn, for every write
        queued by then, until closed with nothing left."""
        _yield_on_wakeup()
        while True:
            batch = self._take(self._queue.get())
            batch = [w for w in batch if not w.future.cancelled()]  # requests gone
            if batch:
                failure: BaseException | None = None
                try:
                    self._execute(batch)
                    self._commit()
                    if metrics.ENABLED:
                        metrics.COMMIT_BATCH.observe(len(batch))
                except BaseException as exc:  # no transaction, or the COMMIT failed
                    failure = exc
                _answer(batch, failure)
            if self._closed and self._queue.empty():
                return

    def _take(self, first: _Write | object) -> list[_Write]:
        """``first`` and whatever else is queued now; writes only."""
        items = [first]
        with contextlib.suppress(queue.Empty):
            while True:
                items.append(self._queue.get_nowait())
        return [item for item in items if isinstance(item, _Write)]

    def _execute(self, batch: list[_Write]) -> None:
        """``BEGIN IMMEDIATE`` and every write of the batch, on this thread.
        If the transaction cannot be had, it raises with the writer freed."""
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            for index, write in enumerate(batch):
                if write.future.cancelled():  # its request is gone: never acknowledged
                    continue
                try:
                    write.result = write.call()
                except Exception as exc:
                    write.error = exc
                if getattr(self._local, "broken", False) or not self._conn.in_transaction:
                    # SQLite rolled the transaction back (I/O error, disk full),
                    # or a write could not be undone alone: the batch so far is
                    # gone, and every write in it fails with this error (even
                    # one that had its own: an earlier write may have caused it).
                    self._local.broken = False
                    lost = write.error or sqlite3.OperationalError("transaction rolled back")
                    for earlier in batch[: index + 1]:
                        earlier.error = lost
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
            self._lock.release()
            raise
        finally:
            self._local.depth = 0

    def _commit(self) -> None:
        """On the commit thread: ``COMMIT`` (the fsync), then free the writer."""
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._lock.release()


def _yield_on_wakeup() -> None:
    """Put the calling thread under ``SCHED_BATCH``: like the default policy
    (same share of the CPU, no privilege needed) except that waking up does
    not preempt the running thread (sched(7)). Elsewhere, or where the
    call is refused (a sandbox's seccomp), nothing changes."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux; refused
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _answer(batch: list[_Write], failure: BaseException | None) -> None:
    """From the commit thread: settle each write on its own event loop (a
    loop that has ended since, as a script's ``asyncio.run``, gets nothing:
    no one is waiting there)."""
    loops: dict[asyncio.AbstractEventLoop, list[_Write]] = {}
    for write in batch:
        loops.setdefault(write.future.get_loop(), []).append(write)
    for loop, writes in loops.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed
            loop.call_soon_threadsafe(_settle, writes, failure)


def _settle(batch: list[_Write], failure: BaseException | None) -> None:
    """Resolve each write's future: ``failure`` (the commit's: nothing of
    the batch is on disk, so a write's own error may be moot), else its own
    error, else its result. Futures of cancelled requests are skipped."""
    for write in batch:
        if write.future.done():
            continue
        error = failure or write.error
        try:
            if error is not None:
                write.future.set_exception(error)
            else:
                write.future.set_result(write.result)
        except (TypeError, asyncio.InvalidStateError) as exc:  # e.g. StopIteration
            write.future.set_exception(RuntimeError(f"write failed: {exc!r}"))
