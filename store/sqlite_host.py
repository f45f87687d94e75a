"""How :class:`scimdock.store.sqlite.SqliteStore` runs a transaction
script (store.sqlscript) on a ``sqlite3`` connection, on the thread the
store chose: :func:`drive`."""

from __future__ import annotations

import sqlite3
from typing import Any, TypeVar, cast

from scimdock.store.sqlscript import FOREIGN, ONE, OTHER, ROWS, RUN, UNIQUE, Script, thrown

T = TypeVar("T")


def drive(conn: sqlite3.Connection, script: Script[T]) -> T:
    """Run ``script`` (store.sqlscript) on ``conn``, on this thread; a
    constraint SQLite refuses is thrown into the script as a :class:`Violation`."""
    try:
        stmt = script.send(None)
        while True:
            sql, params, how = stmt
            try:
                if how == ONE:
                    result: Any = conn.execute(sql, params).fetchone()
                elif how == ROWS:
                    result = conn.execute(sql, params).fetchall()
                elif how == RUN:
                    result = conn.execute(sql, params).rowcount
                else:
                    result = conn.executemany(sql, params).rowcount
            except sqlite3.IntegrityError as exc:
                stmt = thrown(script, _kind(exc), exc)
                continue
            stmt = script.send(result)
    except StopIteration as end:
        return cast(T, end.value)


def _kind(exc: sqlite3.IntegrityError) -> str:
    text = str(exc)
    return UNIQUE if "UNIQUE" in text else FOREIGN if "FOREIGN KEY" in text else OTHER
