"""The audit log (store.sql_audit) on a SQLite connection, for the
SQLite code not yet written as transaction scripts."""

from __future__ import annotations

import sqlite3
from typing import Any

from scimdock.store import sql_audit
from scimdock.store.records import AuditEntry
from scimdock.store.sqldialect import SQLITE
from scimdock.store.sqlite_host import drive


def record(conn: sqlite3.Connection, *args: Any, **kwargs: Any) -> None:
    drive(conn, sql_audit.record(SQLITE, *args, **kwargs))


def record_many(conn: sqlite3.Connection, *args: Any, **kwargs: Any) -> None:
    drive(conn, sql_audit.record_many(SQLITE, *args, **kwargs))


def read(conn: sqlite3.Connection, *args: Any) -> tuple[int, list[AuditEntry]]:
    return drive(conn, sql_audit.read(SQLITE, *args))
