"""Building the SCIM JSON a client sees from a stored document.

RFC 7643 §3.1: ``id`` and ``meta`` are assigned by the service provider;
``meta.version`` is a weak entity tag (RFC 7644 §3.14) that changes on every
modification.
"""

from __future__ import annotations

from typing import Any

from scimdock.core.schema import LIST_RESPONSE, ResourceType


def etag(version: int) -> str:
    """The weak entity tag of a resource version."""
    return f'W/"{version}"'


def etag_matches(header: str | None, version: int) -> bool:
    """Whether an ``If-Match`` / ``If-None-Match`` header names ``version``.

    RFC 7232 §3.1/§3.2: a list of tags, or ``*``; weak comparison (the
    ``W/`` prefix is ignored) as RFC 7644 §3.14 uses weak tags.
    """
    if header is None:
        return False
    current = str(version)
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == current:
            return True
    return False


def schemas_of(doc: dict[str, Any], rt: ResourceType) -> list[str]:
    """The ``schemas`` array: the core schema and each extension present."""
    return [rt.schema.id, *(s.id for s in rt.extensions if s.id in doc)]


def resource(
    rt: ResourceType,
    doc: dict[str, Any],
    *,
    id: str,
    created: str,
    last_modified: str,
    version: int,
    base_url: str,
) -> dict[str, Any]:
    """The full representation of a stored resource (before projection)."""
    out: dict[str, Any] = {"schemas": schemas_of(doc, rt), "id": id}
    out.update(doc)
    for key in doc:  # an extension the tenant removed: kept, not served
        if key.startswith("urn:") and rt.schema_for(key) is None:
            del out[key]
    out["meta"] = {
        "resourceType": rt.id,
        "created": created,
        "lastModified": last_modified,
        "location": f"{base_url}{rt.endpoint}/{id}",
        "version": etag(version),
    }
    return out


def list_response(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2); the numbers are JSON numbers."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def member_refs(
    base_url: str, endpoints: dict[str, str], members: list[tuple[str, str, str | None]]
) -> list[dict[str, Any]]:
    """A Group's ``members`` (RFC 7643 §4.2) from ``(id, "User"|"Group",
    display)``: ``value``, ``$ref`` (the member's URI; ``endpoints`` maps a
    resource type to its endpoint), ``display`` when known, ``type``."""
    return [
        _reference(base_url, endpoints[kind], value, display, kind)
        for value, kind, display in members
    ]


def group_refs(
    base_url: str, endpoint: str, groups: list[tuple[str, str | None, bool]]
) -> list[dict[str, Any]]:
    """A User's read-only ``groups`` (RFC 7643 §4.1.2) from ``(id, display,
    direct)``: ``type`` is "direct" for a group the user is a member of,
    "indirect" for one it is in through nested groups."""
    return [
        _reference(base_url, endpoint, value, display, "direct" if direct else "indirect")
        for value, display, direct in groups
    ]


def _reference(
    base_url: str, endpoint: str, value: str, display: str | None, type: str
) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "$ref": f"{base_url}{endpoint}/{value}"}
    if display:
        out["display"] = display
    out["type"] = type
    return out
