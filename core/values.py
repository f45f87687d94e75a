"""Validation and normalisation of attribute values (RFC 7643 §2.1–§2.5).

Shared by :mod:`core.resource` (POST/PUT bodies) and :mod:`core.patch`
(PATCH values) so that a value is accepted or rejected the same way
whichever request carries it. Lenient coercions come from
:mod:`core.leniency` only.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import InvalidValue
from scimdock.core.schema import Attribute, ResourceType, Schema

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_STRINGS = ("string", "reference", "binary")


def is_unassigned(value: Any) -> bool:
    """``null``, ``""``, ``[]`` and ``{}`` all mean "no value" (RFC 7643
    §2.5; the empty string is included because Entra ID clears
    ``manager`` with ``{"value": ""}``)."""
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _invalid(where: str, expected: str, value: Any) -> Exception:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return InvalidValue(f"'{where}' must be {expected}, got {shown}")


def normalize_value(
    value: Any, attr: Attribute, *, lenient: bool, where: str, partial: bool = False
) -> Any:
    """The normalised value of ``attr``, or ``None`` when unassigned.

    Multi-valued attributes become lists (RFC 7643 §2.4) without empty
    elements and with at most one ``primary: true``. ``partial`` is for
    PATCH merges of a single-valued complex attribute: sub-attributes sent
    as null/empty are kept as ``None`` so the merge can clear them, and an
    object of only ignored (readOnly) sub-attributes gives ``{}``, a no-op.
    """
    # is_unassigned, written out: this runs for every value of every write.
    if value is None or isinstance(value, (str, list, dict)) and not value:
        return None
    if not attr.multi_valued:
        if isinstance(value, str) and attr.type in _STRINGS:
            return value  # RFC 7643 §2.3.1, as _simple answers it
        return normalize_single(value, attr, lenient=lenient, where=where, partial=partial)
    items = leniency.wrap_multi(value, lenient=lenient)
    if not isinstance(items, list):
        raise _invalid(where, "a JSON array (the attribute is multi-valued)", value)
    out = [
        v
        for v in (normalize_single(i, attr, lenient=lenient, where=where) for i in items)
        if v is not None
    ]
    check_primary(out, where)
    return out or None


def normalize_single(
    value: Any, attr: Attribute, *, lenient: bool, where: str, partial: bool = False
) -> Any:
    """One value of ``attr`` (one element when it is multi-valued), or
    ``None`` when unassigned. Types per RFC 7643 §2.3."""
    if is_unassigned(value):
        return None
    if attr.type == "complex":
        return _complex(value, attr, lenient=lenient, where=where, partial=partial)
    return _simple(value, attr, lenient=lenient, where=where)


def _complex(
    value: Any, attr: Attribute, *, lenient: bool, where: str, partial: bool
) -> dict[str, Any] | None:
    """RFC 7643 §2.3.8: a JSON object of sub-attributes; names are
    case-insensitive (§2.1); readOnly sub-attributes are ignored (§2.2)."""
    if not isinstance(value, dict):
        value = leniency.unwrap_complex(value, attr, lenient=lenient)
        if is_unassigned(value):
            return None
        if not isinstance(value, dict):
            raise _invalid(where, "a JSON object (the attribute is complex)", value)
    out: dict[str, Any] = {}
    for key, raw in value.items():
        sub = attr.sub(key) if isinstance(key, str) else None
        if sub is None:
            raise InvalidValue(f"'{where}' has no sub-attribute '{key}'")
        if sub.name in out:
            raise InvalidValue(f"'{where}.{sub.name}' is given twice")
        if sub.mutability in ("readOnly", "writeOnly"):
            continue
        if isinstance(raw, str) and sub.type in _STRINGS and not sub.multi_valued:
            v = raw or None  # normalize_value's answer, without naming the place
        else:
            v = normalize_value(raw, sub, lenient=lenient, where=f"{where}.{sub.name}")
        if v is not None or partial:
            out[sub.name] = v
    return out if partial else (out or None)


def _simple(value: Any, attr: Attribute, *, lenient: bool, where: str) -> Any:
    """RFC 7643 §2.3.1–§2.3.7 type checks."""
    kind = attr.type
    if kind == "boolean":
        value = leniency.coerce_boolean(value, lenient=lenient)
        if isinstance(value, bool):
            return value
        raise _invalid(where, "a boolean", value)
    if kind in _STRINGS:
        if isinstance(value, str):
            return value
        raise _invalid(where, "a string", value)
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _invalid(where, "an integer", value)
    if kind == "decimal":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise _invalid(where, "a number", value)
    if kind == "dateTime":
        if isinstance(value, str) and is_datetime(value):
            return value
        raise _invalid(where, "an RFC 3339 date-time such as 2008-01-23T04:56:22Z", value)
    raise InvalidValue(f"'{where}' has unsupported type {kind!r}")


def is_datetime(text: str) -> bool:
    """RFC 3339 §5.6 ``date-time`` (RFC 7643 §2.3.5), with real calendar
    values (no month 13)."""
    if not _DATETIME.match(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_primary(elements: list[Any], where: str) -> None:
    """RFC 7643 §2.4: the primary attribute value ``true`` MUST appear no
    more than once."""
    if sum(1 for e in elements if isinstance(e, dict) and e.get("primary") is True) > 1:
        raise InvalidValue(f"more than one '{where}' value is primary")


def canonical(value: Any, attr: Attribute) -> Any:
    """A comparison key: case-insensitive strings lower-cased (RFC 7643
    §2.2 ``caseExact``), complex values by sub-attribute."""
    if isinstance(value, list):
        return sorted((canonical(v, _element(attr)) for v in value), key=_sort_key)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            sub = attr.sub(k)
            out[k] = canonical(v, sub) if sub is not None else v
        return out
    if isinstance(value, str) and not attr.case_exact and attr.type in _STRINGS:
        return value.lower()
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _element(attr: Attribute) -> Attribute:
    return Attribute(
        attr.name, attr.type, case_exact=attr.case_exact, sub_attributes=attr.sub_attributes
    )


def same_value(a: Any, b: Any, attr: Attribute) -> bool:
    """Equality of two values of ``attr`` per its ``caseExact``."""
    return bool(canonical(a, attr) == canonical(b, attr))


def contains(element: Any, part: Any, attr: Attribute) -> bool:
    """Whether ``element`` already carries every sub-attribute value of
    ``part`` (RFC 7644 §3.5.2.1: adding a value already present is a no-op)."""
    if isinstance(element, dict) and isinstance(part, dict):
        return all(
            k in element and same_value(element[k], v, attr.sub(k) or attr) for k, v in part.items()
        )
    return same_value(element, part, attr)


def read(doc: dict[str, Any], schema: Schema, attr: Attribute, rt: ResourceType) -> Any:
    """The stored value of a top-level attribute of ``schema``."""
    if schema.id == rt.schema.id:
        return doc.get(attr.name)
    return (doc.get(schema.id) or {}).get(attr.name)


def write(
    doc: dict[str, Any], schema: Schema, attr: Attribute, rt: ResourceType, value: Any
) -> None:
    """Set (or, for ``None``, unset) a top-level attribute in place; an
    extension object left empty is removed."""
    if schema.id == rt.schema.id:
        target = doc
    else:
        target = doc.setdefault(schema.id, {})
    if value is None:
        target.pop(attr.name, None)
    else:
        target[attr.name] = value
    if schema.id != rt.schema.id and not target:
        doc.pop(schema.id, None)


def check_required(doc: dict[str, Any], rt: ResourceType) -> None:
    """RFC 7643 §2.2 ``required``: core attributes always, an extension's
    when the extension is present, sub-attributes when their parent is;
    an extension the resource type requires (RFC 7643 §6) must be present."""
    for urn in rt.required_extensions:
        if is_unassigned(doc.get(urn)):
            raise InvalidValue(f"the extension '{urn}' is required")
    for schema, checks in rt.derived(_required_plan):
        if schema.id != rt.schema.id and schema.id not in doc:
            continue
        for attr, subs in checks:
            value = read(doc, schema, attr, rt)
            if attr.required and is_unassigned(value):
                raise InvalidValue(f"'{attr.name}' is required")
            for element in value if isinstance(value, list) else [value]:
                if not isinstance(element, dict):
                    continue
                for sub in subs:
                    if is_unassigned(element.get(sub.name)):
                        raise InvalidValue(f"'{attr.name}.{sub.name}' is required")


_Plan = tuple[tuple[Schema, tuple[tuple[Attribute, tuple[Attribute, ...]], ...]], ...]


def _required_plan(rt: ResourceType) -> _Plan:
    """Per schema of ``rt``, the attributes :func:`check_required` must
    look at (required, or with required sub-attributes), each with its
    required sub-attributes; readOnly ones are the service provider's.
    Worked out once per resource type (``rt.derived``): every POST and PUT
    asks."""
    plan = []
    for schema in rt.schemas:
        checks = []
        for attr in schema.attributes:
            if attr.mutability == "readOnly":
                continue
            subs = tuple(
                sub for sub in attr.sub_attributes if sub.required and sub.mutability != "readOnly"
            )
            if attr.required or subs:
                checks.append((attr, subs))
        plan.append((schema, tuple(checks)))
    return tuple(plan)
