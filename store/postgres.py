"""The PostgreSQL store: :class:`scimdock.store.base.Store` on psycopg 3's
asyncio connections, from a pool (psycopg-pool), with the same behaviour
as :class:`scimdock.store.sqlite.SqliteStore` (tests/store_contract holds
both to it). Several server processes, on one machine or many, may share
one database.

* The constructor brings the schema up to date on a synchronous
  connection (store.pg_migrate), so ``PostgresStore(url)`` is ready as
  ``SqliteStore(path)`` is; the pool opens on first use, in the running
  event loop.
* Every write is one transaction, with its audit line (store.sql_audit);
  uniqueness is the database's (unique indexes), so concurrent writers in
  any number of instances get one success and a :class:`Conflict`.
* Every read runs within the query budget: each pooled connection sets
  ``statement_timeout`` to it once, when the pool opens it, so a read is
  one statement, one round trip, with no transaction around it (READ
  COMMITTED would give each statement of one its own snapshot anyway);
  past the budget, :class:`OverBudget`. A write, and the few reads that
  must not be cut short (a group with all its members, the operator's
  lists), open their transaction with ``SET LOCAL statement_timeout = 0``;
  their audit line goes out with their ``COMMIT``, and a write that is one
  statement goes out with its ``BEGIN`` (store.pg_host).
* Authentication's ``key_epoch`` comes from a watch of this process
  (store.pg_epoch), not from a read per request, while the watch vouches
  for it; an operator's write through this store forgets that at once.
* A tenant's lists and searches run at most :data:`SCANS_PER_TENANT` at a
  time in each process (store.pg_scans): one tenant's costly filters
  take a core of the database at most, never all of them.
* A database that cannot be reached (refused connection, pool exhausted
  past its timeout, server shut down) is :class:`Unavailable` (503):
  nothing of the request was kept, and it may be sent again. Once it is
  found down, requests are answered at once and a probe notices its
  return (store.pg_availability).

The table methods live in one mixin per idea (store/pg_*.py).
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from time import perf_counter
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from scimdock.core.clock import Clock, SystemClock
from scimdock.core.query import ListQuery
from scimdock.store import metrics
from scimdock.store.base import QUERY_BUDGET, Store
from scimdock.store.errors import OverBudget, Unavailable
from scimdock.store.key_use import KeyUses
from scimdock.store.migrations import MIGRATIONS
from scimdock.store.pg_availability import (
    RECONNECT_TIMEOUT,
    SUSPECT_AFTER,
    Availability,
    connect_options,
)
from scimdock.store.pg_counters import PgCounters
from scimdock.store.pg_epoch import EpochWatch
from scimdock.store.pg_host import Conn, drive, one, transaction
from scimdock.store.pg_migrate import migrate
from scimdock.store.pg_scans import TenantScans
from scimdock.store.sql_keys import KeyCache
from scimdock.store.sqldialect import POSTGRES
from scimdock.store.sqlscript import Script

T = TypeVar("T")

#: The longest a request waits for a connection of the pool, in seconds,
#: while the database answers (all connections busy).
POOL_TIMEOUT = 10.0
#: ``Retry-After`` of a 503 while the database cannot be reached, as /readyz's.
RETRY_AFTER = 5


_UNREACHABLE = (
    "The database cannot be reached now. Nothing of this request was kept; try again later"
)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _cut(conn: Conn) -> None:
    """Shut the socket of a connection to a server found down: a statement
    waiting on it ends at once with the server's connection lost
    (OperationalError), where cancelling the waiting task would have
    psycopg ask the frozen server to cancel it, and wait 10 s for that."""
    with suppress(OSError, psycopg.Error):
        fd = conn.fileno()
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)


def _milliseconds(budget: float) -> str:
    return str(max(1, math.ceil(budget * 1000)))


class PostgresStore(Store):
    """The store on one PostgreSQL database, given by its URL
    (``postgresql://user@host:port/dbname``, libpq's forms)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        query_budget: float | None = QUERY_BUDGET,
        pool_min: int = 1,
        pool_max: int = 10,
    ) -> None:
        self.url = url
        self.clock = SystemClock() if clock is None else clock
        self.query_budget = query_budget
        self._pool_min, self._pool_max = pool_min, max(pool_min, pool_max)
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._closed = False
        self.dialect = POSTGRES
        self._uses = KeyUses()
        self._key_cache = KeyCache()
        self._epoch = EpochWatch(url)
        self._availability = Availability(url, self._drop_pool)
        self._closing: set[asyncio.Task[None]] = set()
        #: The pooled connections requests hold: cut when the database is
        #: found down (:meth:`_drop_pool`).
        self._held: set[Conn] = set()
        self.counters = PgCounters(self._connection)
        self._scans = TenantScans()
        try:
            with psycopg.connect(url, autocommit=True, **connect_options(url)) as conn:
                migrate(conn)
        except psycopg.OperationalError as exc:
            raise Unavailable(f"The database cannot be reached: {exc}") from exc

    async def _connections(self) -> AsyncConnectionPool[Conn]:
        if self._closed:
            raise PoolClosed("the store is closed")
        if self._availability.down and not await self._availability.up():
            raise Unavailable(_UNREACHABLE, retry_after=RETRY_AFTER)
        if self._pool is None:
            self._pool = AsyncConnectionPool(
                self.url,
                min_size=self._pool_min,
                max_size=self._pool_max,
                kwargs={"autocommit": True, **connect_options(self.url)},
                configure=self._configure,
                timeout=POOL_TIMEOUT,
                reconnect_timeout=RECONNECT_TIMEOUT,
                reconnect_failed=self._reconnect_failed,
                open=False,
                name="scimdock",
            )
        await self._pool.open()
        return self._pool

    async def _configure(self, conn: Conn) -> None:
        """Each pooled connection reads and writes JSON with orjson, and
        ends any statement past the query budget (the module's text)."""
        set_json_loads(orjson.loads, conn)
        set_json_dumps(_dumps, conn)
        if self.query_budget is not None:
            budget = _milliseconds(self.query_budget)
            await conn.execute("SELECT set_config('statement_timeout', %s, false)", (budget,))

    def _reconnect_failed(self, pool: AsyncConnectionPool[Conn]) -> None:
        if pool is self._pool:
            self._availability.lost("the pool's attempts to reconnect failed")

    def _drop_pool(self) -> None:
        """The database is down: close the pool now (its waiting clients get
        PoolClosed at once), and open a new one once a probe finds it back."""
        pool, self._pool = self._pool, None
        if pool is not None:
            task = asyncio.get_running_loop().create_task(pool.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        for conn in list(self._held):
            _cut(conn)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Conn]:
        """A pooled connection; what the database's absence raises comes
        out as :class:`Unavailable`, a cancelled statement as :class:`OverBudget`."""
        conn: Conn | None = None
        watch = asyncio.get_running_loop().call_later(SUSPECT_AFTER, self._availability.suspect)
        try:
            pool = await self._connections()
            async with pool.connection() as conn:
                self._held.add(conn)
                yield conn
        except errors.QueryCanceled:
            raise OverBudget(
                f"The query ran past the server's budget of {self.query_budget:g} s: narrow"
                " the filter, or ask for fewer results"
            ) from None
        except PoolTimeout as exc:  # busy, or down without a connection to show it
            self._availability.suspect()
            raise Unavailable(_UNREACHABLE, retry_after=RETRY_AFTER) from exc
        except (psycopg.OperationalError, PoolClosed) as exc:
            if conn is not None and conn.closed and not self._closed:  # the connection died
                self._availability.lost(exc)
            raise Unavailable(_UNREACHABLE, retry_after=RETRY_AFTER) from exc
        finally:
            watch.cancel()
            if conn is not None:
                self._held.discard(conn)

    async def _transaction(self, script: Script[T]) -> T:
        """``script`` in one transaction without the query budget, committed
        when it ends, rolled back when it raises (store.pg_host.transaction:
        ``BEGIN`` sent with its first statement, ``COMMIT`` with its last)."""
        async with self._connection() as conn:
            try:
                return await transaction(conn, script)
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.ACTIVE:
                    with suppress(psycopg.Error):  # broken: the pool discards it
                        await conn.rollback()
                raise  # a statement still running (cancelled): the pool discards it

    async def _write(self, script: Script[T]) -> T:
        """One transaction, timed as ``commit`` (store.metrics) once enabled."""
        started = perf_counter()
        try:
            return await self._transaction(script)
        finally:
            if metrics.ENABLED:
                metrics.COMMIT.observe(perf_counter() - started)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[Conn]:
        """A connection for reads within the query budget, timed as
        ``read`` (store.metrics) once enabled."""
        started = perf_counter()
        try:
            async with self._connection() as conn:
                yield conn
        finally:
            if metrics.ENABLED:
                metrics.READ.observe(perf_counter() - started)

    async def _point(self, script: Script[T]) -> T:
        async with self._read() as conn:
            return await drive(conn, script)

    async def _one(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        async with self._read() as conn:
            return await one(conn, sql.replace("?", "%s"), params)

    async def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        async with self._read() as conn:
            cur = await conn.execute(sql.replace("?", "%s"), params)
            return await cur.fetchall()

    async def _scan(self, script: Script[T], *, budget: bool = True) -> T:
        if budget or self.query_budget is None:
            async with self._read() as conn:
                return await drive(conn, script)
        started = perf_counter()  # a read that must not be cut short
        try:
            return await self._transaction(script)
        finally:
            if metrics.ENABLED:
                metrics.READ.observe(perf_counter() - started)

    async def search(
        self, tenant_id: int, type_name: str, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[Any]]:
        async with self._scans.turn(tenant_id):  # store.pg_scans
            return await super().search(tenant_id, type_name, query, with_members=with_members)

    async def _admin(self, script: Script[T]) -> T:
        """An operator's write: it may move ``key_epoch``, so this process's
        watch vouches for nothing until its next read (store.pg_epoch)."""
        try:
            return await self._write(script)
        finally:
            self._epoch.forget()

    async def _change(self, script: Script[T]) -> T:
        return await self._write(script)  # every write is one transaction of its own

    async def _key_epoch(self) -> int:
        """The epoch as the watch saw it (no query), else read now."""
        epoch = self._epoch.epoch()
        if epoch is None:
            epoch = await super()._key_epoch()
            self._epoch.saw(epoch)
        return epoch

    async def ready(self) -> bool:
        """Whether the database answers and holds every migration this code knows."""
        try:  # while down, _connections() answers from the probe (store.pg_availability)
            async with self._read() as conn:
                row = await one(conn, "SELECT n FROM schema_version")
            return row is not None and row[0] == len(MIGRATIONS)
        except Exception:  # any failure: not ready (the probe says 503)
            return False

    async def close(self) -> None:
        """Write the key uses still in memory, then close the pool."""
        if self._closed:
            return
        try:
            await self.flush_key_uses()  # nothing noted: no connection taken
        finally:
            self._closed = True
            await self._epoch.close()
            await self._availability.close()
            if self._pool is not None:
                await self._pool.close()
            for task in list(self._closing):
                await task
