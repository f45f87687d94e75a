"""The shared counters (store.counters) of a PostgreSQL store: the
``limit_counts`` table of the database itself (no other component to run).

Each take is one transaction whose statements go out in one pipeline: one
round trip. The transaction-scoped advisory lock on the name serialises
the takes of one name across every process (READ COMMITTED: each statement
after it sees every take committed before). The table is ``UNLOGGED``
(store/migrations.py, migration 9): its writes skip the write-ahead log,
so a take costs no disk flush and no replication; after a crash, or on a
standby promoted, the table starts empty, which only resets the windows.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from scimdock.store.counters import Counters
from scimdock.store.pg_host import Conn
from scimdock.store.sqldialect import POSTGRES, Sql


class PgCounters(Counters):
    dialect = POSTGRES

    def __init__(self, connection: Callable[[], AbstractAsyncContextManager[Conn]]) -> None:
        #: The store's pooled connection (autocommit), its errors the store's.
        self._connection = connection

    async def _steps(self, steps: list[Sql]) -> list[tuple[Any, ...] | None]:
        async with self._connection() as conn:
            async with conn.pipeline():
                async with conn.transaction():
                    cursors = [await conn.execute(sql, params) for sql, params in steps]
            return [await c.fetchone() if c.description else None for c in cursors]
