"""Group membership (RFC 7643 §4.2; RFC 7644 §3.3, §3.5.1, §3.5.2) planned
without the member list.

A group's ``members`` are not part of its stored document: the store keeps
them as rows, and a group may have 100,000 of them. This module turns what
a request says about ``members`` into an ordered list of *membership
actions* that the store applies in the same transaction as the group's new
document, so that a PATCH naming k members costs work proportional to k:

==========================================================  ==================
operation (RFC 7644 §3.5.2)                                 action
==========================================================  ==================
``add`` ``members`` ``[...]`` (present ones are no-ops)     :class:`AddMembers`
``remove`` ``members[value eq "a" or value eq "b"]``        :class:`RemoveMembers`
``remove`` ``members`` with ``value [...]`` (Entra ID;      :class:`RemoveMembers`
lenient only, :func:`core.leniency.check_remove_listed`)
``remove`` ``members`` without ``value``                    :class:`ClearMembers`
``replace`` ``members`` ``[...]``                           :class:`ReplaceMembers`
no ``path``, ``value`` ``{"members": [...], ...}``          the same, by ``op``
anything else naming ``members`` (other value filters,      :class:`RewriteMembers`
sub-attributes: ``members[type eq "Group"]``)
==========================================================  ==================

:class:`RewriteMembers` is the documented slow path: the store reads the
group's current member rows and this module runs the operation through the
ordinary PATCH engine (:mod:`core.patch`) on them. Every other operation of
the request goes to :func:`core.patch.apply_operations` on the document.

``members.value`` is ``caseExact: false`` (RFC 7643 §8.7.1): ids are
compared case-folded. Ids the store assigns are lower-case UUIDs, so a
folded id names the same resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import InvalidSyntax, InvalidValue, ScimError, error_for
from scimdock.core.filter import parse_path, resolve_path
from scimdock.core.filter.ast import AttrPath, Compare, Filter, Or, PatchPath
from scimdock.core.patch import NO_VALUE, apply_operations, read_operation
from scimdock.core.resource import normalize_resource, replace_resource
from scimdock.core.schema import CORE_GROUP, GROUP, Attribute, ResourceType
from scimdock.core.values import normalize_value

MEMBERS: Attribute = GROUP.schema.attribute("members")  # type: ignore[assignment]
MEMBER_TYPES = ("User", "Group")


@dataclass(frozen=True)
class Member:
    """A member as a client names it: the id (case-folded) and, if sent,
    the ``type`` it claims (RFC 7643 §4.2: "User" or "Group") and its
    ``display`` (immutable, RFC 7643 §2.4; else derived when read)."""

    value: str
    type: str | None = None
    display: str | None = None


@dataclass(frozen=True)
class AddMembers:
    """Add each member not already there (RFC 7644 §3.5.2.1)."""

    members: tuple[Member, ...]
    where: str


@dataclass(frozen=True)
class RemoveMembers:
    """Remove exactly these ids; ids that are not members are ignored."""

    ids: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class ClearMembers:
    """Remove every member (RFC 7644 §3.5.2.2, no value filter)."""

    where: str


@dataclass(frozen=True)
class ReplaceMembers:
    """The members become exactly this list (RFC 7644 §3.5.2.3, §3.5.1)."""

    members: tuple[Member, ...]
    where: str


@dataclass(frozen=True)
class RewriteMembers:
    """An operation on ``members`` with no fast path; needs the current list."""

    operation: dict[str, Any]
    index: int
    lenient: bool
    where: str

    def apply(self, current: list[dict[str, Any]]) -> tuple[Member, ...]:
        """The members after the operation, given the current ones as
        ``{"value", "type", "display"}`` objects (no ``$ref``)."""
        doc: dict[str, Any] = {"displayName": "-"}
        if current:
            doc["members"] = current
        after = apply_operations(doc, [(self.index, self.operation)], GROUP, lenient=self.lenient)
        return _members(after.get("members"), self.where)


Action = AddMembers | RemoveMembers | ClearMembers | ReplaceMembers | RewriteMembers


@dataclass(frozen=True)
class GroupChange:
    """A group's new document (without ``members``) and the membership
    actions to apply after it, in order."""

    doc: dict[str, Any]
    actions: tuple[Action, ...] = ()


def plan_create(
    body: Any, *, lenient: bool = True, rt: ResourceType = GROUP
) -> tuple[dict[str, Any], tuple[Member, ...]]:
    """POST a group (RFC 7644 §3.3): the body, validated like any resource
    (:func:`core.resource.normalize_resource`), as the document to store
    and its members. ``rt``: the tenant's Group type (core.extensions)."""
    return _split_members(normalize_resource(body, rt, lenient=lenient))


def plan_replace(
    old: dict[str, Any], body: Any, *, lenient: bool = True, rt: ResourceType = GROUP
) -> GroupChange:
    """PUT a group (RFC 7644 §3.5.1): the body replaces the document
    (:func:`core.resource.replace_resource`) and its ``members`` replace the
    members — none sent, none kept."""
    doc, members = _split_members(replace_resource(old, body, rt, lenient=lenient))
    return GroupChange(doc, (ReplaceMembers(members, "members"),))


def _split_members(doc: dict[str, Any]) -> tuple[dict[str, Any], tuple[Member, ...]]:
    rest = {k: v for k, v in doc.items() if k != "members"}
    return rest, _members(doc.get("members"), "members")


