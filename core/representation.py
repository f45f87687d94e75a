"""Building the SCIM JSON a client sees from a stored document.

RFC 7643 §3.1: ``id`` and ``meta`` are assigned by the service provider;
``meta.version`` is a weak entity tag (RFC 7644 §3.14) that changes on every
modification.
"""

from __future__ import annotations

from typing import Any

from core.schema import LIST_RESPONSE, ResourceType


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
