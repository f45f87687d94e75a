"""What the PostgreSQL table mixins (``pg_*.py``) read from the store that
hosts them (:class:`scimdock.store.postgres.PostgresStore`): a connection
in a write transaction, a connection for reads, and the clock; and
:func:`drive`, which runs a transaction script (store.sqlscript) on a
connection."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar, cast

from psycopg import AsyncConnection, errors

from scimdock.core.clock import Clock
from scimdock.store.sqlscript import FOREIGN, MANY, ONE, OTHER, ROWS, UNIQUE, Script, thrown

Conn = AsyncConnection[tuple[Any, ...]]
T = TypeVar("T")


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


async def drive(conn: Conn, script: Script[T]) -> T:
    """Run ``script`` (store.sqlscript) on ``conn``: its ``?`` placeholders
    are psycopg's ``%s``; a constraint PostgreSQL refuses is thrown into the
    script as a :class:`Violation`."""
    try:
        stmt = script.send(None)
        while True:
            sql, params, how = stmt
            sql = sql.replace("?", "%s")
            try:
                if how == MANY:
                    async with conn.cursor() as cur:
                        await cur.executemany(sql, params)
                        result: Any = cur.rowcount
                else:
                    cur = await conn.execute(sql, params)
                    if how == ONE:
                        result = await cur.fetchone()
                    elif how == ROWS:
                        result = await cur.fetchall()
                    else:
                        result = cur.rowcount
            except errors.IntegrityError as exc:
                stmt = thrown(script, _kind(exc), exc)
                continue
            stmt = script.send(result)
    except StopIteration as end:
        return cast(T, end.value)


def _kind(exc: errors.IntegrityError) -> str:
    if isinstance(exc, errors.UniqueViolation):
        return UNIQUE
    return FOREIGN if isinstance(exc, errors.ForeignKeyViolation) else OTHER
