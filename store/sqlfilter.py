"""Compile resolved SCIM filters to SQL (RFC 7644 §3.4.2.2) over the
``users`` and ``groups`` tables (layouts in :mod:`store.sqltables`, keyed
by resource type), once for SQLite and PostgreSQL: what the two write
differently is a :class:`store.sqldialect.Dialect`. The SQL agrees exactly
with :mod:`core.filter.evaluate` on schema-valid documents (property-tested
on both backends):

* Literals are always bound as parameters (``?``, ``%s``); only canonical
  schema names appear in SQL text, as quoted JSON path labels (``$."name"``,
  ``'{"name"}'``).
* Indexed columns: ``userName`` -> ``user_name_key`` and a Group's
  ``displayName`` -> ``display_name_fold`` (compared with the case-folded
  literal; ``sw`` adds a ``>= ? AND < ?`` range so the unique index
  helps), ``externalId`` -> ``external_id``, ``active`` -> ``active``
  (1/0/NULL in SQLite, boolean in PostgreSQL), ``id`` -> ``id``,
  ``meta.created`` -> ``created``, ``meta.lastModified`` ->
  ``last_modified``. SQLite's unique indexes are partial (``WHERE deleted
  IS NULL``): the caller's query must say ``deleted IS NULL`` for SQLite
  to use them.
* Membership: a Group's ``members`` and a User's ``groups`` are rows of
  ``members``, not JSON: ``members.value eq "x"`` or ``members[type eq
  "User"]`` is one ``EXISTS`` over the group's member rows, and a User's
  ``groups`` (direct and indirect) one ``EXISTS`` over a recursive CTE of
  its memberships (:class:`store.sqltables.Relation`). ``$ref`` is
  rendered by the HTTP layer: not filterable (400 ``invalidFilter``), and
  these attributes cannot be sort keys (400 ``invalidValue``).
* ``meta.resourceType`` is the same for every row: decided at compile time
  (the dialect's true or false). ``meta.location`` and ``meta.version``
  are rendered by the HTTP layer, not stored: filtering on them is 400
  ``invalidFilter``.
* Everything else reads ``doc_fold`` at the attribute's path (SQLite's
  ``json_extract(doc_fold, '$."attr"."sub"')``, PostgreSQL's ``doc_fold #>
  '{"attr","sub"}'``; extension attributes under their ``urn:...``); a
  multi-valued attribute is ``EXISTS (SELECT 1 FROM <its elements> AS eN
  WHERE ...)`` and a value filter is one such EXISTS with the whole inner
  filter on the same element. ``doc_fold`` is ``doc`` with its
  case-insensitive strings already folded (:mod:`store.sqlfold`), every
  other value as in ``doc``.
* Case-insensitive strings compare the folded value with the literal
  folded here (:func:`core.identity.fold`, canonical caseless), in SQL
  alone: no Python function runs per row, so a long value never holds the
  GIL. A Group member's ``display`` (a column of another table) is folded
  by ``scim_fold`` (:func:`register_functions`; store/pg_schema.py).
  ``co``/``sw``/``ew`` avoid LIKE (:mod:`store.sqldialect`).
* Three-valued logic: an atom on an absent value may be NULL, which the
  WHERE clause treats as false, like the evaluator. Negation is pushed down
  to atoms (De Morgan) and written ``NOT coalesce(atom, false)``, so ``ne``
  and ``not`` match absent values as ``not (a eq v)`` must.
* SQLite's parser stack holds ~100 entries and right-nested parentheses
  consume it, so operands of ``AND``/``OR`` are emitted deepest first; with
  negation pushed down every filter the parser accepts (32 levels) compiles.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from scimdock.core.filter.ast import (
    And,
    AttrPath,
    Compare,
    Filter,
    Literal,
    Not,
    Or,
    Present,
    ValuePath,
    flatten,
)
from scimdock.core.filter.evaluate import leaf_matches
from scimdock.core.filter.resolve import attribute_of
from scimdock.core.identity import fold
from scimdock.core.schema import Attribute, ResourceType
from scimdock.store import sqlfold
from scimdock.store.errors import FilterRefused
from scimdock.store.sqldialect import SQLITE, Dialect, Json, Sql
from scimdock.store.sqlfold import folds
from scimdock.store.sqlsort import compile_order_by, compile_sort
from scimdock.store.sqltables import Relation, seeds_of, table_for

__all__ = ["compile_filter", "compile_order_by", "compile_sort", "register_functions"]

#: The JSON every filter reads: ``doc`` with case-insensitive strings folded.
DOC = "doc_fold"
_SQL_OP = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_NOT_STORED = ("meta.location", "meta.version")


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ``scim_fold(x)``: :func:`core.identity.fold` for text, others pass
    through (RFC 7643 §2.3.1 caseExact=false comparison); and
    ``scim_fold_doc`` (:func:`store.sqlfold.register`)."""
    conn.create_function("scim_fold", 1, _fold, deterministic=True)
    sqlfold.register(conn)


