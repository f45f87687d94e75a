"""``/tenants`` (openapi/admin.yaml, tag Tenants): the operator creates,
lists, switches and deletes tenants; a tenant admin reads its own."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core.errors import Conflict, InvalidValue, NotFound, Uniqueness
from scimdock.core.tenants import check_name
from scimdock.handlers.admin import auth, views
from scimdock.handlers.admin.respond import body_of, created, listing, no_content, ok
from scimdock.handlers.context import RequestContext


async def list_tenants(ctx: RequestContext) -> Response:
    return ok(listing([views.tenant(t) for t in await ctx.store.list_tenants()]))


async def create_tenant(ctx: RequestContext, body: Any) -> Response:
    actor = auth.actor(ctx)
    body = body_of(body)
    store = ctx.store
    try:
        tenant = await store.create_tenant(check_name(body["name"]), actor=actor)
    except ValueError as exc:
        if await store.get_tenant(body["name"]) is not None:
            raise Uniqueness(f"A tenant named {body['name']!r} already exists") from None
        raise InvalidValue(str(exc)) from None
    if body.get("scimEnabled"):
        tenant = await store.set_scim_enabled(tenant.name, True, actor=actor)
    return created(views.tenant(tenant), f"/tenants/{tenant.name}")


async def get_tenant(ctx: RequestContext, tenant: str) -> Response:
    return ok(views.tenant(await auth.tenant(ctx, tenant)))


async def update_tenant(ctx: RequestContext, tenant: str, body: Any) -> Response:
    """Switching SCIM off refuses the tenant's SCIM calls from the next
    request on and deletes nothing (the product rule: activation is an
    operator action)."""
    found = await auth.tenant(ctx, tenant)
    updated = await ctx.store.set_scim_enabled(
        found.name, bool(body_of(body)["scimEnabled"]), actor=auth.actor(ctx)
    )
    return ok(views.tenant(updated))


async def delete_tenant(ctx: RequestContext, tenant: str, force: bool = False) -> Response:
    found = await auth.tenant(ctx, tenant)
    try:
        await ctx.store.delete_tenant(found.name, force=force, actor=auth.actor(ctx))
    except KeyError:
        raise NotFound(f"No tenant named {tenant!r}") from None
    except ValueError:
        raise Conflict(
            f"Tenant {tenant!r} still holds users or groups (live or deleted);"
            " repeat with force=true to delete them all, permanently",
        ) from None
    return no_content()
