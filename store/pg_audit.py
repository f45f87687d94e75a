"""The audit log in PostgreSQL: the ``audit`` and ``audit_seq`` tables of
store/pg_schema.py (step 4).

:func:`record` runs on the caller's connection inside the caller's write
transaction, so a change and its lines commit or roll back together. Each
log (a tenant's, or the operator's, tenant 0) numbers its lines 1, 2, 3...
without gaps: the line takes the next number from the log's ``audit_seq``
row in the same statement (``INSERT ... ON CONFLICT DO UPDATE ...
RETURNING``), whose row lock holds the log's next writer, in any instance,
until this transaction ends; it is dated no earlier than the line before it
(``audit_seq.last_at``), so date order is ``seq`` order. Only names are
stored, never values.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from scimdock.store.base import OPERATOR_LOG, Actor, AuditEntry
from scimdock.store.pg_host import Conn, every, one

_COLUMNS = (
    "seq, at, tenant_id, actor_kind, actor_id, address, operation, resource_type,"
    " resource_id, attributes"
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


async def record(
    conn: Conn,
    tenant_id: int | None,
    actor: Actor,
    operation: str,
    resource_type: str,
    resource_id: str,
    attributes: Iterable[str] = (),
    *,
    at: str,
) -> None:
    """Append one line to ``tenant_id``'s log (``None``: the operator log)."""
    log = OPERATOR_LOG if tenant_id is None else tenant_id
    await record_many(
        conn, log, actor, operation, resource_type, [(resource_id, attributes)], at=at
    )


async def record_many(
    conn: Conn,
    tenant_id: int,
    actor: Actor,
    operation: str,
    resource_type: str,
    changes: list[tuple[str, Iterable[str]]],
    *,
    at: str,
) -> None:
    """One line per ``(resource id, attribute names)``, numbered in order,
    in one statement."""
    if not changes:
        return
    await conn.execute(
        _APPEND,
        {
            "t": tenant_id,
            "k": len(changes),
            "at": at,
            "kind": actor.kind,
            "id": actor.id,
            "address": actor.address,
            "op": operation,
            "rt": resource_type,
            "rids": [rid for rid, _ in changes],
            "attrs": [orjson.dumps(sorted(set(names))).decode() for _, names in changes],
        },
    )


async def read(
    conn: Conn, tenant_id: int, since: str | None, until: str | None, offset: int, count: int
) -> tuple[int, list[AuditEntry]]:
    """``(total, page)`` of one log, oldest first; ``since`` inclusive,
    ``until`` exclusive."""
    where = "tenant_id = %s"
    params: list[object] = [tenant_id]
    if since is not None:
        where += " AND at >= %s"
        params.append(since)
    if until is not None:
        where += " AND at < %s"
        params.append(until)
    row = await one(conn, f"SELECT count(*) FROM audit WHERE {where}", params)
    total = int(row[0]) if row else 0
    if count <= 0 or offset >= total:
        return total, []
    rows = await every(
        conn,
        f"SELECT {_COLUMNS} FROM audit WHERE {where} ORDER BY at, seq LIMIT %s OFFSET %s",
        [*params, count, max(offset, 0)],
    )
    return total, [
        AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(r[9])) for r in rows
    ]
