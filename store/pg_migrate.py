"""Bring a PostgreSQL database to the latest schema of :mod:`store.migrations`.

``schema_version`` (one row) holds how many steps have run. Every pending
step and the new count commit in one transaction (PostgreSQL's DDL is
transactional): a failed step leaves the database as it was. The
transaction first takes a transaction-scoped advisory lock
(``pg_advisory_xact_lock``), so instances starting together migrate once:
the others wait, then find nothing left to do.
"""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from scimdock.core.schema import GROUP, USER
from scimdock.store.migrations import MIGRATIONS
from scimdock.store.sqlfold import folded_doc

#: The step (its number, counted from 1) that adds ``doc_fold``.
FOLDED_STEP = 6

#: The advisory lock key of schema migrations ("scimdock" in ASCII, as an int).
LOCK_KEY = 0x7363_696D_646F_636B


def migrate(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """Apply every pending PostgreSQL step; return the schema version.

    ``RuntimeError`` when the database holds more steps than this code
    knows (a newer release migrated it): nothing is changed."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (n integer NOT NULL)")
        row = conn.execute("SELECT n FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version VALUES (0)")
            version = 0
        else:
            version = int(str(row[0]))
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"the database's schema is at step {version}, newer than this release's"
                f" {len(MIGRATIONS)}: run the newer release"
            )
        for step in MIGRATIONS[version:]:
            if step.postgresql.strip():
                conn.execute(step.postgresql.encode())
        if version < FOLDED_STEP <= len(MIGRATIONS):
            fill_folded(conn)
        conn.execute("UPDATE schema_version SET n = %s", (len(MIGRATIONS),))
    return len(MIGRATIONS)


def fill_folded(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """``doc_fold`` of the rows stored before the step that added it, made
    by the same Python the store writes it with (store.sqlfold)."""
    for table, rt in (("users", USER), ("groups", GROUP)):
        rows = conn.execute(
            f"SELECT tenant_id, seq, doc FROM {table} WHERE doc_fold IS NULL"  # noqa: S608
        ).fetchall()
        with conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET doc_fold = %s WHERE tenant_id = %s AND seq = %s",  # noqa: S608
                [(Jsonb(folded_doc(dict(doc), rt)), t, seq) for t, seq, doc in rows],  # type: ignore[call-overload]
            )


def schema_version(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """The number of steps the database holds (0 before any)."""
    row = conn.execute("SELECT n FROM schema_version").fetchone()
    return 0 if row is None else int(str(row[0]))
