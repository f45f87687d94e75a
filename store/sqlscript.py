"""Transaction scripts: each store operation written once, for every
backend, as a generator that yields the statements it needs and receives
their results, without doing any I/O itself (the "sans-I/O" style of
h11 and hyper-h2: the logic is plain code, the I/O a small driver).

A script yields :data:`Stmt` tuples built by :func:`one`, :func:`rows`,
:func:`run`, :func:`many`, :func:`later`, :func:`together` and :func:`alone`, and gets back,
in order: a row (or ``None``), a list of rows, the count of rows changed,
``None``, or the list of a batch's results. Its SQL is written
with ``?`` placeholders and the backend's :class:`~store.sqldialect.Dialect`
for what differs (booleans, JSON, locks, batches); its return value is
the operation's.

Two drivers run scripts: a synchronous one for SQLite on the thread the
store chose (store.sqlite_host.drive) and an awaited one for psycopg
(store.pg_host.drive). The store around them opens the transaction, or
not, and commits it: a script never says BEGIN or COMMIT.

What the database refuses as a broken constraint (a unique index, a
foreign key) reaches the script as :class:`Violation`, thrown at the
``yield`` of the statement, so the script can say what it means (a
:class:`~store.errors.Conflict`). After a violation a script must raise:
PostgreSQL refuses every further statement of the transaction.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: ``(sql, parameters, how)``: what a script yields.
Stmt = tuple[str, Any, int]
#: A script that ends with a ``T``.
Script = Generator[Stmt, Any, T]

ONE, ROWS, RUN, MANY, LATER, TOGETHER, ALONE = 0, 1, 2, 3, 4, 5, 6
UNIQUE, FOREIGN, OTHER = "unique", "foreign key", "other"


def one(sql: str, params: Sequence[object] = ()) -> Stmt:
    """The first row of the result, or ``None``."""
    return sql, params, ONE


def rows(sql: str, params: Sequence[object] = ()) -> Stmt:
    """Every row of the result."""
    return sql, params, ROWS


def run(sql: str, params: Sequence[object] = ()) -> Stmt:
    """A statement without a result: the number of rows it changed."""
    return sql, params, RUN


def many(sql: str, params: Sequence[Sequence[object]]) -> Stmt:
    """One statement run for each parameter tuple (``executemany``)."""
    return sql, params, MANY


def later(sql: str, params: Sequence[object] = ()) -> Stmt:
    """A statement whose result the script does not read (it gets ``None``
    back at once): a backend that pays a round trip per statement may hold
    it back and send it with the next statement, or with the commit (an
    audit line). It must break no constraint the script would claim: a
    failure fails the whole write, whenever the backend reports it."""
    return sql, params, LATER


def together(*stmts: Stmt) -> Stmt:
    """Statements that do not depend on each other's results (of
    :func:`one`, :func:`rows`, :func:`run`), run in order, each sent without
    waiting for the answer of the one before where the backend can (one
    round trip); their results, in a list."""
    return "", stmts, TOGETHER


def alone(sql: str, params: Sequence[object] = ()) -> Stmt:
    """A write's one statement, all of it (a data-modifying ``WITH`` with
    its audit line, PostgreSQL's): its rows, as :func:`rows`. The script
    yields it first and nothing after it, so a backend may run it in a
    transaction of its own, without ``BEGIN`` and ``COMMIT`` (store.pg_host)."""
    return sql, params, ALONE


class Violation(Exception):
    """The database refused a statement for a constraint: ``kind`` is
    :data:`UNIQUE`, :data:`FOREIGN` or :data:`OTHER`, ``text`` its message.
    ``error`` is the driver's own exception, raised again when the script
    lets the violation through (it was not the client's doing)."""

    def __init__(self, kind: str, text: str, error: BaseException) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text
        self.error = error


def first(stmt: Stmt) -> Script[Any]:
    """The first column of the first row of ``stmt`` (``None`` without a row)."""
    row = yield stmt
    return None if row is None else row[0]


def thrown(script: Script[T], kind: str, error: BaseException) -> Stmt:
    """The script's next statement after ``error``, a broken constraint of
    ``kind``, thrown into it as a :class:`Violation`; ``error`` itself if
    the script lets the violation through."""
    violation = Violation(kind, str(error), error)
    try:
        return script.throw(violation)
    except Violation as passed:
        if passed is violation:
            raise error from None  # not claimed: the database's own error
        raise


def meaning(
    refused: Violation,
    *,
    unique: Exception | None = None,
    foreign: Exception | None = None,
) -> Exception:
    """What a script raises for ``refused``: the store's error for its kind,
    else the violation itself (not the client's doing: the driver raises
    the database's own error)."""
    found = unique if refused.kind == UNIQUE else foreign if refused.kind == FOREIGN else None
    return refused if found is None else found
