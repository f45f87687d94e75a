"""How :class:`scimdock.store.sqlite.SqliteStore` runs a transaction
script (store.sqlscript) on a ``sqlite3`` connection, on the thread the
store chose: :func:`drive`."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from scimdock.store import sqlscript as ss
from scimdock.store.sqlscript import Script, thrown

T = TypeVar("T")
#: What a script gets back for each kind of statement (store.sqlscript).
_FETCH: dict[int, Callable[[sqlite3.Cursor], Any]] = {
    ss.ONE: sqlite3.Cursor.fetchone,
    ss.ROWS: sqlite3.Cursor.fetchall,
    ss.RUN: operator.attrgetter("rowcount"),
    ss.MANY: operator.attrgetter("rowcount"),
    ss.LATER: lambda cur: None,  # run at once: SQLite pays no round trip
    ss.ALONE: sqlite3.Cursor.fetchall,  # in the store's transaction, as any other
}


def drive(conn: sqlite3.Connection, script: Script[T]) -> T:
    """Run ``script`` (store.sqlscript) on ``conn``, on this thread; a
    constraint SQLite refuses is thrown into the script as a :class:`Violation`."""
    try:
        sql, params, how = script.send(None)
        while True:
            try:
                if how == ss.TOGETHER:
                    result = [_FETCH[h](conn.execute(s, p)) for s, p, h in params]
                elif how == ss.MANY:
                    result = _FETCH[how](conn.executemany(sql, params))
                else:
                    result = _FETCH[how](conn.execute(sql, params))
            except sqlite3.IntegrityError as exc:
                sql, params, how = thrown(script, _kind(exc), exc)
                continue
            sql, params, how = script.send(result)
    except StopIteration as end:
        return cast(T, end.value)


def _kind(exc: sqlite3.IntegrityError) -> str:
    text = str(exc)
    return ss.UNIQUE if "UNIQUE" in text else ss.FOREIGN if "FOREIGN KEY" in text else ss.OTHER
