"""What the PostgreSQL table mixins (``pg_*.py``) read from the store that
hosts them (:class:`scimdock.store.postgres.PostgresStore`): a connection
in a write transaction, a connection for reads, and the clock."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from psycopg import AsyncConnection

from scimdock.core.clock import Clock

Conn = AsyncConnection[tuple[Any, ...]]


class PgHost:
    """The part of the PostgreSQL store every table mixin uses."""

    clock: Clock

    def _write(self) -> AbstractAsyncContextManager[Conn]:
        """A connection inside a transaction, committed on exit, rolled
        back on any error (which comes out as a domain error where it
        means one)."""
        raise NotImplementedError

    def _read(self, *, budget: bool = False) -> AbstractAsyncContextManager[Conn]:
        """A connection for reads (autocommit); ``budget``: one transaction
        whose statements stop at the store's query budget (OverBudget)."""
        raise NotImplementedError


async def one(conn: Conn, query: str, params: Any = None) -> tuple[Any, ...] | None:
    """The first row of ``query``, or None."""
    cur = await conn.execute(query, params)
    return await cur.fetchone()


async def every(conn: Conn, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    cur = await conn.execute(query, params)
    return await cur.fetchall()
