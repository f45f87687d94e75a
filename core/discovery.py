"""Discovery resources (RFC 7644 §4; RFC 7643 §5, §6, §7), generated from
:mod:`core.schema` so they always say what the server really does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scimdock.core.bulk import MAX_OPERATIONS
from scimdock.core.representation import list_response
from scimdock.core.schema import RESOURCE_TYPES, ResourceType, Schema

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RT_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def service_provider_config(
    base_url: str,
    *,
    max_results: int,
    docs_url: str,
    max_payload: int = 0,
    cursor_timeout: int = 3600,
) -> dict[str, Any]:
    """RFC 7643 §5. changePassword is not offered; Bulk (RFC 7644 §3.7,
    core.bulk), sort, filter, PATCH and ETags are. ``max_payload``, the largest request body the
    server reads, is the only payload limit SCIM has a field for
    (``bulk.maxPayloadSize``); it holds for every request. ``pagination``
    (RFC 9865 §4): index and cursor paging, index by default (§2.4), pages
    of at most ``max_results``, cursors valid ``cursor_timeout`` seconds."""
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": docs_url,
        "patch": {"supported": True},
        "bulk": {
            "supported": True,
            "maxOperations": MAX_OPERATIONS,
            "maxPayloadSize": max_payload,
        },
        "filter": {"supported": True, "maxResults": max_results},
        "pagination": {
            "cursor": True,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": max_results,
            "maxPageSize": max_results,
            "cursorTimeout": cursor_timeout,
        },
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "Authorization: Bearer <Base64 of key id:secret>",
                "primary": True,
            },
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": "The key id as user name and the secret as password.",
                "specUri": "https://www.rfc-editor.org/rfc/rfc7617",
            },
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}/ServiceProviderConfig",
        },
    }


def resource_type(rt: ResourceType, base_url: str) -> dict[str, Any]:
    """RFC 7643 §6."""
    return {
        "schemas": [RT_SCHEMA],
        "id": rt.id,
        "name": rt.id,
        "description": rt.description,
        "endpoint": rt.endpoint,
        "schema": rt.schema.id,
        "schemaExtensions": [
            {"schema": s.id, "required": s.id in rt.required_extensions} for s in rt.extensions
        ],
        "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{rt.id}"},
    }


def resource_types(
    base_url: str, types: Iterable[ResourceType] = RESOURCE_TYPES.values()
) -> dict[str, Any]:
    """``types``: the resource types as the tenant asking has them
    (core.extensions); by default the server's own."""
    items = [resource_type(rt, base_url) for rt in types]
    return list_response(items, len(items), 1)


def _schemas(types: Iterable[ResourceType]) -> list[Schema]:
    """Every schema of ``types``, each once, in resource type order."""
    out: dict[str, Schema] = {}
    for rt in types:
        for s in rt.schemas:
            out.setdefault(s.id, s)
    return list(out.values())


def schema(
    schema_id: str, base_url: str, types: Iterable[ResourceType] = RESOURCE_TYPES.values()
) -> dict[str, Any] | None:
    """RFC 7643 §7: one schema by URN (case-insensitive), or ``None``."""
    for s in _schemas(types):
        if s.id.lower() == schema_id.lower():
            return s.to_dict(f"{base_url}/Schemas/{s.id}")
    return None


def schemas(
    base_url: str, types: Iterable[ResourceType] = RESOURCE_TYPES.values()
) -> dict[str, Any]:
    items = [s.to_dict(f"{base_url}/Schemas/{s.id}") for s in _schemas(types)]
    return list_response(items, len(items), 1)
