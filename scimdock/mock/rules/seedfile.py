"""Seed data of the mock (docs/mock.md, "Seed data"): users, groups and
memberships in one JSON or YAML document, checked whole before anything
is written. Pure: the caller creates what :func:`plan` returns, users
first, through the store's normal create methods.

Group members name users of the document by ``userName`` or groups
defined before them by ``displayName``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs pinned

from scimdock.core.clock import parse
from scimdock.core.errors import InvalidValue, ScimError, Uniqueness, error_for
from scimdock.core.identity import fold
from scimdock.core.membership import plan_create
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.core.schema_text import describe

#: The JSON Schema of a seed document (openapi/admin.yaml ``SeedInput``).
#: An id a seed may give (docs/mock.md, "Snapshots"): URL-safe characters
#: (RFC 3986 §2.3) in lower case, as the server's own ids are, since
#: member references are compared without case.
ID_PATTERN = "^[a-z0-9][a-z0-9._~-]{0,127}$"
#: ``meta`` a seed may give: the times and the version to keep; the other
#: fields of a resource's ``meta`` (RFC 7643 §3.1) are allowed and ignored.
_META: dict[str, Any] = {
    "type": "object",
    "properties": {
        "created": {"type": "string"},
        "lastModified": {"type": "string"},
        "version": {"type": "string", "pattern": '^W/"[1-9][0-9]{0,8}"$'},
    },
}
_KEPT: dict[str, Any] = {"id": {"type": "string", "pattern": ID_PATTERN}, "meta": _META}

#: The JSON Schema of a seed document (openapi/admin.yaml ``SeedInput``).
SEED_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "scimdock seed data",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "users": {
            "type": "array",
            "maxItems": 10000,
            "items": {"type": "object", "properties": _KEPT},
        },
        "groups": {
            "type": "array",
            "maxItems": 10000,
            "items": {
                "type": "object",
                "required": ["displayName"],
                "properties": {
                    **_KEPT,
                    "displayName": {"type": "string", "minLength": 1},
                    "members": {"type": "array", "items": {"type": "string", "minLength": 1}},
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SEED_SCHEMA)


def loads(text: str | bytes) -> Any:
    """A JSON or YAML document (seeds, snapshots, rules, profiles). JSON is
    read as JSON first: YAML 1.1 reads it too, but the pure-Python loader
    took about 30 s for a 4 MiB snapshot of 10,000 users; libyaml's loader
    where PyYAML has it. ``ValueError`` or ``yaml.YAMLError`` if neither."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506  (a safe loader)


class Given(NamedTuple):
    """What a seed entry keeps (store.records.Stamp): its ``id`` and
    ``meta``'s ``created``, ``lastModified`` and version; ``None`` where
    the entry gives none (made as for ``POST``)."""

    id: str | None
    created: str | None
    last_modified: str | None
    version: int


@dataclass(frozen=True)
class SeedPlan:
    #: ``(userName, stored document, kept id and meta)`` of each user.
    users: list[tuple[str, dict[str, Any], Given]]
    #: ``(displayName, stored document, member names, kept id and meta)`` of each group.
    groups: list[tuple[str, dict[str, Any], list[str], Given]]


def plan(document: Any, *, lenient: bool = True, case_exact: bool = False) -> SeedPlan:
    """The users and groups of ``document``, each checked as ``POST``
    checks it (RFC 7644 §3.3); a 400 :class:`ScimError` saying where the
    first mistake is, or a 409 ``uniqueness`` naming two entries that the
    tenant would hold under one name or id (``case_exact``: its userNames
    compare as given). In time linear in the document: nothing is written
    before the whole of it holds."""
    errors = sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidValue(f"seed data: {describe(errors[0], 'the document')}")
    users = []
    user_key = (lambda name: name) if case_exact else fold
    user_at: dict[str, int] = {}
    ids: dict[str, int] = {}
    for index, body in enumerate(document.get("users") or []):
        doc = _checked(lambda b=body: normalize_resource(b, USER, lenient=lenient), "users", index)
        name = str(doc["userName"])
        _unique(user_at, user_key(name), "users", index, f"userName {name!r}")
        users.append((name, doc, _given(body, "users", index, ids)))
    # Members are matched without case (scimdock.mock.handlers.data.member_of).
    known = {name.casefold() for name, _, _ in users}
    group_at: dict[str, int] = {}
    group_ids: dict[str, int] = {}
    groups: list[tuple[str, dict[str, Any], list[str], Given]] = []
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
        groups.append((name, doc, members, _given(body, "groups", index, group_ids)))
        known.add(name.casefold())
    return SeedPlan(users, groups)


def _given(body: dict[str, Any], kind: str, index: int, ids: dict[str, int]) -> Given:
    """The id and ``meta`` an entry keeps (RFC 7643 §3.1 makes them the
    service provider's; a snapshot put back keeps its own: docs/mock.md).
    The schema has checked their form; here, the times and the order."""
    meta = body.get("meta") or {}
    given_id = body.get("id")
    if given_id is not None:
        if given_id == "bulkid":  # RFC 7643 §3.1: a reserved keyword
            raise InvalidValue(f"seed data: {kind}/{index}: 'bulkId' is no id (RFC 7643 §3.1)")
        _unique(ids, given_id, kind, index, f"id {given_id!r}")
    created = _instant(meta.get("created"), kind, index, "created")
    modified = _instant(meta.get("lastModified"), kind, index, "lastModified")
    if modified is not None and modified < (created or modified):
        raise InvalidValue(f"seed data: {kind}/{index}: meta.lastModified is before meta.created")
    version = int(meta["version"][3:-1]) if "version" in meta else 1
    return Given(given_id, created, modified, version)


def _instant(value: str | None, kind: str, index: int, name: str) -> str | None:
    """A ``meta`` time in the store's form (core.clock), or ``None``."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise InvalidValue(f"seed data: {kind}/{index}: meta.{name}: {exc}") from None


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
