"""In-memory reference evaluator for resolved SCIM filters
(RFC 7644 §3.4.2.2). :mod:`store.sqlfilter` must agree with it exactly.

Resources are SCIM JSON as a client sees it, with canonical attribute names
(as the validator stores them): core and common attributes at the top
level, extension attributes under their schema URN key, ``meta.created``
etc. inside ``meta``. Filters must be resolved
(:func:`core.filter.resolve.resolve_filter`).

Semantics:

* Values: a path names a *whole value* per container — the attribute's
  value, or for ``attr.sub`` on a multi-valued ``attr`` the ``sub`` value
  of each element. A null / missing value is absent.
* ``pr``: some whole value is present — not null and not ``""``, ``[]`` or
  ``{}``. ``eq null`` is ``not pr``; ``ne null`` is ``pr``.
* Comparisons test each *candidate* (the whole values, with the elements
  of multi-valued ones): the filter matches if ANY candidate matches
  (§3.4.2.2 "multi-valued ... if any of the values match"). An absent
  attribute matches nothing.
* ``a ne v`` is exactly ``not (a eq v)`` everywhere, so an absent or
  multi-valued attribute matches ``ne`` unless some value equals ``v``.
* Strings (string, reference, binary): with ``caseExact`` false both sides
  are compared after :func:`core.identity.fold` (canonical caseless
  match), else exactly. ``co``/``sw``/``ew`` are substring / prefix /
  suffix tests, ``gt ge lt le`` order by code points.
  A candidate of the wrong JSON type never matches.
* Booleans compare as booleans (``eq`` only; ``True`` is not ``1``).
  Integers and decimals compare numerically.
* dateTime: both sides normalised to UTC ``...ffffffZ``
  (:func:`normalize_datetime`) and compared as strings; an unparseable
  stored value never matches.
* A value filter ``attr[f]`` matches if some element of a multi-valued
  ``attr`` (or the object of a single-valued complex ``attr``) is an object
  satisfying ``f`` — all of ``f`` on the same element.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

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
from scimdock.core.filter.resolve import attribute_of, normalize_datetime
from scimdock.core.identity import fold
from scimdock.core.schema import Attribute, ResourceType

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
#: Path -> (leaf attribute, whole values): how a context finds values.
ValuesOf = Callable[[AttrPath], "tuple[Attribute, list[Any]]"]
_TEXT: dict[str, Callable[[str, str], bool]] = {
    **_ORDER,
    "co": lambda value, literal: literal in value,
    "sw": str.startswith,
    "ew": str.endswith,
}


def matches(node: Filter, resource: dict[str, Any], rt: ResourceType) -> bool:
    """Whether ``resource`` satisfies the resolved filter ``node``."""
    return _test(
        node,
        lambda path: _top_values(resource, path, rt),
        lambda value_path: _value_path(value_path, resource, rt),
    )


def matches_element(node: Filter, element: dict[str, Any], parent: Attribute) -> bool:
    """Whether one element (an object) of complex attribute ``parent``
    satisfies the resolved value filter ``node``, whose paths are relative
    sub-attribute names (RFC 7644 §3.5.2 ``emails[type eq "work"]``)."""

    def values(path: AttrPath) -> tuple[Attribute, list[Any]]:
        sub = parent.sub(path.attr)
        if sub is None or path.sub is not None or path.urn is not None:
            raise ValueError(f"{path!r} is not a sub-attribute of {parent.name!r}")
        return sub, [element.get(sub.name)]

    def nested(node: ValuePath) -> bool:
        raise ValueError("value filters cannot be nested")

    return isinstance(element, dict) and _test(node, values, nested)


def _test(node: Filter, values: ValuesOf, value_path: Callable[[ValuePath], bool]) -> bool:
    """Evaluate ``node``; ``values`` maps a path to (leaf attribute, whole
    values) and ``value_path`` evaluates a value filter."""
    if isinstance(node, And):
        return all(_test(n, values, value_path) for n in flatten(node, And))
    if isinstance(node, Or):
        return any(_test(n, values, value_path) for n in flatten(node, Or))
    if isinstance(node, Not):
        return not _test(node.expr, values, value_path)
    if isinstance(node, ValuePath):
        return value_path(node)
    if isinstance(node, (Present, Compare)):
        leaf, wholes = values(node.path)
        return leaf_matches(node, leaf, wholes)
    raise TypeError(f"not a filter node: {node!r}")


def _top_values(
    resource: dict[str, Any], path: AttrPath, rt: ResourceType
) -> tuple[Attribute, list[Any]]:
    """Leaf attribute and whole values of a resolved top-level path."""
    urn, attr, sub = attribute_of(path, rt)
    container = resource if urn == rt.schema.id else resource.get(urn)
    raw = container.get(attr.name) if isinstance(container, dict) else None
    if sub is None:
        return attr, [raw]
    parents = raw if attr.multi_valued and isinstance(raw, list) else [raw]
    return sub, [p.get(sub.name) for p in parents if isinstance(p, dict)]


def _value_path(node: ValuePath, resource: dict[str, Any], rt: ResourceType) -> bool:
    """``attr[filter]``: some element object satisfies the whole filter."""
    attr, (raw,) = _top_values(resource, node.path, rt)
    elements = raw if attr.multi_valued and isinstance(raw, list) else [raw]
    return any(matches_element(node.filter, e, attr) for e in elements if isinstance(e, dict))


def is_present(value: Any) -> bool:
    """RFC 7644 §3.4.2.2 ``pr``: not null and not an empty string, array
    or object."""
    return value is not None and not (isinstance(value, (str, list, dict)) and len(value) == 0)


def leaf_matches(node: Present | Compare, leaf: Attribute, wholes: list[Any]) -> bool:
    """``pr`` or a comparison on the whole values of attribute ``leaf``."""
    present = any(is_present(w) for w in wholes)
    if isinstance(node, Present):
        return present
    if node.value is None:
        return present if node.op == "ne" else not present
    candidates: list[Any] = []
    for whole in wholes:
        if leaf.multi_valued and isinstance(whole, list):
            candidates.extend(whole)
        else:
            candidates.append(whole)
    op = "eq" if node.op == "ne" else node.op
    hit = any(compare_value(leaf, op, node.value, c) for c in candidates if c is not None)
    return not hit if node.op == "ne" else hit


def compare_value(leaf: Attribute, op: str, literal: Literal, value: Any) -> bool:
    """One candidate ``value`` against ``literal`` with operator ``op`` (not
    ``ne``), by the type rules of the module docstring."""
    if leaf.type == "boolean":
        return op == "eq" and isinstance(value, bool) and value is literal
    if leaf.type in ("integer", "decimal"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and op in _ORDER and _ORDER[op](value, literal)
    if not isinstance(value, str) or not isinstance(literal, str):
        return False
    if leaf.type == "dateTime":
        try:
            value = normalize_datetime(value)
        except ValueError:
            return False
        return op in _ORDER and _ORDER[op](value, literal)
    if not leaf.case_exact:
        value, literal = fold(value), fold(literal)
    return _TEXT[op](value, literal)
