"""Compile resolved ``sortBy`` paths to ORDER BY expressions (RFC 7644
§3.4.2.3) over the tables of :mod:`store.sqltables`, once for SQLite and
PostgreSQL (:class:`store.sqldialect.Dialect`); and the keyset conditions
of cursor paging. The filter compiler is :mod:`store.sqlfilter`, which
re-exports :func:`compile_sort` and :func:`compile_order_by`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scimdock.core.filter.ast import AttrPath
from scimdock.core.filter.printer import path_string
from scimdock.core.filter.resolve import attribute_of
from scimdock.core.query import ListQuery, Position
from scimdock.core.schema import Attribute, ResourceType
from scimdock.store.errors import SortPathUnknown, Unsortable
from scimdock.store.sqldialect import SQLITE, Dialect, Json
from scimdock.store.sqlfold import folds
from scimdock.store.sqltables import table_for


def compile_sort(path: AttrPath, rt: ResourceType, dialect: Dialect = SQLITE) -> str:
    """An ORDER BY expression for a resolved ``sortBy`` path (RFC 7644
    §3.4.2.3); NULL when the resource has no value. Multi-valued attributes
    sort by the ``primary`` element's value, else the first element's;
    ``emails`` means ``emails.value``. caseExact=false strings sort by
    their folded form, read from ``doc_fold`` (store.sqlfold): no Python
    function per row.
    Unsortable paths (complex, ``meta.location`` ...) are 400
    ``invalidValue``."""
    try:
        urn, attr, sub = attribute_of(path, rt)
    except ValueError as exc:
        raise SortPathUnknown(f"Invalid sortBy: {exc}") from None
    core = urn == rt.schema.id
    name = attr.name if sub is None else f"{attr.name}.{sub.name}"
    table = table_for(rt.id)
    if core and name in table.columns:
        return table.columns[name]
    if core and attr.name in table.relations:
        raise Unsortable(f"Cannot sort by {path_string(path)!r}: memberships are not sort keys")
    if attr.type == "complex" and attr.multi_valued and sub is None:
        sub = attr.sub("value")
    leaf = sub or attr
    if leaf.type == "complex" or (core and attr.name == "meta"):
        raise Unsortable(f"Cannot sort by {path_string(path)!r}")
    prefix = () if core else (urn,)
    doc = "doc_fold" if folds(leaf) else "doc"
    d = dialect
    if not attr.multi_valued:
        names = (*prefix, attr.name) if sub is None else (*prefix, attr.name, sub.name)
        return _sort_value(d, leaf, d.at(doc, names))
    listed, s = d.at(doc, (*prefix, attr.name)), d.element("s")
    if sub is None:
        value = _sort_value(d, leaf, s)
        return f"(SELECT {value} FROM {d.each(listed, 's', keyed=True)} ORDER BY s.key LIMIT 1)"
    value = _sort_value(d, leaf, d.at(s.value, (sub.name,)))
    primary = ""
    if attr.sub("primary"):  # true first, then false, then none (NULL)
        flag = d.at(s.value, ("primary",))
        primary = d.json_is.format(v=flag.value, t=flag.type, m="'true'") + f" {d.desc}, "
    return (
        f"(SELECT {value} FROM {d.each(listed, 's', keyed=True)}"
        f" WHERE {d.is_object(s)} ORDER BY {primary}s.key LIMIT 1)"
    )


def _sort_value(d: Dialect, leaf: Attribute, json: Json) -> str:
    """The sortable value of ``json``: SQLite's ``json_extract`` is one
    already; a jsonb value sorts as numeric, boolean, or a string in
    code-point order (caseExact=false ones read from ``doc_fold``, folded)."""
    if not d.typed_sort:
        return json.value
    if leaf.type in ("integer", "decimal"):
        return f"(CASE WHEN {d.is_number(json)} THEN {json.value}::numeric END)"
    if leaf.type == "boolean":
        return f"(CASE WHEN {d.is_boolean(json)} THEN {json.value}::boolean END)"
    return f"({d.text(json)}{d.collate})"


def compile_order_by(
    path: AttrPath, rt: ResourceType, *, descending: bool = False, dialect: Dialect = SQLITE
) -> str:
    """``compile_sort`` with direction and RFC 7644 §3.4.2.3 null placement:
    resources without a value sort last ascending, first descending."""
    expr = compile_sort(path, rt, dialect)
    return f"{expr} DESC NULLS FIRST" if descending else f"{expr} ASC NULLS LAST"


def order_clause(
    sort_by: AttrPath | None, rt: ResourceType, *, descending: bool, dialect: Dialect
) -> str:
    """The whole ORDER BY of a list: the ``sortBy`` key if any, then
    insertion order (``seq``) so ties and unsorted lists are stable and
    paging never repeats or skips a row (RFC 7644 §3.4.2.4)."""
    tail = "seq DESC" if descending else "seq ASC"
    if sort_by is None:
        return tail
    return f"{compile_order_by(sort_by, rt, descending=descending, dialect=dialect)}, {tail}"


# --- keyset paging (RFC 9865 cursors) ----------------------------------------


def keyset_sql(
    query: ListQuery, rt: ResourceType, *, dialect: Dialect
) -> tuple[str, str, list[object]]:
    """For a keyset page of ``query``: the columns to read after a row's own
    (``seq`` and the sort value, read back by :func:`position`), the
    ``AND ...`` that keeps only rows after ``query.after`` in the order of
    :func:`order_clause`, and its parameters (``dialect.mark``)."""
    expr = compile_sort(query.sort_by, rt, dialect) if query.sort_by is not None else None
    columns = f"seq, {expr if expr is not None else 'NULL'}"
    if query.after is None:
        return columns, "", []
    sql, args = _after(expr, query.after, descending=query.descending, mark=dialect.mark)
    return columns, f" AND {sql}", args


def position(row: Sequence[Any]) -> Position:
    """The :class:`Position` in the last two columns :func:`keyset_sql` added."""
    return Position(row[-1], int(row[-2]))


def _after(
    expr: str | None, after: Position, *, descending: bool, mark: str
) -> tuple[str, list[object]]:
    """Rows strictly after ``after`` in ``ORDER BY expr, seq``: ascending
    with NULLs last, descending with NULLs first (RFC 7644 §3.4.2.3)."""
    op = "<" if descending else ">"
    if expr is None:
        return f"seq {op} {mark}", [after.seq]
    e = f"({expr})"
    if after.value is None:
        if descending:  # NULLs first: the other NULLs after it, then every value
            return f"(({e} IS NULL AND seq < {mark}) OR {e} IS NOT NULL)", [after.seq]
        return f"({e} IS NULL AND seq > {mark})", [after.seq]
    v = after.value
    tail = "" if descending else f" OR {e} IS NULL"  # ascending: NULLs come last
    sql = f"({e} {op} {mark} OR ({e} = {mark} AND seq {op} {mark}){tail})"
    return sql, [v, v, after.seq]
