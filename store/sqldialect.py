"""What the store's SQL says differently in SQLite and in PostgreSQL: one
:class:`Dialect` per backend, read by the one filter compiler
(:mod:`store.sqlfilter`, RFC 7644 §3.4.2.2), the one sort compiler
(:mod:`store.sqlsort`, §3.4.2.3), the membership relations
(:mod:`store.sqltables`) and the transaction scripts of every operation
(``store/sql_*.py``: placeholders, booleans, JSON in and out, row locks,
batches, the audit log's numbering). Everything else they write is the
same text.

Templates are :meth:`str.format` strings over ``{b}`` (a JSON base: a
column or an element's value), ``{p}`` (a path literal of schema names,
:meth:`Dialect.path`), ``{v}`` (the JSON value at ``{p}`` in ``{b}``),
``{t}`` (its JSON type), ``{e}`` (an array's elements), ``{a}`` (an
alias), ``{m}`` (a parameter) and ``{x}``/``{g}`` (an expression and its
guard).

* SQLite's ``json_extract`` gives SQL values (text, integer, real; JSON
  booleans as 1/0, so a boolean is tested by ``json_type``, ``'true'`` or
  ``'false'``); PostgreSQL's ``#>`` gives ``jsonb``, tested by
  ``jsonb_typeof`` and cast: a string is a string only when its jsonb type
  says so, a number compares as ``numeric``.
* Order comparisons of text are ``COLLATE "C"`` in PostgreSQL: code-point
  order, as SQLite (binary UTF-8) and the evaluator compare.
* ``co``/``sw``/``ew`` use ``instr``/``substr``/``length`` in SQLite and
  ``strpos``/``starts_with``/``right`` in PostgreSQL: LIKE would treat
  ``%``/``_`` as wildcards (and fold ASCII only in SQLite), so neither
  backend needs LIKE escaping.
* A column that is not folded already (a member's derived ``display``) is
  folded in SQL by ``scim_fold``: in SQLite a Python function (the literal
  is folded in Python, :func:`core.identity.fold`); in PostgreSQL a SQL
  function (store/pg_schema.py) that folds the literal too, so a value
  always matches itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

Sql = tuple[str, list[object]]


def json_path(segments: tuple[str, ...]) -> str:
    """``$."a"."b"`` (SQLite's JSON path) from schema names, never from filter text."""
    return "$" + "".join(f'."{s}"' for s in _safe(segments))


def jsonb_path(segments: tuple[str, ...]) -> str:
    """``{"a","b"}`` (PostgreSQL's text array for ``#>``) from schema names."""
    return "{" + ",".join(f'"{s}"' for s in _safe(segments)) + "}"


def _safe(segments: tuple[str, ...]) -> tuple[str, ...]:
    for segment in segments:
        if any(c in segment for c in "\"'\\"):
            raise ValueError(f"unsafe name in JSON path: {segment!r}")
    return segments


def _substr_starts(x: str, mark: str, literal: str) -> Sql:
    return f"substr({x}, 1, ?) = {mark}", [len(literal), literal]


def _substr_ends(x: str, mark: str, literal: str) -> Sql:
    sql = f"(length({x}) >= ? AND substr({x}, 1 + length({x}) - ?) = {mark})"
    return sql, [len(literal), len(literal), literal]


def _starts_with(x: str, mark: str, literal: str) -> Sql:
    return f"starts_with({x}, {mark})", [literal]


def _right(x: str, mark: str, literal: str) -> Sql:
    return f"right({x}, length({mark})) = {mark}", [literal, literal]


def _as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Dialect:
    """The SQL of one backend where the two differ (templates: see above)."""

    mark: str  #: the parameter placeholder
    true: str  #: boolean constants in SQL text
    false: str
    booleans: tuple[object, object]  #: (false, true) bound for a boolean column
    json_path: Callable[[tuple[str, ...]], str]
    value_at: str  #: ``{v}``: the JSON value at ``{p}`` in ``{b}``
    type_at: str  #: ``{t}`` of a value at a path
    element_type: str  #: ``{t}`` of the element ``{a}`` of an array
    text_of: str  #: the text of a JSON string ``{v}`` of type ``{t}``
    boolean_type: str  #: ``{t}`` is a JSON boolean's
    number_type: str  #: ``{t}`` is a JSON number's
    json_is: str  #: a JSON value equal to the JSON text bound at ``{m}``
    empty_object: str
    numeric: str  #: the cast of a value compared as a number
    guarded: str  #: ``{x}`` when guard ``{g}`` holds (else false or NULL)
    typed_sort: bool  #: sort values need a type test and cast (jsonb)
    desc: str  #: descending, NULLs last (SQLite's default, not PostgreSQL's)
    not_null_types: frozenset[str]  #: column types present when not NULL (else: not '')
    collate: str  #: after a text operand of ``<``, ``=`` ...: code-point order
    instr: str  #: position of a substring, 0 when absent
    starts: Callable[[str, str, str], Sql]  #: (expr, mark, literal): ``sw``
    ends: Callable[[str, str, str], Sql]  #: ``ew``
    fold_literal_in_sql: bool  #: ``scim_fold(mark)`` rather than a Python-folded literal
    elements: str  #: ``{e}``: the elements of the array at ``{p}`` in ``{b}``
    as_elements: str  #: ``{e}`` as rows ``{a}`` with ``{a}.value``
    as_keyed: str  #: ... and ``{a}.key``, the element's index
    array_present: str  #: the array at ``{p}`` in ``{b}`` has an element
    array_params: bool  #: a Python list binds as one SQL array parameter
    join: str  #: the join of the relations' CTE
    nested_index: str  #: the index hint of its nested-group join
    tenant_joins: bool  #: every join of a relation names ``tenant_id`` again
    member_name: str  #: a user member ``mu``'s displayName
    locks: bool  #: rows read for a change are locked (SQLite's writer holds the whole file)
    greatest: str  #: the larger of two values
    char: str  #: the character of a code point
    log_numbers: bool  #: each audit log numbers its own lines in ``audit_seq`` (store.sql_audit)
    json_in: str  #: the placeholder of JSON text bound to a JSON column
    json_out: Callable[[Any], Any]  #: a JSON column's value as Python
    #: The statement that serialises a transaction with every other on the
    #: text bound at ``{m}`` (store.counters), where beginning it does not.
    advisory_lock: str

    def for_update(self, of: str = "") -> str:
        """`` FOR UPDATE`` (of the table ``of``) where the backend locks rows."""
        if not self.locks:
            return ""
        return f" FOR UPDATE OF {of}" if of else " FOR UPDATE"

    def at(self, base: str, names: tuple[str, ...]) -> Json:
        """The JSON value at ``names`` (schema names) in JSON ``base``."""
        p = f"'{self.json_path(names)}'"
        v = self.value_at.format(b=base, p=p)
        return Json(v, self.type_at.format(b=base, p=p, v=v), base, p)

    def element(self, alias: str) -> Json:
        """The value of the element row ``alias`` of an array."""
        return Json(f"{alias}.value", self.element_type.format(a=alias))

    def text(self, json: Json) -> str:
        return self.text_of.format(v=json.value, t=json.type)

    def is_object(self, json: Json) -> str:
        return f"{json.type} = 'object'"  # both backends' type name

    def is_boolean(self, json: Json) -> str:
        return self.boolean_type.format(t=json.type)

    def is_number(self, json: Json) -> str:
        return self.number_type.format(t=json.type)

    def each(self, json: Json, alias: str, *, keyed: bool = False) -> str:
        """The elements of the array ``json`` as rows ``alias`` (``.value``,
        and ``.key`` its index if ``keyed``); none when it is not an array."""
        e = self.elements.format(b=json.base, p=json.path, v=json.value)
        return (self.as_keyed if keyed else self.as_elements).format(e=e, a=alias)

    def has_elements(self, json: Json) -> str:
        e = self.elements.format(b=json.base, p=json.path, v=json.value)
        return self.array_present.format(b=json.base, p=json.path, e=e)


@dataclass(frozen=True)
class Json:
    """A JSON value in SQL: its ``value`` and ``type`` expressions, and for
    a value at a path, the ``base`` and ``path`` literal it was read from."""

    value: str
    type: str
    base: str = ""
    path: str = ""


#: Every field of :class:`Dialect`, side by side: (SQLite's, PostgreSQL's).
_BACKENDS: dict[str, tuple[Any, Any]] = {
    "mark": ("?", "%s"),
    "true": ("1", "true"),
    "false": ("0", "false"),
    "booleans": ((0, 1), (False, True)),
    "json_path": (json_path, jsonb_path),
    "value_at": ("json_extract({b}, {p})", "({b} #> {p})"),
    "type_at": ("json_type({b}, {p})", "jsonb_typeof({v})"),
    "element_type": ("{a}.type", "jsonb_typeof({a}.value)"),
    "text_of": ("{v}", "(CASE WHEN {t} = 'string' THEN {v} #>> '{{}}' END)"),
    "boolean_type": ("{t} IN ('true', 'false')", "{t} = 'boolean'"),
    "number_type": ("{t} IN ('integer', 'real')", "{t} = 'number'"),
    "json_is": ("{t} = {m}", "{v} = {m}::jsonb"),
    "empty_object": ("'{}'", "'{}'::jsonb"),
    "numeric": ("", "::numeric"),
    # PostgreSQL: a cast under AND may run first.
    "guarded": ("({g} AND {x})", "(CASE WHEN {g} THEN {x} END)"),
    "typed_sort": (False, True),
    "desc": ("DESC", "DESC NULLS LAST"),
    # SQLite's timestamps are TEXT.
    "not_null_types": (
        frozenset({"boolean"}),
        frozenset({"boolean", "integer", "decimal", "dateTime"}),
    ),
    "collate": ("", ' COLLATE "C"'),
    "instr": ("instr", "strpos"),
    "starts": (_substr_starts, _starts_with),
    "ends": (_substr_ends, _right),
    "fold_literal_in_sql": (False, True),
    "elements": (
        "json_each({b}, {p})",
        # none when it is not an array
        "jsonb_array_elements(CASE WHEN jsonb_typeof({v}) = 'array' THEN {v} ELSE '[]'::jsonb END)",
    ),
    "as_elements": ("{e} AS {a}", "{e} AS {a}(value)"),
    "as_keyed": ("{e} AS {a}", "{e} WITH ORDINALITY AS {a}(value, key)"),
    "array_present": ("json_array_length({b}, {p}) > 0", "EXISTS (SELECT 1 FROM {e})"),
    "array_params": (False, True),
    # SQLite keeps a CROSS JOIN's order.
    "join": ("CROSS JOIN", "JOIN"),
    "nested_index": (" INDEXED BY members_nested", ""),
    # Citus co-location: a tenant's rows only join its own.
    "tenant_joins": (False, True),
    "member_name": ("json_extract(mu.doc, '$.\"displayName\"')", "mu.doc ->> 'displayName'"),
    "locks": (False, True),
    "greatest": ("max", "greatest"),
    "char": ("char", "chr"),
    "log_numbers": (False, True),
    "json_in": ("?", "?::jsonb"),
    # psycopg reads jsonb itself (with orjson: store.postgres).
    "json_out": (orjson.loads, _as_is),
    # SQLite's one writer serialises every write transaction already.
    "advisory_lock": ("", "SELECT pg_advisory_xact_lock(hashtextextended({m}, 0))"),
}

SQLITE = Dialect(**{name: both[0] for name, both in _BACKENDS.items()})
POSTGRES = Dialect(**{name: both[1] for name, both in _BACKENDS.items()})
