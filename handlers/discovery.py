"""Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes,
Schemas. They need no credential (RFC 7644 §4 lets a service provider
answer them without one). Without one they describe the server; with a
SCIM key's credential (checked as on any SCIM request) ``/ResourceTypes``
and ``/Schemas`` also show that key's tenant's extension schemas
(core.extensions, RFC 7643 §6, §7): a tenant's schemas are shown to its
own clients only."""

from __future__ import annotations

from collections.abc import Iterable

from connexion.exceptions import OAuthProblem
from starlette.responses import Response

from scimdock.core import credentials, discovery
from scimdock.core.errors import NotFound, Unauthorized
from scimdock.core.schema import RESOURCE_TYPES, ResourceType
from scimdock.handlers import security
from scimdock.handlers.extensions import types_of
from scimdock.handlers.http import base_url, header, scim
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


async def _types() -> Iterable[ResourceType]:
    """The resource types as the credential's tenant has them, if the
    request carries a credential (Bearer or Basic, the same Base64 pair);
    a credential that does not authenticate is a 401, as elsewhere."""
    authorization = header("authorization")
    if not authorization:
        return RESOURCE_TYPES.values()
    scheme, _, token = authorization.strip().partition(" ")
    pair = credentials.decode_token(token) if scheme.lower() in ("bearer", "basic") else None
    if pair is None:
        raise Unauthorized("Malformed credential: expected Base64 of '<key id>:<secret>'")
    try:
        info = await security.authenticate(pair[0], pair[1], header("host"))
    except OAuthProblem as exc:
        raise Unauthorized(str(exc.detail)) from None
    return (await types_of(int(info["tenant_id"]))).values()


async def list_resource_types() -> Response:
    return scim(discovery.resource_types(base_url(), await _types()))


async def get_resource_type(id: str) -> Response:
    for rt in await _types():
        if rt.id.lower() == id.lower():
            return scim(discovery.resource_type(rt, base_url()))
    raise NotFound(f"ResourceType {id} not found")


async def list_schemas() -> Response:
    return scim(discovery.schemas(base_url(), await _types()))


async def get_schema(id: str) -> Response:
    found = discovery.schema(id, base_url(), await _types())
    if found is None:
        raise NotFound(f"Schema {id} not found")
    return scim(found)
