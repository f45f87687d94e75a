"""The audit log, written once for every backend (transaction scripts:
store.sqlscript): the ``audit`` table of store/migrations.py, and in
PostgreSQL its ``audit_seq`` (store/pg_schema.py, step 4).

:func:`record` runs inside the caller's write script, so a change and its
audit line commit or roll back together (a change is never acknowledged
without its line). The table is append-only (SQLite: migration 4's
triggers; PostgreSQL: step 4's). Only names are stored (attribute names,
key and token ids), never a value, a secret or a password.

Numbering: SQLite's one writer numbers the lines of every log in commit
order (``INTEGER PRIMARY KEY AUTOINCREMENT``). PostgreSQL's instances
write at once: each log (a tenant's, or the operator's, tenant 0) numbers
its lines 1, 2, 3... without gaps, the line taking the next number from
the log's ``audit_seq`` row in the same statement (``INSERT ... ON
CONFLICT DO UPDATE ... RETURNING``), whose row lock holds the log's next
writer, in any instance, until this transaction ends; it is dated no
earlier than the line before it (``audit_seq.last_at``), so date order is
``seq`` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from scimdock.store.records import OPERATOR_LOG, Actor, AuditEntry
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script, Stmt, Violation, later, many, meaning, one, rows, run

_COLUMNS = (
    "seq, at, tenant_id, actor_kind, actor_id, address, operation, resource_type,"
    " resource_id, attributes"
)
#: SQLite's line: dated no earlier than the last line of its log (its
#: newest ``at``, one probe of ``audit_tenant_at``), as PostgreSQL's
#: ``audit_seq.last_at`` does. Processes on one file take their time before
#: the file's write lock, so without it a line committed later could be
#: dated earlier, and a reader following ``since`` would miss it.
_INSERT = (
    f"INSERT INTO audit({_COLUMNS.split(', ', 1)[1]})"
    " SELECT max(?1, coalesce((SELECT max(at) FROM audit WHERE tenant_id = ?2), '')),"
    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9"
)
_APPEND = """
    WITH n AS (
        INSERT INTO audit_seq AS s (tenant_id, last, last_at) VALUES (%(t)s, %(k)s, %(at)s)
        ON CONFLICT (tenant_id) DO UPDATE
            SET last = s.last + %(k)s, last_at = GREATEST(s.last_at, excluded.last_at)
        RETURNING last, last_at
    )
    INSERT INTO audit(tenant_id, seq, at, actor_kind, actor_id, address, operation,
                      resource_type, resource_id, attributes)
    SELECT %(t)s, n.last - %(k)s + r.i, n.last_at, %(kind)s, %(id)s, %(address)s, %(op)s,
           %(rt)s, r.rid, r.attrs::jsonb
    FROM n, unnest(%(rids)s::text[], %(attrs)s::text[]) WITH ORDINALITY AS r(rid, attrs, i)
