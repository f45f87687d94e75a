"""The folded document: what case-insensitive filters and sorts compare.

RFC 7643 §2.2 makes a string attribute with ``caseExact: false`` compare
without regard to case; scimdock compares such strings by their canonical
caseless form (:func:`scimdock.core.identity.fold`, Unicode §3.13). Beside
``doc``, each resource row keeps ``doc_fold`` (store/migrations.py): the
same JSON document with every ``caseExact: false`` string value (types
``string``, ``reference`` and ``binary``) folded, and every other value,
key and array order as in ``doc``. Written by the code that writes ``doc``
(:func:`folded_json`), it lets :mod:`store.sqlfilter` and
:mod:`store.sqlsort` compare in SQLite alone (``=``, ``instr``, ``substr``
on ``json_extract(doc_fold, ...)`` against the literal folded in Python at
compile time), never calling back into Python once per row: such a call
holds the GIL for the length of each value, while other tenants' requests
wait for the event loop (docs/performance-history.md#async-store).

A value where ``doc`` holds a case-sensitive string, a number, a boolean or
``null`` is the same in ``doc_fold``, so a filter can read every attribute
from ``doc_fold``. An extension object the schema does not name (``urn:``
key) has every string folded, RFC 7643 §2.2's default; any other key the
schema does not know is copied as it is.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from scimdock.core.identity import fold
from scimdock.core.schema import COMMON, GROUP, USER, Attribute, ResourceType

#: Types whose values compare as text (RFC 7644 §3.4.2.2).
TEXT_TYPES = frozenset({"string", "reference", "binary"})
#: Resource types by the name the migration's ``scim_fold_doc`` is given.
TYPES = {"User": USER, "Group": GROUP}

#: How to fold one attribute: (fold its strings, multi-valued, sub-attributes).
_Plan = tuple[bool, bool, dict[str, Any]]


def folds(attr: Attribute) -> bool:
    """Whether ``attr``'s values compare folded: caseExact=false text."""
    return not attr.case_exact and attr.type in TEXT_TYPES


def folded_doc(doc: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """``doc`` (a resource of type ``rt``) with its caseExact=false strings folded."""
    top, extensions = rt.derived(_plan)
    out: dict[str, Any] = {}
    for key, value in doc.items():
        extension = extensions.get(key)
        if extension is not None:
            out[key] = _object(value, extension) if isinstance(value, dict) else value
        elif key.startswith("urn:") and isinstance(value, dict):
            out[key] = _every_string(value)
        else:
            plan = top.get(key)
            out[key] = value if plan is None else _attribute(value, plan)
    return out


def folded_json(doc: dict[str, Any], rt: ResourceType) -> str:
    """:func:`folded_doc` as the JSON text of ``doc_fold``."""
    return orjson.dumps(folded_doc(doc, rt)).decode()


def register(conn: sqlite3.Connection) -> None:
    """``scim_fold_doc(type, doc)``: :func:`folded_json` of a stored ``doc``,
    for the migration that fills ``doc_fold`` for rows written before it."""
    conn.create_function("scim_fold_doc", 2, _fold_doc_sql, deterministic=True)


def _fold_doc_sql(type_name: str, doc: str) -> str:
    return folded_json(orjson.loads(doc), TYPES[type_name])


def _attribute(value: Any, plan: _Plan) -> Any:
    if plan[1] and isinstance(value, list):
        return [_value(item, plan) for item in value]
    return _value(value, plan)


def _value(value: Any, plan: _Plan) -> Any:
    if isinstance(value, str):
        return fold(value) if plan[0] else value
    if isinstance(value, dict) and plan[2]:
        return _object(value, plan[2])
    return value


def _every_string(value: Any) -> Any:
    """Every string of ``value`` folded: an extension this schema does not
    name (a tenant's own, RFC 7643 §3.3), whose attributes are caseExact
    false unless defined otherwise (RFC 7643 §2.2); a filter on one of them
    that is caseExact reads ``doc``, which keeps the value as sent."""
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, list):
        return [_every_string(item) for item in value]
    if isinstance(value, dict):
        return {k: _every_string(v) for k, v in value.items()}
    return value


def _object(value: dict[str, Any], subs: dict[str, _Plan]) -> dict[str, Any]:
    return {k: (v if k not in subs else _attribute(v, subs[k])) for k, v in value.items()}


def _plan_of(attr: Attribute) -> _Plan:
    return folds(attr), attr.multi_valued, {s.name: _plan_of(s) for s in attr.sub_attributes}


def _plan(rt: ResourceType) -> tuple[dict[str, _Plan], dict[str, dict[str, _Plan]]]:
    """Top-level attributes (the core schema's and the common ones, RFC 7643
    §3.1) and each extension's, by the names ``doc`` stores them under."""
    top = {a.name: _plan_of(a) for a in (*COMMON.values(), *rt.schema.attributes)}
    extensions = {
        schema.id: {a.name: _plan_of(a) for a in schema.attributes} for schema in rt.extensions
    }
    return top, extensions
