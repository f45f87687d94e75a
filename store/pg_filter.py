"""Compile resolved SCIM filters and sort keys to PostgreSQL (RFC 7644
§3.4.2.2, §3.4.2.3): the dialect of :mod:`store.sqlfilter`, whose walk of
the filter AST (negation pushed down to atoms, ``NOT coalesce(atom,
false)``) it reuses; only the atoms differ.

* Literals are ``%s`` parameters; only schema names appear in SQL text.
* Indexed columns as SQLite's (:mod:`store.pg_tables`); ``userName`` and a
  Group's ``displayName`` compare their Python-folded column with the
  folded literal (``sw`` adds a range so the unique index helps).
* Document attributes read ``doc_fold #> '{"a","b"}'`` (``jsonb``: the
  document with its caseExact=false strings folded in Python when written,
  store.sqlfold, so such a value compares with the literal folded the same
  way, and no function runs per row), tested by
  ``jsonb_typeof``; multi-valued attributes are ``EXISTS (SELECT 1 FROM
  jsonb_array_elements(...))``; a string is a string only when its jsonb
  type says so, a number compares as ``numeric``.
* A member's derived ``display`` (a column of another table) compares
  ``scim_fold(value)`` with ``scim_fold(literal)`` (store/pg_schema.py);
  ``co``/``sw``/``ew`` use
  ``strpos``/``starts_with``/``right`` (LIKE would treat ``%``/``_`` as
  wildcards). Order comparisons are ``COLLATE "C"``: code-point order, as
  SQLite and the evaluator compare.
"""

from __future__ import annotations

from scimdock.core.errors import bad_request
from scimdock.core.filter.ast import AttrPath, Compare, Filter, Literal, Present, ValuePath
from scimdock.core.filter.evaluate import leaf_matches
from scimdock.core.filter.printer import path_string
from scimdock.core.filter.resolve import attribute_of
from scimdock.core.identity import fold
from scimdock.core.schema import Attribute, ResourceType
from scimdock.store.pg_tables import elements, jsonb_path, string_of, table_for
from scimdock.store.sqlfilter import _NOT_STORED, _SQL_OP, _Compiler, _Elem, _lookup, _successor
from scimdock.store.sqlfold import folds
from scimdock.store.sqltables import Relation, seeds_of

Sql = tuple[str, list[object]]


def compile_filter(node: Filter, rt: ResourceType, *, tenant_id: int | None = None) -> Sql:
    """A PostgreSQL boolean expression with ``%s`` placeholders and its
    parameters, for a resolved filter (RFC 7644 §3.4.2.2)."""
    sql, params, _depth = _PgCompiler(rt, tenant_id).node(node, False, None)
    return sql, params


