"""``/tenants/{tenant}/keys`` (openapi/admin.yaml, tag Keys): the tenant's
self-service SCIM credentials. A secret exists in clear only in the
response that creates it; the store keeps its SHA-256
(:mod:`core.credentials`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core import clock, credentials
from scimdock.core.errors import Conflict, InvalidValue, NotFound
from scimdock.handlers.admin import auth, times, views
from scimdock.handlers.admin.respond import body_of, created, listing, ok
from scimdock.handlers.context import RequestContext
from scimdock.store.base import ApiKey, Tenant


async def _key(ctx: RequestContext, tenant: Tenant, key_id: str) -> ApiKey:
    """The key if it is this tenant's, else 404 (another tenant's key does not exist here)."""
    key = await ctx.store.get_key(key_id)
    if key is None or key.tenant_id != tenant.id:
        raise NotFound(f"No key {key_id!r} in tenant {tenant.name!r}")
    return key


def _future(ctx: RequestContext, text: str) -> str:
    """RFC 3339 here (the document says ``date-time``), then the rule the CLI shares."""
    try:
        return credentials.future_expiry(times.parse(text, "expires"), ctx.clock.now())
    except ValueError as exc:
        raise InvalidValue(f"expires: {exc}") from None


def _with_secret(ctx: RequestContext, key: ApiKey, secret: str) -> dict[str, Any]:
    return {
        **views.key(key, ctx.clock.now()),
        "secret": secret,
        "token": credentials.encode_token(key.key_id, secret),
    }


async def list_keys(ctx: RequestContext, tenant: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    now = ctx.clock.now()
    return ok(listing([views.key(k, now) for k in await ctx.store.list_keys(found.id)]))


async def create_key(ctx: RequestContext, tenant: str, body: Any = None) -> Response:
    found = await auth.tenant(ctx, tenant)
    body = body_of(body)
    expires = _future(ctx, body["expires"]) if body.get("expires") is not None else None
    new = credentials.generate(ctx.runtime.random)
    key = await ctx.store.add_key(
        found.id,
        new.key_id,
        new.secret_hash,
        body.get("label", ""),
        expires=expires,
        actor=auth.actor(ctx),
    )
    return created(_with_secret(ctx, key, new.secret), f"/tenants/{found.name}/keys/{key.key_id}")


async def get_key(ctx: RequestContext, tenant: str, keyId: str) -> Response:
    return ok(views.key(await _key(ctx, await auth.tenant(ctx, tenant), keyId), ctx.clock.now()))


async def update_key(ctx: RequestContext, tenant: str, keyId: str, body: Any) -> Response:
    key = await _key(ctx, await auth.tenant(ctx, tenant), keyId)
    body = body_of(body)
    clear = "expires" in body and body["expires"] is None
    expires = _future(ctx, body["expires"]) if body.get("expires") is not None else None
    updated = await ctx.store.update_key(
        key.key_id,
        label=body.get("label"),
        expires=expires,
        clear_expiry=clear,
        actor=auth.actor(ctx),
    )
    return ok(views.key(updated, ctx.clock.now()))


async def revoke_key(ctx: RequestContext, tenant: str, keyId: str) -> Response:
    """Refused by the SCIM API from the next request on; a revoked key is
    left as it is (no second audit line)."""
    key = await _key(ctx, await auth.tenant(ctx, tenant), keyId)
    if key.revoked is None:
        key = await ctx.store.revoke_key(key.key_id, actor=auth.actor(ctx))
    return ok(views.key(key, ctx.clock.now()))


async def rotate_key(ctx: RequestContext, tenant: str, keyId: str, body: Any = None) -> Response:
    """A new secret for the same key id; the old one stays valid for
    ``graceSeconds`` (0: refused from the next request on)."""
    key = await _key(ctx, await auth.tenant(ctx, tenant), keyId)
    grace = int(body_of(body).get("graceSeconds") or 0)
    runtime = ctx.runtime
    grace_until = clock.shifted(runtime.clock.now(), grace) if grace > 0 else None
    new = credentials.generate(runtime.random)
    try:
        rotated = await ctx.store.rotate_key(
            key.key_id, new.secret_hash, grace_until, actor=auth.actor(ctx)
        )
    except ValueError:  # revoked: a revocation is final
        raise Conflict(f"Key {keyId!r} is revoked; generate a new key instead") from None
    return ok(_with_secret(ctx, rotated, new.secret))
