"""What ``add``, ``replace`` and ``remove`` do to one attribute's value
(RFC 7644 §3.5.2.1–§3.5.2.3).

Each function takes the attribute's current value and returns its new
value (``None`` = unassigned) without mutating its input; values are
validated by :mod:`core.values` exactly as in POST/PUT bodies.
"""

from __future__ import annotations

from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import InvalidPath, InvalidValue, Mutability, NoTarget
from scimdock.core.filter import matches_element
from scimdock.core.filter.ast import And, Compare, Filter
from scimdock.core.schema import Attribute
from scimdock.core.values import (
    canonical,
    check_primary,
    contains,
    normalize_single,
    normalize_value,
    same_value,
)


def whole_op(
    op: str, attr: Attribute, current: Any, value: Any, given: bool, *, lenient: bool, where: str
) -> Any:
    """A path naming a whole attribute (no filter, no sub-attribute)."""
    if op == "remove":
        if given and attr.multi_valued and isinstance(current, list):
            listed = normalize_value(value, attr, lenient=lenient, where=where) or []
            kept = leniency.remove_listed(
                current, listed, lambda e, x: _same_element(e, x, attr), lenient=lenient
            )
            return kept or None
        if given:
            leniency.ignore_remove_value(lenient=lenient)
        return None  # §3.5.2.2: the attribute (all its values) is removed
    if attr.multi_valued:
        new = normalize_value(value, attr, lenient=lenient, where=where) or []
        if op == "replace":  # §3.5.2.3: the whole list is replaced
            return new or None
        return _append(list(current or []), new, attr, where)
    if attr.type == "complex":  # §3.5.2.1/§3.5.2.3: given sub-attributes merge
        part = normalize_single(value, attr, lenient=lenient, where=where, partial=True)
        return None if part is None else _merge(current, _settable(part, where), attr)
    return normalize_single(value, attr, lenient=lenient, where=where)


def _append(items: list[Any], new: list[Any], attr: Attribute, where: str) -> list[Any] | None:
    """§3.5.2.1: each new value is added unless it is already there ("no
    changes SHOULD be made").

    "Already there" means: an element with the same ``value`` whose other
    sub-attributes do not contradict the new one (missing ones are filled
    in, so ``{"value": "u1", "type": "User"}`` never duplicates member
    ``u1``); for attributes without ``value`` (``addresses``), an element
    carrying every given sub-attribute. Existing elements are indexed by
    ``value`` so adding a few members to a group of thousands stays linear.
    """
    by_value: dict[str, list[int]] = {}
    for i, e in enumerate(items):
        by_value.setdefault(_value_key(e, attr), []).append(i)
    touched: set[int] = set()
    for element in new:
        key = _value_key(element, attr)
        if key:
            index = next(
                (i for i in by_value.get(key, []) if _compatible(items[i], element, attr)), None
            )
            if index is not None:
                items[index] = {**element, **items[index]}
        else:
            index = next((i for i in range(len(items)) if contains(items[i], element, attr)), None)
        if index is None:
            items.append(element)
            index = len(items) - 1
            by_value.setdefault(key, []).append(index)
        touched.add(index)
    return _one_primary(items, touched, where) or None


def _compatible(existing: Any, element: dict[str, Any], attr: Attribute) -> bool:
    """No sub-attribute both have differs (per ``caseExact``)."""
    return isinstance(existing, dict) and all(
        same_value(existing[k], v, attr.sub(k) or attr) for k, v in element.items() if k in existing
    )


def _value_key(element: Any, attr: Attribute) -> str:
    """The canonical ``value`` of an element, "" when it has none."""
    value_attr = attr.sub("value")
    if not isinstance(element, dict) or "value" not in element or value_attr is None:
        return ""
    return repr(canonical(element["value"], value_attr))