class _PgCompiler(_Compiler):
    TRUE, FALSE = "true", "false"

    def __init__(self, rt: ResourceType, tenant_id: int | None = None) -> None:
        super().__init__(rt, tenant_id)
        self.table = table_for(rt.id)

    def value_path(self, node: ValuePath) -> tuple[str, list[object], int]:
        urn, attr, _sub = _lookup(node.path, self.rt)
        relation = self.relation(urn, attr)
        if relation is not None:
            alias = self.alias()
            elem = _Elem("", (), attr, None, relation, alias)
            inner, params, depth = self.node(node.filter, False, elem)
            sql, params = relation.match(
                alias, (inner, params), seeds_of(node.filter), self.tenant_id
            )
            return sql, params, depth + 3
        prefix = () if urn == self.rt.schema.id else (urn,)
        jv = f"(doc_fold #> {jsonb_path((*prefix, attr.name))})"
        if attr.multi_valued:
            alias = self.alias()
            inner, params, depth = self.node(node.filter, False, _Elem(f"{alias}.value", (), attr))
            return (
                (
                    f"EXISTS (SELECT 1 FROM {elements(jv)} AS {alias}(value)"
                    f" WHERE jsonb_typeof({alias}.value) = 'object' AND {inner})"
                ),
                params,
                depth + 3,
            )
        if not prefix and attr.name == "meta":
            return self.node(node.filter, False, _Elem("", (), attr, node.path))
        inner, params, depth = self.node(
            node.filter, False, _Elem("doc_fold", (*prefix, attr.name), attr)
        )
        return f"(jsonb_typeof({jv}) = 'object' AND {inner})", params, depth + 1

    def atom(self, path: AttrPath, op: str, literal: Literal, elem: _Elem | None) -> Sql:
        if elem is not None and elem.top is None:
            leaf = elem.parent.sub(path.attr)
            if leaf is None:
                raise bad_request(
                    "invalidFilter",
                    f"Invalid filter: unknown sub-attribute {path.attr!r} of {elem.parent.name!r}",
                )
            if elem.relation is not None:
                return _element_leaf(elem.relation, elem.alias, elem.parent, leaf, op, literal)
            return self.walk(elem.base, elem.prefix, [leaf], op, literal)
        if elem is not None and elem.top is not None:
            path = AttrPath(elem.top.attr, path.attr, elem.top.urn)
        urn, attr, sub = _lookup(path, self.rt)
        relation = self.relation(urn, attr)
        if relation is not None:
            alias = self.alias()
            if sub is None:  # only 'pr' reaches a complex attribute
                return relation.match(alias, ("true", []), None, self.tenant_id)
            test = _element_leaf(relation, alias, attr, sub, op, literal)
            node = Compare(AttrPath(sub.name), op, literal)
            return relation.match(alias, test, seeds_of(node), self.tenant_id)
        if urn == self.rt.schema.id:
            column = self.column(attr, sub, op, literal)
            if column is not None:
                return column
        prefix = () if urn == self.rt.schema.id else (urn,)
        # caseExact text reads ``doc``: a tenant's own extension has every
        # string folded in ``doc_fold`` (store.sqlfold), even a caseExact one.
        doc = "doc_fold" if folds(sub or attr) else "doc"
        return self.walk(doc, prefix, [attr] if sub is None else [attr, sub], op, literal)

    def column(
        self, attr: Attribute, sub: Attribute | None, op: str, literal: Literal
    ) -> Sql | None:
        name = attr.name if sub is None else f"{attr.name}.{sub.name}"
        if name in self.table.columns:
            prefolded = name in self.table.folded
            return _leaf(sub or attr, self.table.columns[name], None, op, literal, prefolded)
        if name in _NOT_STORED:
            raise bad_request("invalidFilter", f"Invalid filter: {name!r} is not filterable")
        if name == "meta.resourceType" and sub is not None:
            node = Present(AttrPath(name)) if op == "pr" else Compare(AttrPath(name), op, literal)
            return ("true" if leaf_matches(node, sub, [self.rt.id]) else "false"), []
        if name == "meta":
            return "true", []
        return None

    def walk(
        self, base: str, prefix: tuple[str, ...], chain: list[Attribute], op: str, literal: Literal
    ) -> Sql:
        attr, rest = chain[0], chain[1:]
        names = (*prefix, attr.name)
        if rest and not attr.multi_valued:
            return self.walk(base, names, rest, op, literal)
        jv = f"({base} #> {jsonb_path(names)})"
        if not rest and attr.multi_valued and op == "pr":
            return f"EXISTS (SELECT 1 FROM {elements(jv)})", []
        if not rest and not attr.multi_valued:
            return _leaf(attr, None, jv, op, literal)
        alias = self.alias()
        if rest:
            sql, params = self.walk(f"{alias}.value", (), rest, op, literal)
            sql = f"jsonb_typeof({alias}.value) = 'object' AND {sql}"
        else:
            sql, params = _leaf(attr, None, f"{alias}.value", op, literal)
        return f"EXISTS (SELECT 1 FROM {elements(jv)} AS {alias}(value) WHERE {sql})", params


def _element_leaf(
    relation: Relation, alias: str, parent: Attribute, leaf: Attribute, op: str, literal: Literal
) -> Sql:
    column = relation.column(leaf.name, alias)
    if column is None:
        raise bad_request(
            "invalidFilter", f"Invalid filter: {parent.name}.{leaf.name!r} is not filterable"
        )
    return _leaf(leaf, column, None, op, literal, leaf.name in relation.folded)


def _leaf(
    attr: Attribute,
    column: str | None,
    jv: str | None,
    op: str,
    literal: Literal,
    prefolded: bool = False,
) -> Sql:
    """Predicate on a plain ``column`` or on the jsonb value ``jv``."""
    if op == "pr":
        if jv is None:
            if attr.type in ("boolean", "integer", "decimal", "dateTime"):
                return f"{column} IS NOT NULL", []
            return f"{column} <> ''", []
        if attr.type == "complex":
            return f"(jsonb_typeof({jv}) = 'object' AND {jv} <> '{{}}'::jsonb)", []
        if attr.type == "boolean":
            return f"jsonb_typeof({jv}) = 'boolean'", []
        if attr.type in ("integer", "decimal"):
            return f"jsonb_typeof({jv}) = 'number'", []
        return f"{string_of(jv)} <> ''", []
    if attr.type == "boolean":
        if jv is None:
            return f"{column} = %s", [bool(literal)]
        return f"{jv} = %s::jsonb", ["true" if literal else "false"]
    if attr.type in ("integer", "decimal"):
        if jv is None:
            return f"{column} {_SQL_OP[op]} %s::numeric", [literal]
        return (
            f"(CASE WHEN jsonb_typeof({jv}) = 'number' THEN {jv}::numeric"
            f" {_SQL_OP[op]} %s::numeric END)"
        ), [literal]
    value = column if jv is None else string_of(jv)
    if attr.type == "dateTime":
        return f'{value} COLLATE "C" {_SQL_OP[op]} %s', [literal]
    if not isinstance(literal, str):
        raise bad_request("invalidFilter", f"Invalid filter: expected a string, not {literal!r}")
    if attr.case_exact:  # a case-exact userName's key column is indexed too
        return _text(str(value), op, "%s", literal, indexed=prefolded and jv is None)
    if prefolded or jv is not None:  # a folded column, or read from doc_fold
        return _text(str(value), op, "%s", fold(literal), indexed=prefolded)
    return _text(f"scim_fold({value})", op, "scim_fold(%s)", literal, indexed=False)