def _fold(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    return fold(value) if isinstance(value, str) else value  # NULL, numbers pass through


def compile_filter(
    node: Filter, rt: ResourceType, *, dialect: Dialect = SQLITE, tenant_id: int | None = None
) -> Sql:
    """A SQL boolean expression over the resource type's table with the
    dialect's placeholders, and its parameters, for a resolved filter (RFC
    7644 §3.4.2.2). ``tenant_id`` (the caller's, as the query is scoped
    anyway) lets a filter on a User's ``groups`` run once per query, not
    per user."""
    sql, params, _depth = _Compiler(rt, dialect, tenant_id).node(node, False, None)
    return sql, params


@dataclass(frozen=True)
class _Elem:
    """Where paths inside ``parent[...]`` point: JSON ``base`` + ``prefix``,
    for ``meta[...]`` the top-level path ``top`` (meta is columns), or for
    a relation, the ``relation`` and the ``alias`` of one element row."""

    base: str
    prefix: tuple[str, ...]
    parent: Attribute
    top: AttrPath | None = None
    relation: Relation | None = None
    alias: str = ""


class _Compiler:
    """One compilation: the resource type, the dialect ``d`` and a counter
    for the aliases of element rows."""

    def __init__(self, rt: ResourceType, dialect: Dialect, tenant_id: int | None) -> None:
        self.rt = rt
        self.d = dialect
        self.table = table_for(rt.id)
        self.tenant_id = tenant_id
        self.aliases = 0

    def relation(self, urn: str, attr: Attribute) -> Relation | None:
        return self.table.relations.get(attr.name) if urn == self.rt.schema.id else None

    def alias(self) -> str:
        self.aliases += 1
        return f"e{self.aliases}"

    def match(self, relation: Relation, alias: str, test: Sql, node: Filter | None) -> Sql:
        seeds = None if node is None else seeds_of(node)
        return relation.match(alias, test, seeds, self.tenant_id, self.d)

    def node(self, node: Filter, negate: bool, elem: _Elem | None) -> tuple[str, list[object], int]:
        """(sql, params, nesting depth) of ``node``, negated if ``negate``."""
        if isinstance(node, (And, Or)):
            conjunction = isinstance(node, And) != negate
            parts = [self.node(n, negate, elem) for n in flatten(node, type(node))]
            parts.sort(key=lambda part: -part[2])
            sql = (" AND " if conjunction else " OR ").join(part[0] for part in parts)
            return f"({sql})", [p for part in parts for p in part[1]], 1 + parts[0][2]
        if isinstance(node, Not):
            return self.node(node.expr, not negate, elem)
        if isinstance(node, ValuePath):
            sql, params, depth = self.value_path(node)
            return (f"NOT coalesce({sql}, {self.d.false})" if negate else sql), params, depth
        if isinstance(node, Present):
            op, literal = "pr", None
        elif isinstance(node, Compare):
            op, literal = node.op, node.value
            if literal is None:
                op, negate = "pr", negate != (op == "eq")
            elif op == "ne":
                op, negate = "eq", not negate
        else:
            raise TypeError(f"not a filter node: {node!r}")
        sql, params = self.atom(node.path, op, literal, elem)
        return (f"NOT coalesce({sql}, {self.d.false})" if negate else sql), params, 0

    def value_path(self, node: ValuePath) -> tuple[str, list[object], int]:
        """``attr[filter]``: one element satisfies the whole filter."""
        urn, attr, _sub = _lookup(node.path, self.rt)
        relation = self.relation(urn, attr)
        if relation is not None:
            alias = self.alias()
            elem = _Elem("", (), attr, None, relation, alias)
            inner, params, depth = self.node(node.filter, False, elem)
            sql, params = self.match(relation, alias, (inner, params), node.filter)
            return sql, params, depth + 3
        prefix = () if urn == self.rt.schema.id else (urn,)
        json = self.d.at(DOC, (*prefix, attr.name))
        if attr.multi_valued:
            alias = self.alias()
            inner, params, depth = self.node(node.filter, False, _Elem(f"{alias}.value", (), attr))
            is_object = self.d.is_object(self.d.element(alias))
            sql = f"EXISTS (SELECT 1 FROM {self.d.each(json, alias)} WHERE {is_object} AND {inner})"
            return sql, params, depth + 3
        if not prefix and attr.name == "meta":
            return self.node(node.filter, False, _Elem("", (), attr, node.path))
        inner, params, depth = self.node(node.filter, False, _Elem(DOC, (*prefix, attr.name), attr))
        return f"({self.d.is_object(json)} AND {inner})", params, depth + 1

    def atom(self, path: AttrPath, op: str, literal: Literal, elem: _Elem | None) -> Sql:
        """``pr`` or ``op literal`` (not ``ne``, not null) on ``path``; the
        result may be NULL when the value is absent."""
        if elem is not None and elem.top is None:
            leaf = elem.parent.sub(path.attr)
            if leaf is None:
                raise FilterRefused(
                    f"Invalid filter: unknown sub-attribute {path.attr!r} of {elem.parent.name!r}",
                )
            if elem.relation is not None:
                return self.element_leaf(elem.relation, elem.alias, elem.parent, leaf, op, literal)
            return self.walk(elem.base, elem.prefix, [leaf], op, literal)
        if elem is not None and elem.top is not None:
            path = AttrPath(elem.top.attr, path.attr, elem.top.urn)
        urn, attr, sub = _lookup(path, self.rt)
        relation = self.relation(urn, attr)
        if relation is not None:
            alias = self.alias()
            if sub is None:  # only 'pr' reaches a complex attribute
                return self.match(relation, alias, (self.d.true, []), None)
            test = self.element_leaf(relation, alias, attr, sub, op, literal)
            return self.match(relation, alias, test, Compare(AttrPath(sub.name), op, literal))
        if urn == self.rt.schema.id:
            column = self.column(attr, sub, op, literal)
            if column is not None:
                return column
        prefix = () if urn == self.rt.schema.id else (urn,)
        # caseExact text reads ``doc``: a tenant's own extension has every
        # string folded in ``doc_fold`` (store.sqlfold), even a caseExact one.
        doc = DOC if folds(sub or attr) else "doc"
        return self.walk(doc, prefix, [attr] if sub is None else [attr, sub], op, literal)

    def column(
        self, attr: Attribute, sub: Attribute | None, op: str, literal: Literal
    ) -> Sql | None:
        """Atoms on the indexed columns and on ``meta``; None otherwise."""
        name = attr.name if sub is None else f"{attr.name}.{sub.name}"
        if name in self.table.columns:
            prefolded = name in self.table.folded
            return self.leaf(sub or attr, self.table.columns[name], None, op, literal, prefolded)
        if name in _NOT_STORED:
            raise FilterRefused(f"Invalid filter: {name!r} is not filterable")
        if name == "meta.resourceType" and sub is not None:
            node = Present(AttrPath(name)) if op == "pr" else Compare(AttrPath(name), op, literal)
            return (self.d.true if leaf_matches(node, sub, [self.rt.id]) else self.d.false), []
        if name == "meta":
            return self.d.true, []  # always present; only 'pr' reaches a complex attribute
        return None

    def walk(
        self, base: str, prefix: tuple[str, ...], chain: list[Attribute], op: str, literal: Literal
    ) -> Sql:
        """Descend ``chain`` (attribute, then sub-attribute) from JSON
        ``base`` (``doc_fold`` or an element of it: folded text), opening
        the elements of each multi-valued level."""
        attr, rest = chain[0], chain[1:]
        names = (*prefix, attr.name)
        if rest and not attr.multi_valued:
            return self.walk(base, names, rest, op, literal)
        json = self.d.at(base, names)
        if not rest and attr.multi_valued and op == "pr":
            return self.d.has_elements(json), []
        if not rest and not attr.multi_valued:
            return self.leaf(attr, None, json, op, literal)
        alias = self.alias()
        element = self.d.element(alias)
        if rest:
            sql, params = self.walk(element.value, (), rest, op, literal)
            sql = f"{self.d.is_object(element)} AND {sql}"
        else:
            sql, params = self.leaf(attr, None, element, op, literal)
        return f"EXISTS (SELECT 1 FROM {self.d.each(json, alias)} WHERE {sql})", params

    def element_leaf(
        self,
        relation: Relation,
        alias: str,
        parent: Attribute,
        leaf: Attribute,
        op: str,
        literal: Literal,
    ) -> Sql:
        """An atom on sub-attribute ``leaf`` of a relation's element row."""
        column = relation.column(leaf.name, alias, self.d)
        if column is None:
            raise FilterRefused(f"Invalid filter: {parent.name}.{leaf.name!r} is not filterable")
        return self.leaf(leaf, column, None, op, literal, leaf.name in relation.folded)

    def leaf(
        self,
        attr: Attribute,
        column: str | None,
        json: Json | None,
        op: str,
        literal: Literal,
        prefolded: bool = False,
    ) -> Sql:
        """Predicate on a plain ``column`` or on the JSON value ``json``.
        ``prefolded``: the column holds case-folded text; JSON is read from
        ``doc_fold`` (folded) or, caseExact, from ``doc``."""
        d = self.d
        if op == "pr":
            if json is None:
                if attr.type in d.not_null_types:
                    return f"{column} IS NOT NULL", []
                return f"{column} <> ''", []
            if attr.type == "complex":
                return f"({d.is_object(json)} AND {json.value} <> {d.empty_object})", []
            if attr.type == "boolean":
                return d.is_boolean(json), []
            if attr.type in ("integer", "decimal"):
                return d.is_number(json), []
            return f"{d.text(json)} <> ''", []
        if attr.type == "boolean":
            if json is None:
                return f"{column} = {d.mark}", [d.booleans[bool(literal)]]
            test = d.json_is.format(v=json.value, t=json.type, m=d.mark)
            return test, ["true" if literal else "false"]
        if attr.type in ("integer", "decimal"):
            if json is None:
                return f"{column} {_SQL_OP[op]} {d.mark}{d.numeric}", [literal]
            compare = f"{json.value}{d.numeric} {_SQL_OP[op]} {d.mark}{d.numeric}"
            return d.guarded.format(g=d.is_number(json), x=compare), [literal]
        value = str(column) if json is None else d.text(json)
        if attr.type == "dateTime":
            return f"{value}{d.collate} {_SQL_OP[op]} {d.mark}", [literal]
        if not isinstance(literal, str):
            raise FilterRefused(f"Invalid filter: expected a string, not {literal!r}")
        indexed = prefolded and json is None  # a case-exact userName's key column too
        if attr.case_exact:
            return self.text(value, op, d.mark, literal, indexed=indexed)
        if prefolded or json is not None:  # a folded column, or read from doc_fold
            return self.text(value, op, d.mark, fold(literal), indexed=indexed)
        if d.fold_literal_in_sql:
            return self.text(f"scim_fold({value})", op, f"scim_fold({d.mark})", literal)
        return self.text(f"scim_fold({value})", op, d.mark, fold(literal))

    def text(self, x: str, op: str, mark: str, literal: str, *, indexed: bool = False) -> Sql:
        """String operators on text ``x`` against the parameter ``mark``
        (RFC 7644 §3.4.2.2); ``indexed``: ``sw`` adds a range on ``x``."""
        d = self.d
        if op in _SQL_OP:
            return f"{x}{d.collate} {_SQL_OP[op]} {mark}", [literal]
        if op == "co":
            return f"{d.instr}({x}, {mark}) > 0", [literal]
        if op == "sw":
            upper = _successor(literal) if indexed else None
            if upper is not None:
                starts, params = d.starts(x, d.mark, literal)
                c = f"{x}{d.collate}"
                ranged = f"({c} >= {d.mark} AND {c} < {d.mark} AND {starts})"
                return ranged, [literal, upper, *params]
            return d.starts(x, mark, literal)
        if op == "ew":
            return d.ends(x, mark, literal)
        raise FilterRefused(f"Invalid filter: unknown operator {op!r}")


def _lookup(path: AttrPath, rt: ResourceType) -> tuple[str, Attribute, Attribute | None]:
    try:
        return attribute_of(path, rt)
    except ValueError as exc:
        raise FilterRefused(f"Invalid filter: {exc}") from None


def _successor(prefix: str) -> str | None:
    """The least string greater than every string starting with
    ``prefix`` in code-point (= UTF-8 byte) order, or None if unbounded."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        code = 0xE000 if 0xD800 <= code <= 0xDFFF else code
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None
