"""One page of a list or search (RFC 7644 §3.4.2), for any resource
table, written once for every backend as a transaction script
(store.sqlscript): the filter and the sort compiled for the backend's
dialect (store.sqlfilter, store.sqlsort), the count of every match, then
the page by offset, or after a position (RFC 9865 keyset)."""

from __future__ import annotations

from typing import Any

from scimdock.core.query import ListQuery
from scimdock.core.schema import ResourceType
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlscript import Script, one, rows
from scimdock.store.sqlsort import keyset_sql, order_clause, position

Row = tuple[Any, ...]


def page(
    d: Dialect, table: str, columns: str, rt: ResourceType, tenant_id: int, query: ListQuery
) -> Script[tuple[int, list[Row], list[Any]]]:
    """``(total, rows, positions)``: the live rows of ``table`` that match,
    ``columns`` of each; with ``query.keyset`` each row's position (else
    ``None`` each)."""
    rt = query.resource_type or rt
    where = f"tenant_id = {d.mark} AND deleted IS NULL"
    params: list[object] = [tenant_id]
    if query.filter is not None:
        sql, args = compile_filter(query.filter, rt, dialect=d, tenant_id=tenant_id)
        where += f" AND ({sql})"
        params.extend(args)
    row = yield one(f"SELECT count(*) FROM {table} WHERE {where}", params)
    total = int(row[0]) if row else 0
    if query.count <= 0 or query.offset >= total:
        return total, [], []
    order = order_clause(query.sort_by, rt, descending=query.descending, dialect=d)
    if query.keyset:
        keys, after, args = keyset_sql(query, rt, dialect=d)
        found = yield rows(
            f"SELECT {columns}, {keys} FROM {table} WHERE {where}{after}"
            f" ORDER BY {order} LIMIT {d.mark}",
            [*params, *args, query.count],
        )
        return total, found, [position(r) for r in found]
    found = yield rows(
        f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order}"
        f" LIMIT {d.mark} OFFSET {d.mark}",
        [*params, query.count, query.offset],
    )
    return total, found, [None] * len(found)
