"""The embedded SQLite store's engine (stdlib :mod:`sqlite3`): the
synchronous methods :class:`scimdock.store.sqlite.SqliteStore` runs on
reader threads, the commit thread or the loop.

Durability: WAL journal with ``synchronous=FULL``, so a write is on disk
before the request that made it is acknowledged. Uniqueness of ``userName``
is a partial unique index over the key of each live row's name
(store.tenant_schema), not a read-then-write check. Filters and sorts compile to parameterised SQL
(:mod:`store.sqlfilter`) and run in the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar, cast

from scimdock.core.clock import Clock, SystemClock
from scimdock.store.errors import OverBudget
from scimdock.store.group_commit import GroupCommit
from scimdock.store.migrations import MIGRATIONS, migrate
from scimdock.store.sqlfilter import register_functions
from scimdock.store.sqlite_host import drive
from scimdock.store.sqlscript import Script

_USER_COLUMNS = "id, doc, created, last_modified, version"
_HELD = nullcontext()
#: How many SQLite virtual-machine steps between two looks at a read's
#: deadline: a look costs a Python call, ten thousand steps well under 1 ms.
PROGRESS_STEPS = 10_000
T = TypeVar("T")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    register_functions(conn)
    return conn


class _PerThread(threading.local):
    """What each thread keeps of an engine (and its group commit). Each
    name starts at its default as a class attribute: the ``getattr(local,
    name, default)`` of a name this thread never set would otherwise raise
    and drop an ``AttributeError``, its message formatted, on every read."""

    depth: int = 0
    reader: sqlite3.Connection | None = None
    deadline: float | None = None
    broken: bool = False


class SqliteEngine:
    """One writer connection per process, and a reader connection per thread.

    What it reads and writes are transaction scripts (store.sqlscript),
    run through :meth:`read`, :meth:`write` and :meth:`purge`.

    Every write runs in a transaction of the writer connection (``BEGIN
    IMMEDIATE``, so concurrent processes on the same file serialise
    cleanly), under the writer lock. Reads outside a write use the reader
    connection (``query_only``), which in WAL mode sees every committed
    write and never waits for one in flight; reads inside a write use the
    writer, so they see the write's own changes. Each thread reads on a
    connection of its own, so reads on several threads run side by side;
    :meth:`read_within` bounds one read's time with a progress handler.
    :class:`~scimdock.store.sqlite.SqliteStore` writes through
    :meth:`durable` (store.group_commit); tests call :meth:`write`
    directly, one transaction and one commit per call.
    """

    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", clock: Clock | None = None
    ) -> None:
        self.path = str(path)
        self.clock: Clock = SystemClock() if clock is None else clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = _PerThread()
        self._wlock = threading.Lock()
        self._rlock = threading.RLock()
        self._readers: list[sqlite3.Connection] = []
        writer = self._wconn = _connect(self.path)
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
        # Deleted content is zeroed where that costs no extra I/O; a purge
        # turns it fully on (:meth:`purge`).
        writer.execute("PRAGMA secure_delete=FAST")
        migrate(writer)
        #: ``:memory:`` has one connection: a second would be another database.
        self.in_memory = self.path == ":memory:"
        if self.in_memory:
            # Its one connection serves the reads too: bound them as a
            # reader's (:meth:`read_within`; writes set no deadline).
            writer.set_progress_handler(self._interrupt, PROGRESS_STEPS)
        self._commits = GroupCommit(writer, self._wlock, self._local)

    @property
    def _rconn(self) -> sqlite3.Connection:
        """This thread's reader (``query_only``), opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if conn is None:
            if self.in_memory:
                conn = self._wconn
            else:
                conn = _connect(self.path)
                conn.execute("PRAGMA query_only=ON")
                conn.set_progress_handler(self._interrupt, PROGRESS_STEPS)
                with self._rlock:
                    self._readers.append(conn)
            self._local.reader = conn
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """The writer inside a write on this thread, else this thread's reader."""
        local = self._local  # (its names have class defaults: read without getattr)
        if local.depth:
            return self._wconn
        reader = local.reader
        return self._rconn if reader is None else reader  # one property call per read

    @property
    def _lock(self) -> AbstractContextManager[Any]:
        """What guards :attr:`_conn` on this thread: nothing but the
        connection being this thread's own, except for ``:memory:``, whose
        one connection every thread shares."""
        return self._rlock if self.in_memory and not getattr(self._local, "depth", 0) else _HELD

    def read_within(self, seconds: float | None, read: Callable[[], T]) -> T:
        """``read()`` on this thread, stopped with :class:`OverBudget` when
        it runs past ``seconds`` (``None``: no limit). SQLite calls
        :meth:`_interrupt` every :data:`PROGRESS_STEPS` virtual-machine
        steps; past the deadline it makes the statement fail."""
        if seconds is None:
            return read()
        self._local.deadline = time.monotonic() + seconds
        try:
            return read()
        except sqlite3.OperationalError as exc:
            if str(exc) != "interrupted":
                raise
            raise OverBudget(
                f"The query ran past the server's budget of {seconds:g} s: narrow the"
                " filter, or ask for fewer results"
            ) from None
        finally:
            self._local.deadline = None

    def schema_current(self) -> bool:
        """Whether the database answers and holds every migration of
        :mod:`store.migrations` (another process may have opened it with
        older or newer code)."""
        with self._lock:
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        return bool(version == len(MIGRATIONS))

    def _interrupt(self) -> int:
        deadline: float | None = getattr(self._local, "deadline", None)
        return int(deadline is not None and time.monotonic() > deadline)

    async def durable(self, write: Callable[[], T]) -> T:
        if self.in_memory:
            # ``:memory:``: one connection, nothing to sync. Writing here, on
            # the loop, keeps reads from ever meeting a batch in flight.
            return write()
        return cast(T, await self._commits.run(write))

    def read(self, script: Script[T]) -> T:
        """Run a read script (store.sqlscript) on this thread's connection
        (:attr:`_conn`; ``:memory:``'s one connection under its lock)."""
        if self.in_memory:
            with self._lock:
                return drive(self._conn, script)
        return drive(self._conn, script)

    def one(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        """The first row of one read statement, on this thread's connection."""
        # (No ``typing.cast``: its type expression would be built on every read.)
        row: tuple[Any, ...] | None
        if self.in_memory:
            with self._lock:
                row = self._conn.execute(sql, params).fetchone()
                return row
        row = self._conn.execute(sql, params).fetchone()
        return row

    def rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        """Every row of one read statement, on this thread's connection
        (:attr:`_lock` holds nothing but for ``:memory:``: not entered else)."""
        if self.in_memory:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        return self._conn.execute(sql, params).fetchall()

    def write(self, script: Script[T]) -> T:
        """Run a write script in one transaction of the writer (or a
        savepoint of the one this thread has open: store.group_commit)."""
        with self._write() as conn:
            return drive(conn, script)

    def purge(self, script: Script[list[str]]) -> list[str]:
        """A write that deletes rows for good (store.sql_users.purge), with
        ``secure_delete`` on, so SQLite overwrites the freed bytes with
        zeros; then the WAL is checkpointed, so no old copy of a page stays
        in it (best effort: a reader in another process may keep old frames)."""
        self._wconn.execute("PRAGMA secure_delete = ON")
        try:
            purged = self.write(script)
        finally:
            self._wconn.execute("PRAGMA secure_delete = FAST")
        if purged:
            self._checkpoint()
        return purged

    def close(self, last: Script[None] | None = None) -> None:
        """Let the commit in flight finish, write ``last`` (the key uses
        still in memory), then close."""
        self._commits.close()
        try:
            if last is not None:
                self.write(last)
        finally:
            for reader in self._readers:
                reader.close()
            self._wconn.close()

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it (not inside
        a write: the checkpoint needs the writer free)."""
        if not getattr(self._local, "depth", 0):
            with self._wlock:
                self._wconn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A transaction on the writer, or a savepoint inside the one this
        thread already has open (a batch of store.group_commit, or an outer
        write); rolled back on any error."""
        local = self._local
        conn = self._wconn
        depth = getattr(local, "depth", 0)
        if depth:
            local.depth = depth + 1
            conn.execute("SAVEPOINT w")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK TO w")
                        conn.execute("RELEASE w")
                    except BaseException:
                        local.broken = True  # the enclosing transaction must go
                        raise
                raise
            finally:
                local.depth = depth
            conn.execute("RELEASE w")
            return
        with self._wlock:
            conn.execute("BEGIN IMMEDIATE")
            local.depth = 1
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                local.depth = 0
