"""Compile resolved SCIM filters and sort keys to SQLite (RFC 7644
§3.4.2.2, §3.4.2.3) over the ``users`` table of :mod:`store.migrations`,
agreeing exactly with :mod:`core.filter.evaluate` on schema-valid documents
(property-tested):

* Literals are always bound as ``?`` parameters; only canonical schema
  names appear in SQL text, as quoted JSON path labels ``$."name"``.
* Indexed columns: ``userName`` -> ``user_name_fold`` (compared with the
  case-folded literal; ``sw`` adds a ``>= ? AND < ?`` range so the
  ``users_user_name`` index helps), ``externalId`` -> ``external_id``,
  ``active`` -> ``active`` (1/0/NULL), ``id`` -> ``id``, ``meta.created`` ->
  ``created``, ``meta.lastModified`` -> ``last_modified``. The index on
  ``user_name_fold`` is partial (``WHERE deleted IS NULL``): the caller's
  query must say ``deleted IS NULL`` for SQLite to use it.
* ``meta.resourceType`` is the same for every row: decided at compile time
  (``1``/``0``). ``meta.location`` and ``meta.version`` are rendered by the
  HTTP layer, not stored: filtering on them is 400 ``invalidFilter``.
* Everything else reads ``json_extract(doc, '$."attr"."sub"')``
  (extension attributes under ``$."urn:..."``); a multi-valued attribute is
  ``EXISTS (SELECT 1 FROM json_each(doc, ...) AS eN WHERE ...)`` and a value
  filter is one such EXISTS with the whole inner filter on the same element.
* Case-insensitive strings compare ``scim_fold(x)`` (Python
  ``str.casefold``, see :func:`register_functions`) with the folded literal.
  ``co``/``sw``/``ew`` use ``instr``/``substr``/``length`` (LIKE would fold
  ASCII only and treat ``%``/``_`` as wildcards). JSON booleans are tested
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

from core.errors import bad_request
from core.filter.ast import And, AttrPath, Compare, Filter, Literal, Not, Or, Present, ValuePath, flatten
from core.filter.evaluate import leaf_matches
from core.filter.printer import path_string
from core.filter.resolve import attribute_of
from core.schema import Attribute, ResourceType

Sql = tuple[str, list[object]]
_SQL_OP = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_COLUMNS = {"userName": "user_name_fold", "externalId": "external_id", "id": "id", "active": "active",
            "meta.created": "created", "meta.lastModified": "last_modified"}
_NOT_STORED = ("meta.location", "meta.version")


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ``scim_fold(x)``: ``str.casefold`` for text, others pass
    through (RFC 7643 §2.3.1 caseExact=false comparison)."""
    conn.create_function("scim_fold", 1, _fold, deterministic=True)


