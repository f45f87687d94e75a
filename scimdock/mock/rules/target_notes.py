"""Conformance notes on what a *target* service provider answers: the
mock's recording proxy (scimdock.mock.proxy, docs/mock.md "Recording proxy")
forwards a client's request to a real SCIM service provider and notes
where its answer departs from RFC 7644 or makes a choice a client must
cope with.

The same note shape as the request notes of :mod:`scimdock.mock.rules.conformance`
(:meth:`core.leniency.Rule.view` plus ``count``), with ``kind``
``target`` (the RFC says MUST, SHALL or REQUIRED and the answer does
not) or ``target-choice`` (the RFC allows it; a client that assumes the
other answer breaks). Pure: the answer in, the notes out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scimdock.core.errors import ERROR_SCHEMA
from scimdock.core.leniency import Rule
from scimdock.core.schema import COMMON, GROUP, LIST_RESPONSE, USER, Attribute, ResourceType

_BROKEN, _CHOICE = "target", "target-choice"

#: Every note on a target's answer, by id.
TARGET_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "answer-media-type",
            "an answer whose Content-Type is not application/scim+json",
            "RFC 7644 §3.1, §8.1",
            "SCIM messages are application/scim+json; a client asking for it in Accept gets it.",
            (),
            _BROKEN,
        ),
        Rule(
            "error-not-scim",
            "an error answer whose body is not a SCIM Error",
            "RFC 7644 §3.12",
            "An error is returned as a JSON body with the Error schema URI,"
            " 'status' and an optional 'scimType' and 'detail'.",
            (),
            _BROKEN,
        ),
        Rule(
            "error-status",
            "a SCIM Error whose 'status' is not the HTTP status as a string",
            "RFC 7644 §3.12",
            "status: the HTTP status code expressed as a JSON string. REQUIRED.",
            (),
            _BROKEN,
        ),
        Rule(
            "patch-no-content",
            "PATCH answered 204 No Content, not 200 with the resource",
            "RFC 7644 §3.5.2",
            "The server either MUST return 200 OK and the entire resource, or"
            " MAY return 204 No Content.",
            (),
            _CHOICE,
        ),
        Rule(
            "create-status",
            "a create (POST) answered with a success other than 201",
            "RFC 7644 §3.3",
            "When the service provider creates the resource, the response SHALL"
            " have status 201 (Created).",
            (),
            _BROKEN,
        ),
        Rule(
            "create-no-location",
            "a create (POST) answered without a Location header",
            "RFC 7644 §3.3",
            "The URI of the created resource SHALL be in the HTTP Location header"
            " and in meta.location.",
            (),
            _BROKEN,
        ),
        Rule(
            "delete-status",
            "a DELETE answered with a success other than 204",
            "RFC 7644 §3.6",
            "In response to a successful DELETE, the server SHALL return 204 (No Content).",
            (),
            _BROKEN,
        ),
        Rule(
            "etag-missing",
            "a resource answered without ETag or meta.version, ETags advertised",
            "RFC 7644 §3.14",
            "A service provider that supports versioning (etag.supported) returns"
            " the version in the ETag header and meta.version.",
            (),
            _BROKEN,
        ),
        Rule(
            "list-schema",
            "a list answer without the ListResponse schema URI",
            "RFC 7644 §3.4.2",
            'A query answer has schemas ["urn:ietf:params:scim:api:messages:2.0:ListResponse"].',
            (),
            _BROKEN,
        ),
        Rule(
            "list-total",
            "a list answer without totalResults",
            "RFC 7644 §3.4.2",
            "totalResults: the total number of results returned by the query. REQUIRED.",
            (),
            _BROKEN,
        ),
        Rule(
            "list-paging",
            "a page of results without itemsPerPage or startIndex",
            "RFC 7644 §3.4.2",
            "itemsPerPage and startIndex are REQUIRED when partial results are"
            " returned due to pagination.",
            (),
            _BROKEN,
        ),
        Rule(
            "answer-name-case",
            'an attribute name in another case than the schema\'s ("UserName")',
            "RFC 7643 §2.1",
            "Attribute names are case insensitive; a client that compares them"
            " as given misses this one.",
            (),
            _CHOICE,
        ),
        Rule(
            "resource-schemas",
            "a resource answered without 'schemas'",
            "RFC 7643 §3",
            "schemas: the URIs of the schemas the resource carries. REQUIRED.",
            (),
            _BROKEN,
        ),
    )
}

_TYPES: dict[str, ResourceType] = {"users": USER, "groups": GROUP}
_SCHEMAS = Attribute("schemas", "reference", multi_valued=True)


def answer_notes(
    method: str,
    path: str,
    query: dict[str, str],
    status: int,
    headers: dict[str, str],
    body: Any,
    *,
    etags: bool | None = None,
) -> list[dict[str, Any]]:
    """The notes on one answer of the target: ``path`` under its base URL,
    ``query`` the request's parameters (lower-case names), ``headers`` the
    answer's (lower-case names), ``body`` its JSON (``None`` when empty or
    not JSON), ``etags`` what its /ServiceProviderConfig says
    (``etag.supported``; ``None`` when unknown). Each rule once, with how
    often it applied (``count``), in the order first met."""
    found: list[str] = []
    kind = headers.get("content-type", "").lower()
    if (body is not None or headers.get("content-length", "0") != "0") and not kind.startswith(
        "application/scim+json"
    ):
        found.append("answer-media-type")
    method = method.upper()
    parts = [p for p in path.split("/") if p]
    collection = parts[0].lower() if parts else ""
    if status >= 400:
        found += _error(status, body)
    elif 200 <= status < 300:
        if method == "PATCH" and status == 204:
            found.append("patch-no-content")
        if method == "POST" and len(parts) == 1 and collection in _TYPES:
            if status != 201:
                found.append("create-status")
            elif "location" not in headers:
                found.append("create-no-location")
        if method == "DELETE" and status != 204:
            found.append("delete-status")
        listing = (method == "GET" and len(parts) == 1 and collection in _TYPES) or (
            method == "POST" and parts[-1:] == [".search"]
        )
        if listing and isinstance(body, dict):
            found += _list(body, query)
            for resource in body.get("Resources") or ():
                listed = collection if collection in _TYPES else _kind_of(resource)
                if listed is not None:  # a root search (/.search) lists both kinds
                    found += _resource(listed, resource, None, etags=None)
        elif collection in _TYPES and len(parts) <= 2 and isinstance(body, dict):
            found += _resource(collection, body, headers, etags=etags)
    return [{**TARGET_RULES[r].view(), "count": n} for r, n in Counter(found).items()]


def _kind_of(resource: Any) -> str | None:
    """``users`` or ``groups`` by the resource's ``meta.resourceType``."""
    meta = resource.get("meta") if isinstance(resource, dict) else None
    kind = meta.get("resourceType") if isinstance(meta, dict) else None
    return {"User": "users", "Group": "groups"}.get(kind) if isinstance(kind, str) else None


