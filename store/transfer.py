"""``scimdock migrate``: copy a SQLite database into an empty PostgreSQL one,
then verify the copy table by table (docs/deployment.md, "From SQLite to
PostgreSQL").

Both databases carry the same tables, made by the same ordered list of
migrations (store.migrations), so the copy is by column name: every column
both sides have, in key order, through PostgreSQL's ``COPY`` (fast for a
million users). Only the representation changes: SQLite's 0/1 become
``boolean``, JSON text becomes ``jsonb``. Two things are rebuilt rather
than copied: the identity counters of ``users.seq``, ``groups.seq`` and
``schema_extensions.seq`` (moved past the highest copied value) and the
audit log's numbering, one counter per tenant's log on PostgreSQL
(store.sql_audit) where SQLite has one for the whole file: each log's lines
are numbered 1, 2, 3... in their SQLite order, and ``audit_seq`` records
the last.

Everything is written in one transaction: a copy that fails leaves the
target as it was. It refuses a target that holds any tenant, key, token,
resource or audit line. Afterwards each table's row count and a checksum
of its rows (SHA-256 over a canonical form of every copied value, the
audit log without its renumbered ``seq``) must be equal on both sides.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

#: Tables copied, parents first, each with the key its rows are read in.
TABLES: tuple[tuple[str, str], ...] = (
    ("tenants", "id"),
    ("api_keys", "key_id"),
    ("admin_tokens", "token_id"),
    ("users", "tenant_id, seq"),
    ("groups", "tenant_id, seq"),
    ("members", "tenant_id, group_seq, member_id"),
    ("audit", "tenant_id, seq"),
    ("schema_extensions", "tenant_id, seq"),
)
#: Tables whose rows make a target "not empty".
HOLDING = tuple(name for name, _key in TABLES)


class TransferError(Exception):
    """The copy was refused or did not verify; nothing was kept."""


@dataclass(frozen=True)
class TableReport:
    """One table: rows on each side and whether the checksums agree."""

    table: str
    rows: int
    checksum: str
    verified: bool


def transfer(source: str | Path, target: str) -> list[TableReport]:
    """Copy the SQLite database at ``source`` into the PostgreSQL database
    ``target`` (a URL), migrating the target first, and verify the copy."""
    from scimdock.store.pg_migrate import migrate
    from scimdock.store.sqlite_engine import SqliteEngine

    path = Path(source)
    if not path.is_file():
        raise TransferError(f"no SQLite database at {path}")
    SqliteEngine(path).close()  # brings the source's own schema up to date
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as lite:
        with psycopg.connect(target) as pg:
            with pg.transaction():
                migrate(pg)
                _refuse_data(pg)
                for table, key in TABLES:
                    _copy(lite, pg, table, key)
                (last,) = lite.execute("SELECT last FROM tenant_id_seq").fetchone()
                pg.execute("UPDATE tenant_id_seq SET last = %s", (last,))
                _rebuild_counters(pg)
            reports = [_verify(lite, pg, table, key) for table, key in TABLES]
    failed = [r.table for r in reports if not r.verified]
    if failed:
        raise TransferError(f"the copy of {', '.join(failed)} does not match its source")
    return reports


def _refuse_data(pg: psycopg.Connection[Any]) -> None:
    for table in HOLDING:
        if pg.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():  # noqa: S608
            raise TransferError(
                f"the target database is not empty (table {table} holds rows):"
                " migrate copies into an empty database only"
            )


def _columns(lite: sqlite3.Connection, pg: psycopg.Connection[Any], table: str) -> list[str]:
    """The columns both sides have, in SQLite's order."""
    ours = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
    theirs = {
        row[0]
        for row in pg.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
    }
    return [c for c in ours if c in theirs]


def _types(pg: psycopg.Connection[Any], table: str) -> dict[str, str]:
    return {
        row[0]: row[1]
        for row in pg.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
    }


def _rows(
    lite: sqlite3.Connection, table: str, columns: list[str], key: str
) -> Iterator[tuple[Any, ...]]:
    listed = ", ".join(columns)
    yield from lite.execute(f"SELECT {listed} FROM {table} ORDER BY {key}")  # noqa: S608


def _copy(lite: sqlite3.Connection, pg: psycopg.Connection[Any], table: str, key: str) -> None:
    columns = _columns(lite, pg, table)
    types = _types(pg, table)
    convert = [_converter(types[c]) for c in columns]
    rows = _rows(lite, table, columns, key)
    if table == "audit":
        rows = _renumbered(rows, columns)
    with pg.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([f(v) for f, v in zip(convert, row, strict=True)])


def _renumbered(rows: Iterator[tuple[Any, ...]], columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Audit lines (read in tenant, then SQLite ``seq`` order) numbered per log."""
    seq, tenant = columns.index("seq"), columns.index("tenant_id")
    counters: dict[int, int] = {}
    for row in rows:
        n = counters[row[tenant]] = counters.get(row[tenant], 0) + 1
        yield (*row[:seq], n, *row[seq + 1 :])


def _converter(pg_type: str) -> Any:
    if pg_type == "boolean":
        return lambda v: None if v is None else bool(v)
    return lambda v: v


def _rebuild_counters(pg: psycopg.Connection[Any]) -> None:
    for table in ("users", "groups", "schema_extensions"):
        pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'),"
            f" coalesce((SELECT max(seq) FROM {table}), 0) + 1, false)"
        )
    pg.execute(
        "UPDATE tenant_id_seq SET last = greatest(last, coalesce((SELECT max(id) FROM tenants), 0))"
    )
    pg.execute(
        "INSERT INTO audit_seq (tenant_id, last, last_at)"
        " SELECT tenant_id, max(seq), max(at) FROM audit GROUP BY tenant_id"
    )


def _verify(
    lite: sqlite3.Connection, pg: psycopg.Connection[Any], table: str, key: str
) -> TableReport:
    columns = _columns(lite, pg, table)
    if table == "audit":
        columns = [c for c in columns if c != "seq"]  # renumbered per log
    types = _types(pg, table)
    listed = ", ".join(columns)
    ours = _digest(lite.execute(f"SELECT {listed} FROM {table} ORDER BY {key}"), types, columns)  # noqa: S608
    theirs = _digest(
        pg.execute(f"SELECT {listed} FROM {table} ORDER BY {key}"),  # noqa: S608
        types,
        columns,
    )
    return TableReport(table, ours[0], ours[1], ours == theirs)


def _digest(rows: Any, types: dict[str, str], columns: list[str]) -> tuple[int, str]:
    """Row count and SHA-256 of every row in a form both databases give alike."""
    digest, count = hashlib.sha256(), 0
    kinds = [types[c] for c in columns]
    for row in rows:
        count += 1
        canonical = [_canonical(kind, value) for kind, value in zip(kinds, row, strict=True)]
        digest.update(json.dumps(canonical, ensure_ascii=False).encode())
        digest.update(b"\n")
    return count, digest.hexdigest()


def _canonical(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "jsonb":
        parsed = json.loads(value) if isinstance(value, str) else value
        return json.dumps(parsed, sort_keys=True, ensure_ascii=False)
    if kind == "bytea":
        return bytes(value).hex()
    return value
