"""How :class:`scimdock.store.postgres.PostgresStore` runs a transaction
script (store.sqlscript) on a psycopg connection: :func:`drive`."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from psycopg import AsyncConnection, errors

from scimdock.store.sqlscript import FOREIGN, MANY, ONE, OTHER, ROWS, UNIQUE, Script, thrown

Conn = AsyncConnection[tuple[Any, ...]]
T = TypeVar("T")


async def one(conn: Conn, query: str, params: Any = None) -> tuple[Any, ...] | None:
    """The first row of ``query``, or None."""
    cur = await conn.execute(query, params)
    return await cur.fetchone()


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