"""


def record(
    d: Dialect,
    tenant_id: int | None,
    actor: Actor,
    operation: str,
    resource_type: str,
    resource_id: str,
    attributes: Iterable[str] = (),
    *,
    at: str,
) -> Script[None]:
    """Append one line to ``tenant_id``'s log (``None``: the operator log),
    dated ``at`` (the store's clock: the time of the change it records)."""
    log = OPERATOR_LOG if tenant_id is None else tenant_id
    if not d.log_numbers:  # one INSERT, the line built at once (every SCIM write has one)
        names = orjson.dumps(sorted(set(attributes))).decode()
        who = (actor.kind, actor.id, actor.address, operation, resource_type)
        yield run(_INSERT, (at, log, *who, resource_id, names))
        return
    who = (actor.kind, actor.id, actor.address, operation, resource_type)
    yield _lines(d, log, who, [(resource_id, attributes)], at)


@dataclass(frozen=True)
class Line:
    """One audit line to append: to ``tenant_id``'s log, by ``actor``, of
    ``operation`` on a resource, naming the attributes changed, dated ``at``."""

    tenant_id: int
    actor: Actor
    operation: str
    resource_type: str
    resource_id: str
    attributes: Iterable[str]
    at: str


def with_line(source: str, params: Sequence[object], line: Line) -> tuple[str, tuple[object, ...]]:
    """PostgreSQL's write in one statement, and its parameters: ``source``,
    an ``INSERT`` or ``UPDATE ... RETURNING`` that gives one row or none,
    and the audit ``line`` of the row it gave, numbered as :func:`record`
    numbers it, in one data-modifying ``WITH``
    (<https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING>).
    Its rows: one if ``source`` wrote its row, none if it did not."""
    names = orjson.dumps(sorted(set(line.attributes))).decode()
    sql = (
        f"WITH w AS ({source}), n AS ("
        " INSERT INTO audit_seq AS s (tenant_id, last, last_at) SELECT ?, 1, ? FROM w"
        " ON CONFLICT (tenant_id) DO UPDATE"
        " SET last = s.last + 1, last_at = GREATEST(s.last_at, excluded.last_at)"
        " RETURNING last, last_at)"
        " INSERT INTO audit(tenant_id, seq, at, actor_kind, actor_id, address, operation,"
        " resource_type, resource_id, attributes)"
        " SELECT ?, n.last, n.last_at, ?, ?, ?, ?, ?, ?, ?::jsonb FROM n RETURNING seq"
    )
    who = (line.actor.kind, line.actor.id, line.actor.address, line.operation)
    what = (line.resource_type, line.resource_id, names)
    return sql, (*params, line.tenant_id, line.at, line.tenant_id, *who, *what)


def changed(
    d: Dialect, kept: bool, sql: str, params: Sequence[object], line: Line, taken: Exception
) -> Script[None]:
    """The ``UPDATE`` of a row the script holds locked, then its audit line.
    ``kept``: the update keeps the row's unique key, so it cannot fail but
    as the whole write fails, and needs no answer: it goes with the commit
    (:func:`~store.sqlscript.later`), on PostgreSQL with its line in one
    statement (:func:`with_line`). Else its answer is awaited, and a unique
    key taken is ``taken``."""
    if kept and d.log_numbers:
        yield later(*with_line(f"{sql} RETURNING 1", params, line))
        return
    try:
        yield (later if kept else run)(sql, params)
    except Violation as refused:
        raise meaning(refused, unique=taken) from None
    yield from record(
        d, line.tenant_id, line.actor, line.operation, line.resource_type, line.resource_id,
        line.attributes, at=line.at,
    )  # fmt: skip


def rewritten(
    d: Dialect,
    kept: bool,
    row: tuple[str, str, str],
    params: Sequence[object],
    line: Line,
    taken: Exception,
) -> Script[None]:
    """A resource row rewritten, then its audit line (:func:`changed`).
    ``row``: the table, its own columns (space-separated) and the column
    that names the row; ``params``: those columns' values, then the last
    modification time, the version, the tenant and the row's name."""
    yield from changed(d, kept, _rewrite(d.json_in, *row), params, line, taken)


@cache
def _rewrite(json_in: str, table: str, columns: str, key: str) -> str:
    """The ``UPDATE`` text of :func:`rewritten`, made once per table."""
    sets = "".join(f"{column} = ?, " for column in columns.split())
    return (
        f"UPDATE {table} SET {sets}doc = {json_in}, doc_fold = {json_in},"
        f" last_modified = ?, version = ? WHERE tenant_id = ? AND {key} = ?"
    )


def record_many(
    d: Dialect,
    tenant_id: int,
    actor: Actor,
    operation: str,
    resource_type: str,
    changes: Sequence[tuple[str, Iterable[str]]],
    *,
    at: str,
) -> Script[None]:
    """One line per ``(resource id, attribute names)``, numbered in order,
    in one statement."""
    if changes:
        who = (actor.kind, actor.id, actor.address, operation, resource_type)
        yield _lines(d, tenant_id, who, changes, at)


def _lines(
    d: Dialect,
    log: int,
    who: tuple[Any, ...],
    changes: Sequence[tuple[str, Iterable[str]]],
    at: str,
) -> Stmt:
    """The statement that appends ``changes`` (one or more) to a log, each
    line by ``who``: (actor kind, actor id, address, operation, resource type)."""
    names = [orjson.dumps(sorted(set(attributes))).decode() for _, attributes in changes]
    if not d.log_numbers:
        lines = [(at, log, *who, rid, n) for (rid, _), n in zip(changes, names, strict=True)]
        return many(_INSERT, lines)
    kind, actor_id, address, operation, resource_type = who
    return later(  # PostgreSQL sends it with the commit (store.pg_host)
        _APPEND,
        {  # type: ignore[arg-type]  # psycopg's named parameters
            "t": log,
            "k": len(changes),
            "at": at,
            "kind": kind,
            "id": actor_id,
            "address": address,
            "op": operation,
            "rt": resource_type,
            "rids": [rid for rid, _ in changes],
            "attrs": names,
        },
    )


def read(
    d: Dialect, tenant_id: int, since: str | None, until: str | None, offset: int, count: int
) -> Script[tuple[int, list[AuditEntry]]]:
    """``(total, page)`` of one log, oldest first; ``since`` inclusive,
    ``until`` exclusive. Walks ``audit_tenant_at`` only."""
    where = "tenant_id = ?"
    params: list[object] = [tenant_id]
    if since is not None:
        where += " AND at >= ?"
        params.append(since)
    if until is not None:
        where += " AND at < ?"
        params.append(until)
    row = yield one(f"SELECT count(*) FROM audit WHERE {where}", params)
    total = int(row[0]) if row else 0
    if count <= 0 or offset >= total:
        return total, []
    found = yield rows(
        f"SELECT {_COLUMNS} FROM audit WHERE {where} ORDER BY at, seq LIMIT ? OFFSET ?",
        [*params, count, max(offset, 0)],
    )
    loads = d.json_out
    return total, [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(loads(r[9])))
        for r in found
    ]
