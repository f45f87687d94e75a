"""The audit log in SQLite: the ``audit`` table of store/migrations.py.

:func:`record` runs on the caller's connection inside the caller's write
transaction, so a change and its audit line commit or roll back together
(a change is never acknowledged without its line). The table is
append-only: migration 4's triggers refuse UPDATE, and DELETE while the
row's tenant exists. Only names are stored (attribute names, key and token
ids), never a value, a secret or a password.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

from scimdock.store.base import OPERATOR_LOG, Actor, AuditEntry

_COLUMNS = (
    "seq, at, tenant_id, actor_kind, actor_id, address, operation, resource_type,"
    " resource_id, attributes"
)


def record(
    conn: sqlite3.Connection,
    tenant_id: int | None,
    actor: Actor,
    operation: str,
    resource_type: str,
    resource_id: str,
    attributes: Iterable[str] = (),
    *,
    at: str,
) -> None:
    """Append one line to ``tenant_id``'s log (``None``: the operator log),
    dated ``at`` (the store's clock: the time of the change it records)."""
    conn.execute(
        f"INSERT INTO audit({_COLUMNS.split(', ', 1)[1]}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at,
            OPERATOR_LOG if tenant_id is None else tenant_id,
            actor.kind,
            actor.id,
            actor.address,
            operation,
            resource_type,
            resource_id,
            orjson.dumps(sorted(set(attributes))).decode(),
        ),
    )


def record_many(
    conn: sqlite3.Connection,
    tenant_id: int,
    actor: Actor,
    operation: str,
    resource_type: str,
    changes: list[tuple[str, Iterable[str]]],
    at: str,
) -> None:
    """One line per ``(resource id, attribute names)``, in one ``executemany``."""
    conn.executemany(
        f"INSERT INTO audit({_COLUMNS.split(', ', 1)[1]}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                at,
                tenant_id,
                actor.kind,
                actor.id,
                actor.address,
                operation,
                resource_type,
                resource_id,
                orjson.dumps(sorted(set(names))).decode(),
            )
            for resource_id, names in changes
        ],
    )


def read(
    conn: sqlite3.Connection,
    tenant_id: int,
    since: str | None,
    until: str | None,
    offset: int,
    count: int,
) -> tuple[int, list[AuditEntry]]:
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
    (total,) = conn.execute(f"SELECT count(*) FROM audit WHERE {where}", params).fetchone()
    if count <= 0 or offset >= total:
        return total, []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM audit WHERE {where} ORDER BY at, seq LIMIT ? OFFSET ?",
        [*params, count, max(offset, 0)],
    ).fetchall()
    return total, [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(orjson.loads(r[9])))
        for r in rows
    ]