def _error(status: int, body: Any) -> list[str]:
    schemas = body.get("schemas") if isinstance(body, dict) else None
    if not isinstance(schemas, list) or ERROR_SCHEMA not in schemas:
        return ["error-not-scim"]
    return [] if body.get("status") == str(status) else ["error-status"]


def _list(body: dict[str, Any], query: dict[str, str]) -> list[str]:
    found = []
    if LIST_RESPONSE not in (body.get("schemas") or ()):
        found.append("list-schema")
    total = body.get("totalResults")
    if not isinstance(total, int):
        found.append("list-total")
    resources = body.get("Resources") or []
    paged = "count" in query or "startindex" in query
    partial = isinstance(total, int) and isinstance(resources, list) and len(resources) < total
    if (paged or partial) and not ("itemsPerPage" in body and "startIndex" in body):
        found.append("list-paging")
    return found


def _resource(
    collection: str, doc: Any, headers: dict[str, str] | None, *, etags: bool | None
) -> list[str]:
    """A User or Group (``collection``) as answered; ``headers`` when the
    answer is that one resource (its ETag), else ``None``."""
    if not isinstance(doc, dict):
        return []
    found = [] if "schemas" in doc else ["resource-schemas"]
    found += ["answer-name-case"] * len(miscased(doc, _TYPES[collection]))
    if etags and headers is not None:
        meta = doc.get("meta")
        version = meta.get("version") if isinstance(meta, dict) else None
        if not version or "etag" not in headers:
            found.append("etag-missing")
    return found


def miscased(doc: dict[str, Any], rt: ResourceType) -> list[str]:
    """The attribute names of ``doc`` (top level, an extension's, and
    sub-attributes) whose case differs from the schema's: each name once."""
    names: set[str] = set()
    top = (*rt.schema.attributes, *COMMON.values(), _SCHEMAS)
    _walk(doc, top, names)
    for ext in rt.extensions:
        for key, value in doc.items():
            if key.lower() == ext.id.lower() and isinstance(value, dict):
                _walk(value, ext.attributes, names)
    return sorted(names)


def _walk(obj: dict[str, Any], attributes: tuple[Attribute, ...], names: set[str]) -> None:
    by_lower = {a.name.lower(): a for a in attributes}
    for key, value in obj.items():
        attribute = by_lower.get(key.lower()) if isinstance(key, str) else None
        if attribute is None:
            continue
        if key != attribute.name:
            names.add(key)
        if attribute.sub_attributes:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    _walk(item, attribute.sub_attributes, names)