def _text(x: str, op: str, mark: str, literal: str, *, indexed: bool) -> Sql:
    """String operators on text ``x`` against the parameter ``mark``."""
    if op in _SQL_OP:
        return f'{x} COLLATE "C" {_SQL_OP[op]} {mark}', [literal]
    if op == "co":
        return f"strpos({x}, {mark}) > 0", [literal]
    if op == "sw":
        upper = _successor(literal) if indexed else None
        if upper is not None:
            sql = f'({x} COLLATE "C" >= %s AND {x} COLLATE "C" < %s AND starts_with({x}, %s))'
            return sql, [literal, upper, literal]
        return f"starts_with({x}, {mark})", [literal]
    if op == "ew":
        return f"right({x}, length({mark})) = {mark}", [literal, literal]
    raise bad_request("invalidFilter", f"Invalid filter: unknown operator {op!r}")


# --- sorting (RFC 7644 §3.4.2.3) --------------------------------------------


def compile_sort(path: AttrPath, rt: ResourceType) -> str:
    """An ORDER BY expression for a resolved ``sortBy`` path, as
    :func:`store.sqlsort.compile_sort` decides it: NULL when the resource
    has no value; a multi-valued attribute by its ``primary`` element's
    value, else its first; caseExact=false strings folded."""
    try:
        urn, attr, sub = attribute_of(path, rt)
    except ValueError as exc:
        raise bad_request("invalidPath", f"Invalid sortBy: {exc}") from None
    core = urn == rt.schema.id
    name = attr.name if sub is None else f"{attr.name}.{sub.name}"
    table = table_for(rt.id)
    if core and name in table.columns:
        return table.columns[name]
    if core and attr.name in table.relations:
        raise bad_request(
            "invalidValue", f"Cannot sort by {path_string(path)!r}: memberships are not sort keys"
        )
    if attr.type == "complex" and attr.multi_valued and sub is None:
        sub = attr.sub("value")
    leaf = sub or attr
    if leaf.type == "complex" or (core and attr.name == "meta"):
        raise bad_request("invalidValue", f"Cannot sort by {path_string(path)!r}")
    prefix = () if core else (urn,)
    doc = "doc_fold" if folds(leaf) else "doc"
    if not attr.multi_valued:
        names = (*prefix, attr.name) if sub is None else (*prefix, attr.name, sub.name)
        return _sort_value(leaf, f"({doc} #> {jsonb_path(names)})")
    listed = f"({doc} #> {jsonb_path((*prefix, attr.name))})"
    if sub is None:
        return (
            f"(SELECT {_sort_value(leaf, 's.value')} FROM {elements(listed)}"
            " WITH ORDINALITY AS s(value, key) ORDER BY s.key LIMIT 1)"
        )
    value = _sort_value(leaf, f"(s.value -> '{sub.name}')")
    primary = (
        "(s.value -> 'primary') = 'true'::jsonb DESC NULLS LAST, " if attr.sub("primary") else ""
    )
    return (
        f"(SELECT {value} FROM {elements(listed)} WITH ORDINALITY AS s(value, key)"
        f" WHERE jsonb_typeof(s.value) = 'object' ORDER BY {primary}s.key LIMIT 1)"
    )


def _sort_value(leaf: Attribute, jv: str) -> str:
    """The sortable value of jsonb ``jv``: numbers as numeric, booleans as
    boolean, strings in code-point order (caseExact=false ones read from
    ``doc_fold``, folded)."""
    if leaf.type in ("integer", "decimal"):
        return f"(CASE WHEN jsonb_typeof({jv}) = 'number' THEN {jv}::numeric END)"
    if leaf.type == "boolean":
        return f"(CASE WHEN jsonb_typeof({jv}) = 'boolean' THEN {jv}::boolean END)"
    return f'({string_of(jv)} COLLATE "C")'


def order_clause(sort_by: AttrPath | None, rt: ResourceType, *, descending: bool) -> str:
    """The ORDER BY of a list: the ``sortBy`` key (nulls last ascending,
    first descending), then insertion order, so paging is stable."""
    tail = "seq DESC" if descending else "seq ASC"
    if sort_by is None:
        return tail
    expr = compile_sort(sort_by, rt)
    return f"{expr} {'DESC NULLS FIRST' if descending else 'ASC NULLS LAST'}, {tail}"