def sub_op(
    op: str,
    attr: Attribute,
    current: Any,
    sub: Attribute,
    value: Any,
    given: bool,
    *,
    lenient: bool,
    where: str,
) -> Any:
    """``attr.sub`` of a single-valued complex attribute (``name.givenName``,
    ``…:User:manager.value``); an emptied complex value is unassigned."""
    if op == "remove":
        if given:
            leniency.ignore_remove_value(lenient=lenient)
        new = None
    else:
        new = normalize_value(value, sub, lenient=lenient, where=where)
    return _merge(current, {sub.name: new}, attr)


def filtered_op(
    op: str,
    attr: Attribute,
    current: Any,
    flt: Filter,
    sub: Attribute | None,
    value: Any,
    given: bool,
    *,
    lenient: bool,
    where: str,
) -> Any:
    """``attr[filter]`` or ``attr[filter].sub`` (RFC 7644 §3.5.2).

    remove: the matching elements (or their ``sub``) go; no match is not
    an error, in either mode: afterwards no element matches, as asked, and
    RFC 7644 §3.5.2.2 lists no error for it (§3.5.2.3 does, for replace;
    removing a member already gone stays idempotent). add/replace: every matching element gets the value (merged
    into it, or as its ``sub``); with no match a new element is built from
    the filter's ``eq`` comparisons plus the value — always for ``add``,
    for ``replace`` only when lenient (strict: 400 noTarget, §3.5.2.3).
    """
    items = list(current or [])
    hits = [i for i, e in enumerate(items) if matches_element(flt, e, attr)]
    if op == "remove":
        if given:
            leniency.ignore_remove_value(lenient=lenient)
        if sub is None:
            return [e for i, e in enumerate(items) if i not in hits] or None
        for i in hits:
            _check_sub(sub, items[i], None, where)
            items[i] = _merge(items[i], {sub.name: None})
        return [e for e in items if e is not None] or None
    if sub is not None:
        part = {sub.name: normalize_value(value, sub, lenient=lenient, where=where)}
    else:
        part = normalize_single(value, attr, lenient=lenient, where=where, partial=True)
        if part is None:
            part = {}
        elif not isinstance(part, dict):
            raise InvalidPath(f"'{where}': a value filter needs complex values")
        else:
            part = _settable(part, where)
    if not hits:
        if op == "replace":
            leniency.replace_without_match(where, lenient=lenient)
        return _create(items, attr, flt, part, lenient=lenient, where=where)
    for i in hits:
        for name, v in part.items():
            _check_sub(attr.sub(name) or attr, items[i], v, where)
        items[i] = _merge(items[i], part)
    kept = [i for i in range(len(items)) if items[i] is not None]
    touched = {kept.index(i) for i in hits if items[i] is not None}
    return _one_primary([items[i] for i in kept], touched, where) or None


def _create(
    items: list[Any],
    attr: Attribute,
    flt: Filter,
    part: dict[str, Any],
    *,
    lenient: bool,
    where: str,
) -> Any:
    """The element a filter with no match describes: ``emails[type eq
    "work"].value`` = "a@b" → ``{"type": "work", "value": "a@b"}``."""
    if all(v is None for v in part.values()):
        return items or None  # nothing to set, so nothing to create
    seed = _seed(flt, attr)
    if seed is None:
        raise NoTarget(
            f"no value matches '{where}', and the filter does not "
            "describe one to create (only 'eq' joined by 'and' can)",
        )
    raw = {**seed, **{k: v for k, v in part.items() if v is not None}}
    element = normalize_single(raw, attr, lenient=lenient, where=where)
    if element is None:
        return items or None
    items.append(element)
    return _one_primary(items, {len(items) - 1}, where)


def _seed(flt: Filter, attr: Attribute) -> dict[str, Any] | None:
    """Sub-attribute values fixed by ``eq`` comparisons joined with ``and``."""
    if isinstance(flt, Compare) and flt.op.lower() == "eq":
        path = flt.path  # relative ("type") or resolved ("emails.type")
        if path.sub is not None and path.attr.lower() != attr.name.lower():
            return None
        sub = attr.sub(path.sub if path.sub is not None else path.attr)
        return {sub.name: flt.value} if sub is not None else None
    if isinstance(flt, And):
        left, right = _seed(flt.left, attr), _seed(flt.right, attr)
        if left is None or right is None or any(left[k] != right[k] for k in left.keys() & right):
            return None
        return {**left, **right}
    return None


