"""How :class:`scimdock.store.sqlite.SqliteStore` runs a transaction
script (store.sqlscript) on a ``sqlite3`` connection, on the thread the
store chose: :func:`drive`."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from scimdock.store.sqlscript import FOREIGN, MANY, ONE, OTHER, ROWS, RUN, UNIQUE, Script, thrown

T = TypeVar("T")
#: What a script gets back for each kind of statement (store.sqlscript).
_FETCH: dict[int, Callable[[sqlite3.Cursor], Any]] = {
    ONE: sqlite3.Cursor.fetchone,
    ROWS: sqlite3.Cursor.fetchall,
    RUN: operator.attrgetter("rowcount"),
    MANY: operator.attrgetter("rowcount"),
}


def drive(conn: sqlite3.Connection, script: Script[T]) -> T:
    """Run ``script`` (store.sqlscript) on ``conn``, on this thread; a
    constraint SQLite refuses is thrown into the script as a :class:`Violation`."""
    try:
        sql, params, how = script.send(None)
        while True:
            try:
                cur = conn.executemany(sql, params) if how == MANY else conn.execute(sql, params)
            except sqlite3.IntegrityError as exc:
                sql, params, how = thrown(script, _kind(exc), exc)
                continue
            sql, params, how = script.send(_FETCH[how](cur))
    except StopIteration as end:
        return cast(T, end.value)


def _kind(exc: sqlite3.IntegrityError) -> str:
    text = str(exc)
    return UNIQUE if "UNIQUE" in text else FOREIGN if "FOREIGN KEY" in text else OTHER
