"""The shared counters (store.counters) of a SQLite store: a side file
beside the database, ``<database>-limits``, so that every process on the
file (several ``serve``, ``--workers``) counts together.

A side file rather than a table of the database: a take is a write, and
the database's write lock is the one every SCIM write waits for (its
commits wait for the disk, ``synchronous=FULL``); the counters' commits
do not (``synchronous=OFF``): a crash of the machine may lose the last
counts, which only resets their windows. Nothing in the file is worth
keeping: deleting it while no server runs is harmless. A database in
memory counts in memory (one process). Each take is one ``BEGIN
IMMEDIATE`` transaction, on a thread of its own so that waiting for
another process's take never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scimdock.store.counters import SQLITE_TABLE, Counters
from scimdock.store.sqldialect import SQLITE, Sql


def side_file(path: str) -> str:
    """Where the counters of the database ``path`` live."""
    return path if path == ":memory:" else f"{path}-limits"


class SqliteCounters(Counters):
    dialect = SQLITE

    def __init__(self, path: str) -> None:
        self.path = side_file(path)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="scimdock-counters")
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:  # on the counters' thread, on first use
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute(SQLITE_TABLE)
            self._conn = conn
        return self._conn

    def _run(self, steps: list[Sql]) -> list[tuple[Any, ...] | None]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = [conn.execute(sql, params).fetchone() for sql, params in steps]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back itself (SQLITE_FULL)
                conn.execute("ROLLBACK")
            raise
        return rows

    async def _steps(self, steps: list[Sql]) -> list[tuple[Any, ...] | None]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, steps)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self.close_now)
        self._thread.shutdown()

    def close_now(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