def _settable(part: dict[str, Any], where: str) -> dict[str, Any]:
    """A complex value that gave only read-only sub-attributes (which
    :func:`core.values.normalize_single` leaves out) would change nothing:
    400 mutability (RFC 7644 §3.5.2: an operation "not compatible with an
    attribute's mutability" is an error), not a 2xx for nothing done."""
    if not part:
        raise Mutability(f"'{where}': only read-only sub-attributes were given")
    return part


def _merge(
    current: Any, part: dict[str, Any], attr: Attribute | None = None
) -> dict[str, Any] | None:
    """Sub-attributes of ``part`` replace those of ``current`` (``None``
    clears one); the rest are left unchanged (§3.5.2.3). Empty → None.

    For a single-valued complex ``attr`` with a ``value`` sub-attribute
    (``manager``), clearing ``value`` clears the whole attribute: Entra ID
    unassigns a manager with ``{"value": ""}``, and a ``$ref`` without its
    ``value`` would be meaningless."""
    if (
        attr is not None
        and attr.sub("value") is not None
        and "value" in part
        and part["value"] is None
    ):
        return None
    merged = dict(current) if isinstance(current, dict) else {}
    for name, v in part.items():
        if v is None:
            merged.pop(name, None)
        else:
            merged[name] = v
    return merged or None


def _same_element(element: Any, listed: Any, attr: Attribute) -> bool:
    """Entra's remove-with-value lists members by ``value``."""
    if isinstance(element, dict) and isinstance(listed, dict) and "value" in listed:
        value_attr = attr.sub("value") or attr
        return same_value(element.get("value"), listed["value"], value_attr)
    return contains(element, listed, attr)


def _one_primary(items: list[Any], touched: set[int], where: str) -> list[Any]:
    """RFC 7643 §2.4: a value just set ``primary: true`` takes it from the
    others; two such values in one operation → 400 invalidValue."""
    primary = [i for i in touched if isinstance(items[i], dict) and items[i].get("primary") is True]
    if len(primary) > 1:
        raise InvalidValue(f"more than one '{where}' value is primary")
    if primary:
        cleared = (
            e
            if i == primary[0] or not isinstance(e, dict) or e.get("primary") is not True
            else {k: v for k, v in e.items() if k != "primary"}
            for i, e in enumerate(items)
        )
        items = [e for e in cleared if e]
    check_primary(items, where)
    return items


def _check_sub(sub: Attribute, element: Any, new: Any, where: str) -> None:
    """An immutable sub-attribute of an existing element cannot change
    (RFC 7643 §2.2), e.g. ``members[value eq "x"].value``."""
    if sub.mutability != "immutable" or not isinstance(element, dict):
        return
    old = element.get(sub.name)
    if old is not None and (new is None or not same_value(old, new, sub)):
        raise Mutability(f"'{where}': '{sub.name}' is immutable")


def immutable_check(attr: Attribute, before: Any, after: Any, *, where: str) -> None:
    """RFC 7644 §3.5.2 / RFC 7643 §2.2: an immutable attribute (or immutable
    sub-attribute of a single-valued complex one) that has a value cannot
    be changed or removed → 400 mutability. Setting the same value is fine."""
    if (
        attr.mutability == "immutable"
        and before is not None
        and (after is None or not same_value(before, after, attr))
    ):
        raise Mutability(f"'{where}': '{attr.name}' is immutable")
    if attr.type == "complex" and not attr.multi_valued and isinstance(before, dict):
        for sub in attr.sub_attributes:
            _check_sub(sub, before, (after or {}).get(sub.name), where)
