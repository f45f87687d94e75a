"""Group commit: writes from the event loop, durable, without holding the
loop while the disk syncs.

With ``synchronous=FULL`` every ``COMMIT`` waits for an fsync. Run on the
event-loop thread, that wait stops every other request, reads included
(docs/performance.md, finding 2). Here a write's statements still run on
the loop thread, in the order the writes arrive, but the ``COMMIT`` runs on
one worker thread (the :mod:`sqlite3` module releases the GIL while SQLite
syncs). Writes that arrive while a commit is in flight wait in memory and
go together into the next transaction, one fsync for all of them. Each
write runs inside its own ``SAVEPOINT`` (the store's ``_write``), so one
write's error rolls back only that write.

A write is acknowledged (its awaiting handler resumes) only after the
``COMMIT`` that contains it has returned: durability is exactly that of a
transaction per write. If the ``COMMIT`` fails, every write of the batch
gets the error.

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
import sqlite3
import threading
from collections.abc import Callable
import queue
from dataclasses import dataclass
from typing import Any


@dataclass
class _Write:
    """One queued write: the call, and where its outcome goes."""

    call: Callable[[], Any]
    future: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Batches writes on one connection; see the module docstring.

    ``lock`` is the store's writer lock: held from ``BEGIN`` until the
    ``COMMIT`` returns (released by the commit thread), so a synchronous
    write from elsewhere in the process waits for the batch in flight.
    ``local.depth`` non-zero tells the store's ``_write`` that a
    transaction is already open on this thread (it then takes a savepoint).
    """

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock,
                 local: threading.local) -> None:
        self._conn = conn
        self._lock = lock
        self._local = local
        self._queue: list[_Write] = []
        self._busy = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # One plain thread fed by a queue, rather than an executor whose
        # futures asyncio would wrap and chain on every commit.
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    async def run(self, call: Callable[[], Any]) -> Any:
        """``call()`` inside a transaction; its result once committed. It runs
        in the caller's context (context variables), whichever request's
        turn it is that executes the batch."""
        loop = asyncio.get_running_loop()
        old = self._loop
        if self._busy and old is not None and old is not loop and old.is_closed():
            # The loop that ran the last batch is gone (a script's or a test's
            # asyncio.run ended with a commit in flight): the commit thread
            # has freed the writer, and the writes still queued for that loop
            # have no one to answer.
            self._busy = False
            self._queue = [w for w in self._queue if w.future.get_loop() is loop]
        self._loop = loop
        write = _Write(functools.partial(contextvars.copy_context().run, call),
                       loop.create_future())
        self._queue.append(write)
        if not self._busy:
            self._next(loop)
        return await write.future

    def close(self) -> None:
        """Stop the commit thread (after the commit in flight, if any)."""
        self._closed = True
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _work(self) -> None:
        """The commit thread: run each job until told to stop."""
        while (job := self._jobs.get()) is not None:
            job()

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the queued writes in one transaction and start its commit."""
        batch, self._queue = self._queue, []
        if not batch:
            self._busy = False
            return
        if self._closed:
            self._busy = False
            _settle(batch, RuntimeError("the store is closed"))
            return
        self._busy = True
        try:
            self._execute(batch)
        except BaseException as exc:  # no transaction (the file locked past busy_timeout)
            self._busy = False
            _settle(batch, exc)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="scimdock-commit",
                                            daemon=True)
            self._thread.start()
        self._jobs.put(lambda: self._commit_and_answer(loop, batch))

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
                    for earlier in batch[:index + 1]:
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

    def _commit_and_answer(self, loop: asyncio.AbstractEventLoop, batch: list[_Write]) -> None:
        """On the commit thread: :meth:`_commit`, then hand the outcome to the loop."""
        failure: BaseException | None = None
        try:
            self._commit()
        except BaseException as exc:
            failure = exc
        with contextlib.suppress(RuntimeError):  # its loop is gone: see run()
            loop.call_soon_threadsafe(self._committed, loop, batch, failure)

    def _committed(self, loop: asyncio.AbstractEventLoop, batch: list[_Write],
                   failure: BaseException | None) -> None:
        """Back on the loop: acknowledge the batch, then start the next one."""
        try:
            _settle(batch, failure)
        finally:
            self._next(loop)


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
