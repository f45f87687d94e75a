"""A test's own look at a server's database, on either backend: what the
rows really hold, read past the API (a tombstone is a row; no secret is
stored). SQL is written with ``?`` placeholders, as SQLite takes them."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from scimdock.store.opening import parse


def query(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every row ``sql`` answers on the database ``db`` (a path or a URL)."""
    target = parse(db)
    if target.kind == "sqlite":
        with closing(sqlite3.connect(target.location)) as conn:
            return list(conn.execute(sql, params).fetchall())
    import psycopg

    with psycopg.connect(target.location, autocommit=True) as conn:
        cursor = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description is not None else []


def file_bytes(db: Path) -> bytes:
    """Every byte of the SQLite database ``db`` and the files beside it
    (its WAL, shared memory, side files), read by a child process.

    Not read here: closing any descriptor of a database file releases every
    POSIX lock this process holds on it, those of its SQLite connections
    included (https://www.sqlite.org/howtocorrupt.html, section 2.2). With a
    server served in this process, the next process to close a connection
    on the database then takes it for the last one, checkpoints and deletes
    the WAL that this process's connections still append to: their commits
    are no longer seen by any other process."""
    files = sorted(str(p) for p in db.parent.glob(db.name + "*"))
    return subprocess.run(["cat", "--", *files], capture_output=True, check=True).stdout


def dump(db: Path | str) -> str:
    """Everything the database holds, as text: to check what is never stored."""
    target = parse(db)
    if target.kind == "sqlite":
        with closing(sqlite3.connect(target.location)) as conn:
            return "\n".join(conn.iterdump())
    tables = query(
        db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    lines: list[str] = []
    for (table,) in tables:
        rows = query(db, f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608
        lines.extend(f"{table}: {row}" for (row,) in rows)
    return "\n".join(lines)


def schema_version(db: Path | str, version: int | None = None) -> int:
    """How many migrations the database records (SQLite's ``user_version``,
    PostgreSQL's ``schema_version`` row); with ``version``, set it first,
    as a newer scimdock that migrated further would have."""
    if parse(db).kind == "sqlite":
        if version is not None:
            query(db, f"PRAGMA user_version = {int(version):d}")
        return int(query(db, "PRAGMA user_version")[0][0])
    if version is not None:
        query(db, "UPDATE schema_version SET n = ?", (version,))
    return int(query(db, "SELECT n FROM schema_version")[0][0])
