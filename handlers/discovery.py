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
from scimdock.handlers.context import RequestContext
from scimdock.handlers.extensions import types_of
from scimdock.handlers.http import base_url, header, scim


async def get_service_provider_config(ctx: RequestContext) -> Response:
    settings = ctx.settings
    return scim(
        discovery.service_provider_config(
            base_url(ctx),
            max_results=settings.max_results,
            max_payload=settings.max_body,
            docs_url=settings.docs_url,
            cursor_timeout=settings.cursor_timeout,
        )
    )


async def _types(ctx: RequestContext) -> Iterable[ResourceType]:
    """The resource types as the credential's tenant has them, if the
    request carries a credential (Bearer or Basic, the same Base64 pair);
    a credential that does not authenticate is a 401, as elsewhere."""
    authorization = header(ctx, "authorization")
    if not authorization:
        return RESOURCE_TYPES.values()
    scheme, _, token = authorization.strip().partition(" ")
    pair = credentials.decode_token(token) if scheme.lower() in ("bearer", "basic") else None
    if pair is None:
        raise Unauthorized("Malformed credential: expected Base64 of '<key id>:<secret>'")
    try:
        info = await security.authenticate(ctx, pair[0], pair[1], header(ctx, "host"))
    except OAuthProblem as exc:
        raise Unauthorized(str(exc.detail)) from None
    return (await types_of(ctx, int(info["tenant_id"]))).values()


async def list_resource_types(ctx: RequestContext) -> Response:
    return scim(discovery.resource_types(base_url(ctx), await _types(ctx)))


async def get_resource_type(ctx: RequestContext, id: str) -> Response:
    for rt in await _types(ctx):
        if rt.id.lower() == id.lower():
            return scim(discovery.resource_type(rt, base_url(ctx)))
    raise NotFound(f"ResourceType {id} not found")


async def list_schemas(ctx: RequestContext) -> Response:
    return scim(discovery.schemas(base_url(ctx), await _types(ctx)))


async def get_schema(ctx: RequestContext, id: str) -> Response:
    found = discovery.schema(id, base_url(ctx), await _types(ctx))
    if found is None:
        raise NotFound(f"Schema {id} not found")
    return scim(found)
