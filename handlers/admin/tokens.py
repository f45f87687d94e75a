"""``/admin-tokens`` (openapi/admin.yaml, tag AdminTokens): the operator
creates, lists and revokes admin tokens. Like a SCIM key, a token's secret
exists in clear only in the response that creates it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core import credentials
from scimdock.core.errors import NotFound
from scimdock.handlers.admin import auth, views
from scimdock.handlers.admin.respond import body_of, created, listing, ok
from scimdock.handlers.context import RequestContext
from scimdock.store.base import AdminToken


async def _view(
    ctx: RequestContext, token: AdminToken, names: dict[int, str] | None = None
) -> dict[str, Any]:
    name = None
    if token.tenant_id is not None:
        if names is None:
            tenant = await ctx.store.get_tenant_by_id(token.tenant_id)
            name = tenant.name if tenant else None
        else:
            name = names.get(token.tenant_id)
    return views.admin_token(token, name)


async def _token(ctx: RequestContext, token_id: str) -> AdminToken:
    found = await ctx.store.get_admin_token(token_id)
    if found is None:
        raise NotFound(f"No admin token {token_id!r}")
    return found


async def list_admin_tokens(ctx: RequestContext, tenant: str | None = None) -> Response:
    store = ctx.store
    tenant_id = (await auth.tenant(ctx, tenant)).id if tenant is not None else None
    names = {t.id: t.name for t in await store.list_tenants()}
    return ok(
        listing([await _view(ctx, t, names) for t in await store.list_admin_tokens(tenant_id)])
    )


async def create_admin_token(ctx: RequestContext, body: Any) -> Response:
    actor = auth.actor(ctx)
    body = body_of(body)
    tenant_id = (
        (await auth.tenant(ctx, body["tenant"])).id if body.get("tenant") is not None else None
    )
    new = credentials.generate_admin(ctx.runtime.random, tenant_admin=tenant_id is not None)
    stored = await ctx.store.add_admin_token(
        new.key_id, new.secret_hash, tenant_id, body.get("label", ""), actor=actor
    )
    return created(
        {**(await _view(ctx, stored)), "token": new.token}, f"/admin-tokens/{stored.token_id}"
    )


async def get_admin_token(ctx: RequestContext, tokenId: str) -> Response:
    return ok(await _view(ctx, await _token(ctx, tokenId)))


async def revoke_admin_token(ctx: RequestContext, tokenId: str) -> Response:
    actor = auth.actor(ctx)
    token = await _token(ctx, tokenId)
    if token.revoked is None:
        token = await ctx.store.revoke_admin_token(token.token_id, actor=actor)
    return ok(await _view(ctx, token))
