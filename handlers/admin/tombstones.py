"""``/tenants/{tenant}/tombstones`` (openapi/admin.yaml, tag Tombstones):
users deleted through SCIM (RFC 7644 §3.6 hides them: 404) keep their
data until the operator restores or purges them. Purging is permanent and
is recorded in the audit log by the store."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core import clock
from scimdock.core.errors import NotFound
from scimdock.core.schema import USER
from scimdock.handlers.admin import auth, views
from scimdock.handlers.admin.respond import body_of, listing, no_content, ok
from scimdock.handlers.context import RequestContext
from scimdock.handlers.http import base_url
from scimdock.store.base import Tenant, Tombstone


async def _tombstone(ctx: RequestContext, tenant: Tenant, user_id: str) -> Tombstone:
    """Ids are unique per tenant: a live user of that id is no tombstone (404)."""
    found = await ctx.store.lookup_user(tenant.id, user_id=user_id)
    if not isinstance(found, Tombstone):
        raise NotFound(f"No deleted user {user_id!r} in tenant {tenant.name!r}")
    return found


async def list_tombstones(ctx: RequestContext, tenant: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    return ok(listing([views.tombstone(t) for t in await ctx.store.list_tombstones(found.id)]))


async def get_tombstone(ctx: RequestContext, tenant: str, id: str) -> Response:
    return ok(views.tombstone(await _tombstone(ctx, await auth.tenant(ctx, tenant), id), data=True))


async def restore_tombstone(ctx: RequestContext, tenant: str, id: str) -> Response:
    """Live again with the same id; 409 ``uniqueness`` if its userName was taken meanwhile."""
    found = await auth.tenant(ctx, tenant)
    record = await ctx.store.restore_user(found.id, id, actor=auth.actor(ctx))
    return ok(
        {
            **views.restored(record),
            "location": f"{base_url(ctx, found.name)}/{USER.endpoint.lstrip('/')}/{record.id}",
        }
    )


async def purge_tombstone(ctx: RequestContext, tenant: str, id: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    await ctx.store.purge_user(found.id, id, actor=auth.actor(ctx))
    return no_content()


async def purge_tombstones(ctx: RequestContext, tenant: str, body: Any) -> Response:
    found = await auth.tenant(ctx, tenant)
    cutoff = clock.shifted(ctx.clock.now(), -86400 * int(body_of(body)["olderThanDays"]))
    purged = await ctx.store.purge_tombstones(found.id, cutoff, actor=auth.actor(ctx))
    return ok({"totalPurged": len(purged), "purged": purged})
