"""Resolve parsed filters and paths against a resource type's schemas
(RFC 7643 §2, §7; RFC 7644 §3.4.2.2, §3.5.2, §3.10).

A resolved tree has the same shape as the parsed one, but every top-level
:class:`AttrPath` carries the attribute and sub-attribute names spelled as
in the schema and ``urn`` set to the id of the schema defining it (the core
schema for ``id``, ``externalId`` and ``meta``, RFC 7643 §3.1). Paths inside
a :class:`ValuePath` filter stay relative to the element: ``AttrPath(sub)``
with ``urn=None`` (``emails[type eq "work"]`` keeps ``AttrPath("type")``).

Typing rules of :func:`resolve_filter` (RFC 7644 §3.4.2.2):

* boolean: ``eq ne pr``; dateTime, integer, decimal: ``eq ne gt ge lt le
  pr``; string and reference: every operator; binary: every operator but
  ``gt ge lt le`` (the RFC makes ordering a boolean or binary an error).
* ``eq null`` / ``ne null`` (absent / present) work on any attribute; no
  other operator takes ``null``.
* A complex attribute without a sub-attribute takes only ``pr`` and
  ``eq/ne null``, except a multi-valued one with a ``value`` sub-attribute:
  ``emails co "x"`` means ``emails.value co "x"`` and is rewritten so.
* The literal must fit the type: strings for string/reference/binary, a
  boolean for boolean (``lenient`` also takes Entra's ``"True"``/``"false"``
  strings), a number for integer/decimal (integers within 64 bits, as
  SQLite stores them), an RFC 3339 string for dateTime,
  normalised by :func:`normalize_datetime` so that string order is time order.
* ``returned: never`` attributes (``password``) cannot be filtered on: a
  filter on them would be an oracle for a value that is never shown.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from scimdock.core.errors import ScimError, bad_request
from scimdock.core.filter.ast import (
    COMPARE_OPS,
    And,
    AttrPath,
    Compare,
    Filter,
    Literal,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    left_spine,
)
from scimdock.core.filter.printer import path_string
from scimdock.core.schema import COMMON, Attribute, ResourceType

_ALLOWED: dict[str, frozenset[str]] = {
    "boolean": frozenset({"eq", "ne"}),
    "dateTime": frozenset({"eq", "ne", "gt", "ge", "lt", "le"}),
    "integer": frozenset({"eq", "ne", "gt", "ge", "lt", "le"}),
    "decimal": frozenset({"eq", "ne", "gt", "ge", "lt", "le"}),
    "string": frozenset(COMPARE_OPS),
    "reference": frozenset(COMPARE_OPS),
    "binary": frozenset({"eq", "ne", "co", "sw", "ew"}),
    "complex": frozenset(),
}
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,32}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?",
    re.ASCII,
)


def normalize_datetime(text: str) -> str:
    """An RFC 3339 / xsd:dateTime string (RFC 7643 §2.3.5) as UTC
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, the form the store keeps, so that string
    comparison of normalised values is time comparison. A missing offset
    means UTC; fractions beyond microseconds are truncated. Raises
    ``ValueError`` if ``text`` is not a date-time."""
    m = _DATETIME.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second, frac, _z, sign, off_h, off_m = m.groups()
    offset = timedelta(0)
    if sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError(f"invalid UTC offset in {text!r}")
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((frac or "").ljust(6, "0")[:6]),
            tzinfo=timezone(offset),
        )
        utc = local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"invalid date-time {text!r}: {exc}") from None
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def attribute_of(path: AttrPath, rt: ResourceType) -> tuple[str, Attribute, Attribute | None]:
    """(schema id, attribute, sub-attribute or None) for a top-level path,
    names matched case-insensitively (RFC 7643 §2.1); ``ValueError`` if
    unknown. Common attributes belong to the core schema (RFC 7643 §3.1)."""
    if path.urn is not None:
        schema = rt.schema_for(path.urn)
        if schema is None:
            raise ValueError(f"unknown schema {path.urn!r}")
        attr = schema.attribute(path.attr)
        if attr is None and schema is rt.schema:
            attr = COMMON.get(path.attr.lower())
    else:
        schema, attr = rt.schema, rt.schema.attribute(path.attr) or COMMON.get(path.attr.lower())
    if attr is None:
        raise ValueError(f"unknown attribute {path_string(path)!r}")
    if path.sub is None:
        return schema.id, attr, None
    sub = attr.sub(path.sub) if attr.type == "complex" else None
    if sub is None:
        raise ValueError(f"unknown sub-attribute {path.sub!r} of {attr.name!r}")
    return schema.id, attr, sub


def resolve_filter(node: Filter, rt: ResourceType, *, lenient: bool = True) -> Filter:
    """Canonical names and URNs, typing checked (module docstring); raise
    400 ``invalidFilter`` naming the offending attribute or literal."""
    return _Resolver(rt, lenient, "invalidFilter").filter(node, None)


def resolve_path(path: PatchPath, rt: ResourceType, *, lenient: bool = True) -> PatchPath:
    """Resolve a PATCH path (RFC 7644 §3.5.2); any problem is 400
    ``invalidPath``. ``filter`` and ``sub`` are relative to ``path``; the
    filter follows the typing rules above (``lenient`` as for filters)."""
    resolver = _Resolver(rt, lenient, "invalidPath")
    target, attr = resolver.top(path.path, check_filterable=False)
    if path.filter is None and path.sub is None:
        return PatchPath(target)
    if target.sub is not None or attr.type != "complex":
        raise resolver.error(
            f"{resolver.name(target)} is not a complex attribute, so it cannot "
            "have a value filter or sub-attribute"
        )
    inner = resolver.filter(path.filter, attr) if path.filter is not None else None
    sub = None
    if path.sub is not None:
        sub_attr = attr.sub(path.sub)
        if sub_attr is None:
            raise resolver.error(f"unknown sub-attribute {path.sub!r} of {attr.name!r}")
        sub = sub_attr.name
    return PatchPath(target, inner, sub)


def resolve_attr_path(path: AttrPath, rt: ResourceType) -> AttrPath:
    """Resolve an ``attributes``/``excludedAttributes``/``sortBy`` path
    (RFC 7644 §3.4.2.3, §3.9); unknown is 400 ``invalidPath`` (projection
    callers may catch it and ignore the name)."""
    return _Resolver(rt, True, "invalidPath").top(path, check_filterable=False)[0]


class _Resolver:
    """One resolution: the resource type, leniency and error type."""

    def __init__(self, rt: ResourceType, lenient: bool, scim_type: str) -> None:
        self.rt = rt
        self.lenient = lenient
        self.scim_type = scim_type

    def error(self, message: str) -> ScimError:
        what = "filter" if self.scim_type == "invalidFilter" else "path"
        return bad_request(self.scim_type, f"Invalid {what}: {message}")

    def name(self, path: AttrPath) -> str:
        """A path for messages: the core schema URN is left out."""
        core = path.urn is not None and path.urn == self.rt.schema.id
        return repr(path_string(AttrPath(path.attr, path.sub, None if core else path.urn)))

    def top(self, path: AttrPath, *, check_filterable: bool = True) -> tuple[AttrPath, Attribute]:
        """A canonical top-level path and its leaf attribute."""
        try:
            urn, attr, sub = attribute_of(path, self.rt)
        except ValueError as exc:
            raise self.error(str(exc)) from None
        if check_filterable and attr.returned == "never":
            raise self.error(f"attribute {attr.name!r} cannot be used in a filter")
        return AttrPath(attr.name, sub.name if sub else None, urn), sub or attr

    def relative(self, path: AttrPath, parent: Attribute) -> tuple[AttrPath, Attribute]:
        """A path inside ``parent[...]``: one sub-attribute name."""
        if path.urn is not None or path.sub is not None:
            raise self.error(
                f"inside {parent.name}[...] use a sub-attribute name of "
                f"{parent.name!r}, not {path_string(path)!r}"
            )
        sub = parent.sub(path.attr)
        if sub is None:
            raise self.error(f"unknown sub-attribute {path.attr!r} of {parent.name!r}")
        return AttrPath(sub.name), sub

    def filter(self, node: Filter, parent: Attribute | None) -> Filter:
        """Resolve ``node``; ``parent`` is the attribute of an enclosing
        value filter (paths are then relative to its elements)."""
        if isinstance(node, (And, Or)):
            kind = type(node)
            operands = left_spine(node, kind)
            acc = self.filter(operands[0], parent)
            for right in operands[1:]:
                acc = kind(acc, self.filter(right, parent))
            return acc
        if isinstance(node, Not):
            return Not(self.filter(node.expr, parent))
        if isinstance(node, ValuePath):
            if parent is not None:
                raise self.error("value filters cannot be nested")
            path, attr = self.top(node.path)
            if path.sub is not None or attr.type != "complex":
                raise self.error(
                    f"{self.name(path)} is not a complex attribute, so it "
                    "cannot have a value filter"
                )
            return ValuePath(path, self.filter(node.filter, attr))
        if not isinstance(node, (Present, Compare)):
            raise self.error(f"not a filter node: {type(node).__name__}")
        path, attr = self.relative(node.path, parent) if parent is not None else self.top(node.path)
        if isinstance(node, Present):
            return Present(path)
        return self.compare(path, attr, node.op.lower(), node.value)

    def compare(self, path: AttrPath, attr: Attribute, op: str, value: Literal) -> Compare:
        """Check operator and literal against the attribute's type."""
        if op not in COMPARE_OPS:
            raise self.error(f"unknown operator {op!r}")
        if value is None:
            if op not in ("eq", "ne"):
                raise self.error(f"'{op} null' is not allowed; only 'eq null' and 'ne null' are")
            return Compare(path, op, None)
        if attr.type == "complex":
            value_sub = attr.sub("value") if attr.multi_valued else None
            if value_sub is None:
                raise self.error(
                    f"{self.name(path)} is complex: compare one of its sub-attributes or use 'pr'"
                )
            path, attr = AttrPath(path.attr, value_sub.name, path.urn), value_sub
        if op not in _ALLOWED.get(attr.type, frozenset()):
            raise self.error(
                f"operator {op!r} is not allowed on {attr.type} attribute {self.name(path)}"
            )
        return Compare(path, op, self.literal(path, attr, value))

    def literal(self, path: AttrPath, attr: Attribute, value: Literal) -> Literal:
        """The literal converted to the attribute's type, or an error."""
        name = self.name(path)
        if attr.type == "boolean":
            if isinstance(value, str) and self.lenient and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if isinstance(value, bool):
                return value
            raise self.error(f"{name} is boolean: expected true or false, not {value!r}")
        if attr.type in ("integer", "decimal"):
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and not -(2**63) <= value < 2**63
            ):
                raise self.error(f"{name}: integer {value} is out of the 64-bit range")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            raise self.error(f"{name} is {attr.type}: expected a number, not {value!r}")
        if not isinstance(value, str):
            raise self.error(f"{name} is {attr.type}: expected a quoted string, not {value!r}")
        if attr.type == "dateTime":
            try:
                return normalize_datetime(value)
            except ValueError:
                raise self.error(
                    f"{name} is a dateTime: {value!r} is not an RFC 3339 date-time"
                ) from None
        return value
