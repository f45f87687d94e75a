"""How :class:`scimdock.store.postgres.PostgresStore` runs a transaction
script (store.sqlscript) on a psycopg connection: :func:`drive`, and
:func:`transaction` around it for a write.

Every statement sent on its own is a round trip: scimdock waits for the
answer before its next, and PostgreSQL's session waits idle in the
transaction meanwhile. So a transaction sends what needs no answer with
what comes next, in one psycopg pipeline
(<https://www.psycopg.org/psycopg3/docs/advanced/pipeline.html>, the
extended protocol's messages without a Sync between them): its last
statements that need no answer (:func:`~scimdock.store.sqlscript.later`:
the audit line, an update that cannot break a constraint) with its
``COMMIT``; and reads that do not depend on each other
(:func:`~scimdock.store.sqlscript.together`) at once.

A write that is one statement (:func:`~scimdock.store.sqlscript.alone`:
``POST /Users``, the insert and its audit line in one data-modifying
``WITH``) goes out in one pipeline with ``BEGIN`` and the statement that
lifts the query budget for it (``set_config(..., true)``: unlike ``SET
LOCAL`` in a simple query, it can be pipelined), then ``COMMIT``: two
round trips where it was three. The ``COMMIT`` waits for the statement's
answer rather than going with it (the pipeline's ``Sync`` would commit an
implicit transaction on its own): a server that freezes with the pipeline
in its socket runs it when it thaws, after the store has cut the
connection and answered 503 (store.postgres), and a 503 must keep nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from psycopg import AsyncConnection, errors

from scimdock.store.sqlscript import (
    ALONE,
    FOREIGN,
    LATER,
    MANY,
    ONE,
    OTHER,
    ROWS,
    TOGETHER,
    UNIQUE,
    Script,
    Stmt,
    thrown,
)

Conn = AsyncConnection[tuple[Any, ...]]
#: A statement held back, to go out with the next: ``(sql, parameters)``.
Held = tuple[str, Any]
T = TypeVar("T")

#: A transaction without the query budget (store.postgres), begun in one
#: simple query, which may hold several statements: not in the pipeline of
#: the first statement, where the extended protocol would keep the
#: session's ``statement_timeout`` armed from the ``SET``'s parse until the
#: pipeline's end (<https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT>),
#: over a first statement that may wait for a row lock.
_BEGIN = "BEGIN; SET LOCAL statement_timeout = 0"
_COMMIT: Held = ("COMMIT", None)
#: A transaction without the query budget, begun in a pipeline (:func:`_alone`).
_LIFTED: list[Held] = [("BEGIN", None), ("SELECT set_config('statement_timeout', '0', true)", None)]


async def one(conn: Conn, query: str, params: Any = None) -> tuple[Any, ...] | None:
    """The first row of ``query``, or None."""
    cur = await conn.execute(query, params)
    return await cur.fetchone()


async def drive(
    conn: Conn, script: Script[T], held: list[Held] | None = None, first: Stmt | None = None
) -> T:
    """Run ``script`` (store.sqlscript) on ``conn``: its ``?`` placeholders
    are psycopg's ``%s``; a constraint PostgreSQL refuses is thrown into the
    script as a :class:`Violation`. ``held``: where the script's
    :data:`LATER` statements wait to go out with the next, and what is left
    for :func:`transaction`'s commit; without it, every statement goes out
    at once. ``first``: the script's first statement, already taken from it."""
    try:
        stmt = script.send(None) if first is None else first
        while True:
            sql, params, how = stmt
            sql = sql.replace("?", "%s")
            if how == LATER and held is not None:
                held.append((sql, params))
                stmt = script.send(None)
                continue
            try:
                result = await _execute(conn, held, sql, params, how)
            except errors.IntegrityError as exc:
                stmt = thrown(script, _kind(exc), exc)
                continue
            stmt = script.send(result)
    except StopIteration as end:
        return cast(T, end.value)


async def _execute(conn: Conn, held: list[Held] | None, sql: str, params: Any, how: int) -> Any:
    """One statement's result, sent after what is ``held`` (in one pipeline)."""
    if how == TOGETHER:
        statements = [(s.replace("?", "%s"), p) for s, p, _how in params]
        cursors = await _send(conn, [] if held is None else held, *statements)
        mine = cursors[len(cursors) - len(statements) :]
        return [await _result(c, h) for c, (_s, _p, h) in zip(mine, params, strict=True)]
    if held:
        if how == MANY:  # executemany runs a pipeline of its own
            await _send(conn, held)
        else:
            cursors = await _send(conn, held, (sql, params))
            return await _result(cursors[-1], how)
    if how == MANY:
        async with conn.cursor() as cur:
            await cur.executemany(sql, params)
            return cur.rowcount
    return await _result(await conn.execute(sql, params), how)


async def _result(cur: Any, how: int) -> Any:
    if how == ONE:
        return await cur.fetchone()
    return await cur.fetchall() if how == ROWS else cur.rowcount


async def _send(conn: Conn, held: list[Held], *last: Held) -> list[Any]:
    """``held`` then ``last`` in one round trip; ``held`` emptied. The
    first error of any of them is raised (the rest are not run)."""
    statements = [*held, *last]
    held.clear()
    async with conn.pipeline():
        return [
            await conn.execute(sql, params, prepare=False if params is None else None)
            for sql, params in statements
        ]


async def transaction(conn: Conn, script: Script[T]) -> T:
    """``script`` in one transaction without the query budget, committed
    with its held-back last statements; a failure leaves the transaction
    for the caller to roll back."""
    try:
        first = script.send(None)
    except StopIteration as end:
        return cast(T, end.value)
    if first[2] == ALONE:
        return await _alone(conn, script, first)
    await conn.execute(_BEGIN, prepare=False)
    held: list[Held] = []
    result = await drive(conn, script, held, first)
    if held:
        await _send(conn, held, _COMMIT)
    else:
        await conn.execute(*_COMMIT, prepare=False)
    return result


async def _alone(conn: Conn, script: Script[T], stmt: Stmt) -> T:
    """The script's one statement in a transaction without the budget,
    begun in its pipeline; committed once the script has its rows and ends."""
    sql, params, _how = stmt
    try:
        cursors = await _send(conn, list(_LIFTED), (sql.replace("?", "%s"), params))
        found = await cursors[-1].fetchall()
    except errors.IntegrityError as exc:
        thrown(script, _kind(exc), exc)  # the script raises what it means
        raise RuntimeError("a script went on after a violation") from exc
    try:
        script.send(found)
    except StopIteration as end:
        await conn.execute(*_COMMIT, prepare=False)
        return cast(T, end.value)
    raise RuntimeError("a script yielded a statement after its alone one")


def _kind(exc: errors.IntegrityError) -> str:
    if isinstance(exc, errors.UniqueViolation):
        return UNIQUE
    return FOREIGN if isinstance(exc, errors.ForeignKeyViolation) else OTHER
