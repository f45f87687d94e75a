"""Compile resolved SCIM filters and sort keys to SQLite (RFC 7644
§3.4.2.2, §3.4.2.3) over the ``users`` and ``groups`` tables of
:mod:`store.migrations` (layouts in :mod:`store.sqltables`, keyed by
resource type), agreeing exactly with :mod:`core.filter.evaluate` on
schema-valid documents (property-tested):

* Literals are always bound as ``?`` parameters; only canonical schema
  names appear in SQL text, as quoted JSON path labels ``$."name"``.
* Indexed columns: ``userName`` -> ``user_name_key`` and a Group's
  ``displayName`` -> ``display_name_fold`` (compared with the case-folded
  literal; ``sw`` adds a ``>= ? AND < ?`` range so the unique index
  helps), ``externalId`` -> ``external_id``, ``active`` -> ``active``
  (1/0/NULL), ``id`` -> ``id``, ``meta.created`` -> ``created``,
  ``meta.lastModified`` -> ``last_modified``. The unique indexes are
  partial (``WHERE deleted IS NULL``): the caller's query must say
  ``deleted IS NULL`` for SQLite to use them.
* Membership: a Group's ``members`` and a User's ``groups`` are rows of
  ``members``, not JSON: ``members.value eq "x"`` or ``members[type eq
  "User"]`` is one ``EXISTS`` over the group's member rows, and a User's
  ``groups`` (direct and indirect) one ``EXISTS`` over a recursive CTE of
  its memberships (:class:`store.sqltables.Relation`). ``$ref`` is
  rendered by the HTTP layer: not filterable (400 ``invalidFilter``), and
  these attributes cannot be sort keys (400 ``invalidValue``).
* ``meta.resourceType`` is the same for every row: decided at compile time
  (``1``/``0``). ``meta.location`` and ``meta.version`` are rendered by the
  HTTP layer, not stored: filtering on them is 400 ``invalidFilter``.
* Everything else reads ``json_extract(doc_fold, '$."attr"."sub"')``
  (extension attributes under ``$."urn:..."``); a multi-valued attribute is
  ``EXISTS (SELECT 1 FROM json_each(doc_fold, ...) AS eN WHERE ...)`` and a
  value filter is one such EXISTS with the whole inner filter on the same
  element. ``doc_fold`` is ``doc`` with its case-insensitive strings
  already folded (:mod:`store.sqlfold`), every other value as in ``doc``.
* Case-insensitive strings compare the folded value with the literal
  folded here (:func:`core.identity.fold`, canonical caseless), in SQL
  alone: no Python function runs per row, so a long value never holds the
  GIL. ``co``/``sw``/``ew`` use ``instr``/``substr``/``length`` (LIKE would
  fold ASCII only and treat ``%``/``_`` as wildcards). A Group member's
  ``display`` (a column of another table) is folded by ``scim_fold`` (see
  :func:`register_functions`). JSON booleans are tested
  with ``json_type(...) = 'true'`` (``json_extract`` gives 1/0).
* Three-valued logic: an atom on an absent value may be NULL, which the
  WHERE clause treats as false, like the evaluator. Negation is pushed down
  to atoms (De Morgan) and written ``NOT coalesce(atom, 0)``, so ``ne`` and
  ``not`` match absent values as ``not (a eq v)`` must.
* SQLite's parser stack holds ~100 entries and right-nested parentheses
  consume it, so operands of ``AND``/``OR`` are emitted deepest first; with
  negation pushed down every filter the parser accepts (32 levels) compiles.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from scimdock.core.errors import bad_request
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
from scimdock.store.sqlfold import folds
from scimdock.store.sqlsort import compile_order_by, compile_sort
from scimdock.store.sqltables import Relation, json_path, seeds_of, table_for

__all__ = ["compile_filter", "compile_order_by", "compile_sort", "register_functions"]

Sql = tuple[str, list[object]]
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
    node: Filter, rt: ResourceType, *, tenant_id: int | None = None
) -> tuple[str, list[object]]:
    """A SQL boolean expression over the resource type's table with ``?``
    placeholders, and its parameters, for a resolved filter (RFC 7644
    §3.4.2.2). ``tenant_id`` (the caller's, as the query is scoped anyway)
    lets a filter on a User's ``groups`` run once per query, not per user."""
    sql, params, _depth = _Compiler(rt, tenant_id).node(node, False, None)
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
    """One compilation: the resource type and a counter for json_each aliases.
    :mod:`store.pg_filter` reuses the walk of the AST (:meth:`node`) with
    PostgreSQL's atoms; ``TRUE``/``FALSE`` are the dialect's constants."""

    TRUE, FALSE = "1", "0"

    def __init__(self, rt: ResourceType, tenant_id: int | None = None) -> None:
        self.rt = rt
        self.table = table_for(rt.id)
        self.tenant_id = tenant_id
        self.aliases = 0

    def relation(self, urn: str, attr: Attribute) -> Relation | None:
        return self.table.relations.get(attr.name) if urn == self.rt.schema.id else None

    def alias(self) -> str:
        self.aliases += 1
        return f"e{self.aliases}"

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
            return (f"NOT coalesce({sql}, {self.FALSE})" if negate else sql), params, depth
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
        return (f"NOT coalesce({sql}, {self.FALSE})" if negate else sql), params, 0

    def value_path(self, node: ValuePath) -> tuple[str, list[object], int]:
        """``attr[filter]``: one element satisfies the whole filter."""
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
        path = json_path((*prefix, attr.name))
        if attr.multi_valued:
            alias = self.alias()
            inner, params, depth = self.node(node.filter, False, _Elem(f"{alias}.value", (), attr))
            return (
                (
                    f"EXISTS (SELECT 1 FROM json_each({DOC}, '{path}') AS {alias} "
                    f"WHERE {alias}.type = 'object' AND {inner})"
                ),
                params,
                depth + 3,
            )
        if not prefix and attr.name == "meta":
            inner, params, depth = self.node(node.filter, False, _Elem("", (), attr, node.path))
            return inner, params, depth
        inner, params, depth = self.node(node.filter, False, _Elem(DOC, (*prefix, attr.name), attr))
        return f"(json_type({DOC}, '{path}') = 'object' AND {inner})", params, depth + 1

    def atom(self, path: AttrPath, op: str, literal: Literal, elem: _Elem | None) -> Sql:
        """``pr`` or ``op literal`` (not ``ne``, not null) on ``path``; the
        result may be NULL when the value is absent."""
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
                return relation.match(alias, ("1", []), None, self.tenant_id)
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
        doc = DOC if folds(sub or attr) else "doc"
        return self.walk(doc, prefix, [attr] if sub is None else [attr, sub], op, literal)

    def column(
        self, attr: Attribute, sub: Attribute | None, op: str, literal: Literal
    ) -> Sql | None:
        """Atoms on the indexed columns and on ``meta``; None otherwise."""
        name = attr.name if sub is None else f"{attr.name}.{sub.name}"
        if name in self.table.columns:
            return _leaf(
                sub or attr,
                self.table.columns[name],
                None,
                op,
                literal,
                prefolded=name in self.table.folded,
            )
        if name in _NOT_STORED:
            raise bad_request("invalidFilter", f"Invalid filter: {name!r} is not filterable")
        if name == "meta.resourceType" and sub is not None:
            node = Present(AttrPath(name)) if op == "pr" else Compare(AttrPath(name), op, literal)
            return ("1" if leaf_matches(node, sub, [self.rt.id]) else "0"), []
        if name == "meta":
            return "1", []  # always present; only 'pr' reaches a complex attribute
        return None

    def walk(
        self, base: str, prefix: tuple[str, ...], chain: list[Attribute], op: str, literal: Literal
    ) -> Sql:
        """Descend ``chain`` (attribute, then sub-attribute) from JSON
        ``base`` (``doc_fold`` or an element of it: folded text), opening a
        ``json_each`` for each multi-valued level."""
        attr, rest = chain[0], chain[1:]
        path = json_path((*prefix, attr.name))
        if rest and not attr.multi_valued:
            return self.walk(base, (*prefix, attr.name), rest, op, literal)
        if not rest and attr.multi_valued and op == "pr":
            return f"json_array_length({base}, '{path}') > 0", []
        if not rest and not attr.multi_valued:
            value, jtype = f"json_extract({base}, '{path}')", f"json_type({base}, '{path}')"
            return _leaf(attr, value, jtype, op, literal, prefolded=True)
        alias = self.alias()
        if rest:
            sql, params = self.walk(f"{alias}.value", (), rest, op, literal)
            sql = f"{alias}.type = 'object' AND {sql}"
        else:
            sql, params = _leaf(
                attr, f"{alias}.value", f"{alias}.type", op, literal, prefolded=True
            )
        return f"EXISTS (SELECT 1 FROM json_each({base}, '{path}') AS {alias} WHERE {sql})", params


def _element_leaf(
    relation: Relation, alias: str, parent: Attribute, leaf: Attribute, op: str, literal: Literal
) -> Sql:
    """An atom on sub-attribute ``leaf`` of a relation's element row."""
    column = relation.column(leaf.name, alias)
    if column is None:
        raise bad_request(
            "invalidFilter", f"Invalid filter: {parent.name}.{leaf.name!r} is not filterable"
        )
    return _leaf(leaf, column, None, op, literal, prefolded=leaf.name in relation.folded)


def _lookup(path: AttrPath, rt: ResourceType) -> tuple[str, Attribute, Attribute | None]:
    try:
        return attribute_of(path, rt)
    except ValueError as exc:
        raise bad_request("invalidFilter", f"Invalid filter: {exc}") from None


def _leaf(
    attr: Attribute,
    value: str,
    jtype: str | None,
    op: str,
    literal: Literal,
    *,
    prefolded: bool = False,
) -> Sql:
    """Predicate on one value expression; ``jtype`` is its ``json_type``
    expression (None for a plain column). ``prefolded``: the expression
    already gives case-folded text (a folded column, or ``doc_fold``)."""
    if op == "pr":
        if attr.type == "complex":
            return f"({jtype} = 'object' AND {value} <> '{{}}')", []
        if attr.type == "boolean":
            return (
                f"{value} IS NOT NULL" if jtype is None else f"{jtype} IN ('true', 'false')"
            ), []
        if attr.type in ("integer", "decimal"):
            return f"{jtype} IN ('integer', 'real')", []
        return f"{value} <> ''", []
    if attr.type == "boolean":
        if jtype is None:
            return f"{value} = ?", [1 if literal else 0]
        return f"{jtype} = ?", ["true" if literal else "false"]
    if attr.type in ("integer", "decimal"):
        return f"({jtype} IN ('integer', 'real') AND {value} {_SQL_OP[op]} ?)", [literal]
    if attr.type == "dateTime":
        return f"{value} {_SQL_OP[op]} ?", [literal]
    if not isinstance(literal, str):
        raise bad_request("invalidFilter", f"Invalid filter: expected a string, not {literal!r}")
    if not attr.case_exact:
        literal = fold(literal)
        value = value if prefolded else f"scim_fold({value})"
    return _text(value, op, literal, indexed=prefolded and jtype is None)


def _text(x: str, op: str, literal: str, *, indexed: bool) -> Sql:
    """String operators on expression ``x`` (RFC 7644 §3.4.2.2)."""
    if op in _SQL_OP:
        return f"{x} {_SQL_OP[op]} ?", [literal]
    if op == "co":
        return f"instr({x}, ?) > 0", [literal]
    if op == "sw":
        upper = _successor(literal) if indexed else None
        if upper is not None:
            sql = f"({x} >= ? AND {x} < ? AND substr({x}, 1, ?) = ?)"
            return sql, [literal, upper, len(literal), literal]
        return f"substr({x}, 1, ?) = ?", [len(literal), literal]
    if op == "ew":
        sql = f"(length({x}) >= ? AND substr({x}, 1 + length({x}) - ?) = ?)"
        return sql, [len(literal), len(literal), literal]
    raise bad_request("invalidFilter", f"Invalid filter: unknown operator {op!r}")


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
