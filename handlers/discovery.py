"""Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes,
Schemas. They describe the server, not a tenant, and need no credential."""

from __future__ import annotations

from starlette.responses import Response

from scimdock.core import discovery
from scimdock.core.errors import not_found
from scimdock.core.schema import RESOURCE_TYPES
from scimdock.handlers.http import base_url, scim
from scimdock.handlers.runtime import current


async def get_service_provider_config() -> Response:
    settings = current().settings
    return scim(
        discovery.service_provider_config(
            base_url(),
            max_results=settings.max_results,
            max_payload=settings.max_body,
            docs_url=settings.docs_url,
            cursor_timeout=settings.cursor_timeout,
        )
    )


async def list_resource_types() -> Response:
    return scim(discovery.resource_types(base_url()))


async def get_resource_type(id: str) -> Response:
    for rt in RESOURCE_TYPES.values():
        if rt.id.lower() == id.lower():
            return scim(discovery.resource_type(rt, base_url()))
    raise not_found(f"ResourceType {id} not found")


async def list_schemas() -> Response:
    return scim(discovery.schemas(base_url()))


async def get_schema(id: str) -> Response:
    found = discovery.schema(id, base_url())
    if found is None:
        raise not_found(f"Schema {id} not found")
    return scim(found)
