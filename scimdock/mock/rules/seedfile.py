"""Seed data of the mock (docs/mock.md, "Seed data"): users, groups and
memberships in one JSON or YAML document, checked whole before anything
is written. Pure: the caller creates what :func:`plan` returns, users
first, through the store's normal create methods.

Group members name users of the document by ``userName`` or groups
defined before them by ``displayName``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs pinned

from scimdock.core.errors import InvalidValue, ScimError, Uniqueness, error_for
from scimdock.core.identity import fold
from scimdock.core.membership import plan_create
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.core.schema_text import describe

#: The JSON Schema of a seed document (openapi/admin.yaml ``SeedInput``).
SEED_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "scimdock seed data",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "users": {"type": "array", "maxItems": 10000, "items": {"type": "object"}},
        "groups": {
            "type": "array",
            "maxItems": 10000,
            "items": {
                "type": "object",
                "required": ["displayName"],
                "properties": {
                    "displayName": {"type": "string", "minLength": 1},
                    "members": {"type": "array", "items": {"type": "string", "minLength": 1}},
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SEED_SCHEMA)


@dataclass(frozen=True)
class SeedPlan:
    #: ``(userName, stored document)`` of each user.
    users: list[tuple[str, dict[str, Any]]]
    #: ``(displayName, stored document, member names)`` of each group.
    groups: list[tuple[str, dict[str, Any], list[str]]]


def plan(document: Any, *, lenient: bool = True, case_exact: bool = False) -> SeedPlan:
    """The users and groups of ``document``, each checked as ``POST``
    checks it (RFC 7644 §3.3); a 400 :class:`ScimError` saying where the
    first mistake is, or a 409 ``uniqueness`` naming two entries that the
    tenant would hold under one name (``case_exact``: its userNames compare
    as given). In time linear in the document: nothing is written before
    the whole of it holds."""
    errors = sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidValue(f"seed data: {describe(errors[0], 'the document')}")
    users = []
    user_key = (lambda name: name) if case_exact else fold
    user_at: dict[str, int] = {}
    for index, body in enumerate(document.get("users") or []):
        doc = _checked(lambda b=body: normalize_resource(b, USER, lenient=lenient), "users", index)
        name = str(doc["userName"])
        _unique(user_at, user_key(name), "users", index, f"userName {name!r}")
        users.append((name, doc))
    # Members are matched without case (scimdock.mock.handlers.data.member_of).
    known = {name.casefold() for name, _ in users}
    group_at: dict[str, int] = {}
    groups: list[tuple[str, dict[str, Any], list[str]]] = []
    for index, body in enumerate(document.get("groups") or []):
        fields = {k: v for k, v in body.items() if k != "members"}
        doc, _ = _checked(lambda b=fields: plan_create(b, lenient=lenient), "groups", index)
        name = str(doc["displayName"])
        _unique(group_at, fold(name), "groups", index, f"displayName {name!r}")
        members = [str(m) for m in body.get("members") or []]
        for member in members:
            if member.casefold() not in known:
                raise InvalidValue(
                    f"seed data: groups/{index}: member {member!r} is no userName of the"
                    " document and no group before this one"
                )
        groups.append((name, doc, members))
        known.add(name.casefold())
    return SeedPlan(users, groups)


def _unique(seen: dict[str, int], key: str, kind: str, index: int, what: str) -> None:
    """Refuse a second entry under one key, as the store's unique index
    would once half the document had been written (RFC 7644 §3.3: 409)."""
    first = seen.setdefault(key, index)
    if first != index:
        raise Uniqueness(f"seed data: {kind}/{index}: {what} is taken by {kind}/{first}")


def _checked(make: Any, kind: str, index: int) -> Any:
    try:
        return make()
    except ScimError as exc:
        raise error_for(400, f"seed data: {kind}/{index}: {exc.detail}", exc.scim_type) from None