def _fold(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    return value.casefold() if isinstance(value, str) else value  # NULL, numbers pass through


def compile_filter(node: Filter, rt: ResourceType) -> tuple[str, list[object]]:
    """A SQL boolean expression over ``users`` with ``?`` placeholders, and
    its parameters, for a resolved filter (RFC 7644 §3.4.2.2)."""
    sql, params, _depth = _Compiler(rt).node(node, False, None)
    return sql, params


@dataclass(frozen=True)
class _Elem:
    """Where paths inside ``parent[...]`` point: JSON ``base`` + ``prefix``,
    or for ``meta[...]`` the top-level path ``top`` (meta is columns)."""

    base: str
    prefix: tuple[str, ...]
    parent: Attribute
    top: AttrPath | None = None


class _Compiler:
    """One compilation: the resource type and a counter for json_each aliases."""

    def __init__(self, rt: ResourceType) -> None:
        self.rt = rt
        self.aliases = 0

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
            return (f"NOT coalesce({sql}, 0)" if negate else sql), params, depth
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
        return (f"NOT coalesce({sql}, 0)" if negate else sql), params, 0

    def value_path(self, node: ValuePath) -> tuple[str, list[object], int]:
        """``attr[filter]``: one element satisfies the whole filter."""
        urn, attr, _sub = _lookup(node.path, self.rt)
        prefix = () if urn == self.rt.schema.id else (urn,)
        path = _json_path((*prefix, attr.name))
        if attr.multi_valued:
            alias = self.alias()
            inner, params, depth = self.node(node.filter, False, _Elem(f"{alias}.value", (), attr))
            return (f"EXISTS (SELECT 1 FROM json_each(doc, '{path}') AS {alias} "
                    f"WHERE {alias}.type = 'object' AND {inner})"), params, depth + 3
        if not prefix and attr.name == "meta":
            inner, params, depth = self.node(node.filter, False, _Elem("", (), attr, node.path))
            return inner, params, depth
        inner, params, depth = self.node(node.filter, False, _Elem("doc", (*prefix, attr.name), attr))
        return f"(json_type(doc, '{path}') = 'object' AND {inner})", params, depth + 1

    def atom(self, path: AttrPath, op: str, literal: Literal, elem: _Elem | None) -> Sql:
        """``pr`` or ``op literal`` (not ``ne``, not null) on ``path``; the
        result may be NULL when the value is absent."""
        if elem is not None and elem.top is None:
            leaf = elem.parent.sub(path.attr)
            if leaf is None:
                raise bad_request("invalidFilter", f"Invalid filter: unknown sub-attribute {path.attr!r} "
                                  f"of {elem.parent.name!r}")
            return self.walk(elem.base, elem.prefix, [leaf], op, literal)
        if elem is not None and elem.top is not None:
            path = AttrPath(elem.top.attr, path.attr, elem.top.urn)
        urn, attr, sub = _lookup(path, self.rt)
        if urn == self.rt.schema.id:
            column = self.column(attr, sub, op, literal)
            if column is not None:
                return column
        prefix = () if urn == self.rt.schema.id else (urn,)
        return self.walk("doc", prefix, [attr] if sub is None else [attr, sub], op, literal)

    def column(self, attr: Attribute, sub: Attribute | None, op: str, literal: Literal) -> Sql | None:
        """Atoms on the indexed columns and on ``meta``; None otherwise."""
        name = attr.name if sub is None else f"{attr.name}.{sub.name}"
        if name in _COLUMNS:
            return _leaf(sub or attr, _COLUMNS[name], None, op, literal, prefolded=name == "userName")
        if name in _NOT_STORED:
            raise bad_request("invalidFilter", f"Invalid filter: {name!r} is not filterable")
        if name == "meta.resourceType" and sub is not None:
            node = Present(AttrPath(name)) if op == "pr" else Compare(AttrPath(name), op, literal)
            return ("1" if leaf_matches(node, sub, [self.rt.id]) else "0"), []
        if name == "meta":
            return "1", []  # always present; only 'pr' reaches a complex attribute
        return None

    def walk(self, base: str, prefix: tuple[str, ...], chain: list[Attribute], op: str,
             literal: Literal) -> Sql:
        """Descend ``chain`` (attribute, then sub-attribute) from JSON
        ``base``, opening a ``json_each`` for each multi-valued level."""
        attr, rest = chain[0], chain[1:]
        path = _json_path((*prefix, attr.name))
        if rest and not attr.multi_valued:
            return self.walk(base, (*prefix, attr.name), rest, op, literal)
        if not rest and attr.multi_valued and op == "pr":
            return f"json_array_length({base}, '{path}') > 0", []
        if not rest and not attr.multi_valued:
            value, jtype = f"json_extract({base}, '{path}')", f"json_type({base}, '{path}')"
            return _leaf(attr, value, jtype, op, literal)
        alias = self.alias()
        if rest:
            sql, params = self.walk(f"{alias}.value", (), rest, op, literal)
            sql = f"{alias}.type = 'object' AND {sql}"
        else:
            sql, params = _leaf(attr, f"{alias}.value", f"{alias}.type", op, literal)
        return f"EXISTS (SELECT 1 FROM json_each({base}, '{path}') AS {alias} WHERE {sql})", params


def _lookup(path: AttrPath, rt: ResourceType) -> tuple[str, Attribute, Attribute | None]:
    try:
        return attribute_of(path, rt)
    except ValueError as exc:
        raise bad_request("invalidFilter", f"Invalid filter: {exc}") from None


def _json_path(segments: tuple[str, ...]) -> str:
    """``$."a"."b"`` from schema names (never from filter text)."""
    for segment in segments:
        if any(c in segment for c in "\"'\\"):
            raise ValueError(f"unsafe name in JSON path: {segment!r}")
    return "$" + "".join(f'."{s}"' for s in segments)


def _leaf(attr: Attribute, value: str, jtype: str | None, op: str, literal: Literal, *,
          prefolded: bool = False) -> Sql:
    """Predicate on one value expression; ``jtype`` is its ``json_type``
    expression (None for a plain column). ``prefolded``: the column already
    holds case-folded text."""
    if op == "pr":
        if attr.type == "complex":
            return f"({jtype} = 'object' AND {value} <> '{{}}')", []
        if attr.type == "boolean":
            return (f"{value} IS NOT NULL" if jtype is None else f"{jtype} IN ('true', 'false')"), []
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
        literal = literal.casefold()
        value = value if prefolded else f"scim_fold({value})"
    return _text(value, op, literal, indexed=prefolded)


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


def compile_sort(path: AttrPath, rt: ResourceType) -> str:
    """An ORDER BY expression for a resolved ``sortBy`` path (RFC 7644
    §3.4.2.3); NULL when the resource has no value. Multi-valued attributes
    sort by the ``primary`` element's value, else the first element's;
    ``emails`` means ``emails.value``. caseExact=false strings are folded.
    Unsortable paths (complex, ``meta.location`` ...) are 400
    ``invalidValue``."""
    try:
        urn, attr, sub = attribute_of(path, rt)
    except ValueError as exc:
        raise bad_request("invalidPath", f"Invalid sortBy: {exc}") from None
    core = urn == rt.schema.id
    name = attr.name if sub is None else f"{attr.name}.{sub.name}"
    if core and name in _COLUMNS:
        return _COLUMNS[name]
    if attr.type == "complex" and attr.multi_valued and sub is None:
        sub = attr.sub("value")
    leaf = sub or attr
    if leaf.type == "complex" or (core and attr.name == "meta"):
        raise bad_request("invalidValue", f"Cannot sort by {path_string(path)!r}")
    prefix = () if core else (urn,)
    if not attr.multi_valued:
        names = (*prefix, attr.name) if sub is None else (*prefix, attr.name, sub.name)
        return _sort_fold(leaf, f"json_extract(doc, '{_json_path(names)}')")
    list_path = _json_path((*prefix, attr.name))
    if sub is None:
        return (f"(SELECT {_sort_fold(leaf, 's.value')} FROM json_each(doc, '{list_path}') AS s "
                "ORDER BY s.key LIMIT 1)")
    value = _sort_fold(leaf, f"json_extract(s.value, '{_json_path((sub.name,))}')")
    primary = "json_type(s.value, '$.\"primary\"') = 'true' DESC, " if attr.sub("primary") else ""
    return (f"(SELECT {value} FROM json_each(doc, '{list_path}') AS s WHERE s.type = 'object' "
            f"ORDER BY {primary}s.key LIMIT 1)")


def compile_order_by(path: AttrPath, rt: ResourceType, *, descending: bool = False) -> str:
    """``compile_sort`` with direction and RFC 7644 §3.4.2.3 null placement:
    resources without a value sort last ascending, first descending."""
    expr = compile_sort(path, rt)
    return f"{expr} DESC NULLS FIRST" if descending else f"{expr} ASC NULLS LAST"


def _sort_fold(leaf: Attribute, expr: str) -> str:
    """Fold caseExact=false strings for sorting (RFC 7644 §3.4.2.3)."""
    textual = leaf.type in ("string", "reference", "binary")
    return f"scim_fold({expr})" if textual and not leaf.case_exact else expr
