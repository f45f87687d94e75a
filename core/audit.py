"""What changed between two stored documents, by attribute name, for the
audit log.

The audit log records *which* attributes a write changed, never their
values: names of the attributes changed, never secrets or passwords. Names are the ones a SCIM PATCH ``path`` would use (RFC 7644
§3.5.2, RFC 7643 §2.1):

- a core attribute by its name (``active``, ``emails``);
- a sub-attribute of a complex single-valued attribute present on both
  sides, as ``name.givenName`` (an attribute added or removed as a whole is
  named once, as ``name``);
- an extension attribute by its URN-qualified name
  (``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager``,
  RFC 7643 §3.3), and its sub-attributes the same way
  (``...:User:manager.value``);
- a multi-valued attribute (``emails``, ``members``) as a whole.

A stored document (core.resource) holds core attributes top-level under
their canonical names and extension attributes inside an object under the
extension URN, so one walk of both documents is enough. Values are
compared, never copied into the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: The attribute name a Group's membership changes are recorded under
#: (RFC 7643 §4.2): members are rows beside the document, not in it.
MEMBERS = "members"


def changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Sorted names of the attributes whose value differs from ``before``
    to ``after`` (``None`` stands for "no document": a create compares
    with ``None`` and names every attribute it sets)."""
    names: set[str] = set()
    if before is None and after is not None:
        _created(after, names)
    else:
        _walk(before or {}, after or {}, "", names, top=True)
    return tuple(sorted(names))


def _created(after: Mapping[str, Any], names: set[str]) -> None:
    """:func:`_walk` against no document (every create): each attribute
    with a value, an extension's by its URN-qualified names (the URN
    itself when it holds none)."""
    for key, new in after.items():
        if new is None:
            continue
        if ":" in key and isinstance(new, Mapping):
            qualified = {f"{key}:{sub}" for sub, value in new.items() if value is not None}
            names.update(qualified or (key,))
        else:
            names.add(key)


def with_members(names: Iterable[str], members_changed: bool) -> tuple[str, ...]:
    """``names`` plus ``members`` when a Group's membership rows changed."""
    found = set(names)
    if members_changed:
        found.add(MEMBERS)
    return tuple(sorted(found))


def _walk(
    before: Mapping[str, Any], after: Mapping[str, Any], prefix: str, names: set[str], *, top: bool
) -> None:
    for key in set(before) | set(after):
        old, new = before.get(key), after.get(key)
        if _same(old, new):
            continue
        if top and ":" in key:
            # An extension schema URN (RFC 7643 §3.3): its attributes are
            # named ``<urn>:<attribute>``, their sub-attributes with a dot.
            found = len(names)
            if isinstance(old, Mapping | None) and isinstance(new, Mapping | None):
                _walk(old or {}, new or {}, key + ":", names, top=False)
            if len(names) == found:  # not objects, or only an empty one: the URN itself
                names.add(key)
            continue
        name = prefix + key
        if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
            names.add(name)  # added, removed, simple or multi-valued: the whole attribute
            continue
        for sub in set(old) | set(new):
            if not _same(old.get(sub), new.get(sub)):
                names.add(f"{name}.{sub}")


def _same(a: Any, b: Any) -> bool:
    """Equal values, where an absent value and ``None`` are both unassigned
    (RFC 7643 §2.5). ``True`` and ``1`` differ: JSON tells them apart."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)