def plan_patch(
    doc: dict[str, Any], operations: Any, *, lenient: bool = True, rt: ResourceType = GROUP
) -> GroupChange:
    """PATCH a group (RFC 7644 §3.5.2): the operations on ``members`` become
    actions (module docstring), the others are applied to ``doc`` with
    :func:`core.patch.apply_operations`. Errors name the operation
    (``Operations[i]: ...``); the caller applies all or nothing."""
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("'Operations' must be a non-empty array")
    rest: list[tuple[int, Any]] = []
    actions: list[Action] = []
    for index, raw in enumerate(operations):
        try:
            other, planned = _split(raw, index, lenient)
        except ScimError as err:
            raise error_for(
                err.status, f"Operations[{index}]: {err.detail}", err.scim_type
            ) from None
        if other is not None:
            rest.append((index, other))
        actions.extend(planned)
    new_doc = apply_operations(doc, rest, rt, lenient=lenient) if rest else doc
    return GroupChange(new_doc, tuple(actions))


def _split(raw: Any, index: int, lenient: bool) -> tuple[Any, list[Action]]:
    """(what stays for the document or None, the membership actions)."""
    op, path, value = read_operation(raw)
    if path is not None:
        target = _members_target(path, lenient)
        if target is None:
            return raw, []
        return None, _on_members(op, path, target, value, index, lenient)
    if not isinstance(value, dict):
        return raw, []  # core.patch names the error
    actions: list[Action] = []
    kept: dict[str, Any] = {}
    for key, item in value.items():
        target = _members_target(key.strip(), lenient) if isinstance(key, str) else None
        if target is None:
            kept[key] = item
        else:
            actions.extend(_on_members(op, key.strip(), target, item, index, lenient))
    if len(actions) > 1 and any(isinstance(a, (AddMembers, ReplaceMembers)) for a in actions):
        raise InvalidValue("'members' is given twice")
    return ({"op": op, "value": kept} if kept else None), actions


def _members_target(text: str, lenient: bool) -> PatchPath | None:
    """The resolved path if it names ``members`` (or part of it), else None
    (including paths that do not parse: :mod:`core.patch` reports those)."""
    try:
        target = resolve_path(parse_path(text), GROUP, lenient=lenient)
    except ScimError:
        return None
    is_core = target.path.urn is None or target.path.urn == CORE_GROUP
    return target if is_core and target.path.attr == MEMBERS.name else None


def _on_members(
    op: str, text: str, target: PatchPath, value: Any, index: int, lenient: bool
) -> list[Action]:
    where = f"Operations[{index}]"
    whole = target.filter is None and target.sub is None and target.path.sub is None
    if whole and op == "remove":
        if value is NO_VALUE:
            return [ClearMembers(where)]
        leniency.check_remove_listed(lenient=lenient)
        listed = normalize_value(value, MEMBERS, lenient=lenient, where="members") or []
        if all(isinstance(e, dict) and "value" in e for e in listed):
            return [RemoveMembers(_unique(e["value"].casefold() for e in listed), where)]
    elif whole:
        members = _members(
            normalize_value(value, MEMBERS, lenient=lenient, where="members"), "members"
        )
        if op == "add":
            return [AddMembers(members, where)] if members else []
        return [ReplaceMembers(members, where)]
    elif op == "remove" and target.sub is None and target.filter is not None:
        ids = _value_eq_ids(target.filter)
        if ids is not None:
            if value is not NO_VALUE:
                leniency.ignore_remove_value(lenient=lenient)
            return [RemoveMembers(_unique(ids), where)]
    operation: dict[str, Any] = {"op": op, "path": text}
    if value is not NO_VALUE:
        operation["value"] = value
    return [RewriteMembers(operation, index, lenient, where)]


def _value_eq_ids(node: Filter) -> list[str] | None:
    """``value eq "a" or value eq "b"`` → ``["a", "b"]`` (folded); None for
    any other filter."""
    if isinstance(node, Or):
        left, right = _value_eq_ids(node.left), _value_eq_ids(node.right)
        return None if left is None or right is None else left + right
    if (
        isinstance(node, Compare)
        and node.op == "eq"
        and isinstance(node.value, str)
        and node.path == AttrPath("value")
    ):
        return [node.value.casefold()]
    return None


def _members(elements: Any, where: str) -> tuple[Member, ...]:
    """Normalised ``members`` elements → :class:`Member`, first of each id
    kept. Each needs a ``value`` (RFC 7643 §4.2: the member's id); a
    ``type`` must be "User" or "Group"; ``$ref`` is the server's to derive
    (from ``value``)."""
    out: dict[str, Member] = {}
    for element in elements or []:
        value = element.get("value") if isinstance(element, dict) else None
        if not isinstance(value, str) or not value:
            raise InvalidValue(f"'{where}': each member needs a 'value', the id of a User or Group")
        kind = element.get("type")
        if kind is not None:
            canonical = next((t for t in MEMBER_TYPES if t.lower() == kind.lower()), None)
            if canonical is None:
                raise InvalidValue(
                    f"'{where}': member type must be 'User' or 'Group', got {kind!r}",
                )
            kind = canonical
        display = element.get("display")
        out.setdefault(
            value.casefold(),
            Member(value.casefold(), kind, display if isinstance(display, str) else None),
        )
    return tuple(out.values())


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
