"""The audit log (store.sql_audit) on a psycopg connection, for the
PostgreSQL code not yet written as transaction scripts."""

from __future__ import annotations

from typing import Any

from scimdock.store import sql_audit
from scimdock.store.pg_host import Conn, drive
from scimdock.store.records import AuditEntry
from scimdock.store.sqldialect import POSTGRES


async def record(conn: Conn, *args: Any, **kwargs: Any) -> None:
    await drive(conn, sql_audit.record(POSTGRES, *args, **kwargs))


async def record_many(conn: Conn, *args: Any, **kwargs: Any) -> None:
    await drive(conn, sql_audit.record_many(POSTGRES, *args, **kwargs))


async def read(conn: Conn, *args: Any) -> tuple[int, list[AuditEntry]]:
    return await drive(conn, sql_audit.read(POSTGRES, *args))
