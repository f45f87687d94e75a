"""What the SQLite table mixins (``sqlite_*.py``) read from the store that
hosts them: the connection for this thread and the lock that guards it
(:class:`scimdock.store.sqlite.SqliteStore` provides both); and
:func:`drive`, which runs a transaction script (store.sqlscript) on a
connection."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import Any, TypeVar, cast

from scimdock.store import sql_extensions as extensions
from scimdock.store.sqldialect import SQLITE
from scimdock.store.sqlscript import FOREIGN, ONE, OTHER, ROWS, RUN, UNIQUE, Script, thrown

T = TypeVar("T")


class SqliteHost:
    """The part of :class:`~scimdock.store.sqlite.SqliteStore` every table
    mixin uses."""

    @property
    def _conn(self) -> sqlite3.Connection:
        """The writer inside a write on this thread, else the reader."""
        raise NotImplementedError

    @property
    def _lock(self) -> AbstractContextManager[Any]:
        """What guards :attr:`_conn` on this thread."""
        raise NotImplementedError


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


def case_exact(conn: sqlite3.Connection, tenant_id: int) -> bool:
    """Whether the tenant keys userNames as given, as ``conn`` sees it
    (store.sql_extensions)."""
    return drive(conn, extensions.case_exact(SQLITE, tenant_id))
