"""The sign-in check and the credential test (openapi/admin.yaml, tag Access).

Both only read: no audit line, no last-use of a key is recorded.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core import credentials
from scimdock.handlers.admin import auth, views
from scimdock.handlers.admin.respond import body_of, ok
from scimdock.handlers.context import RequestContext
from scimdock.handlers.security import secret_matches
from scimdock.store.base import Tenant

_DUMMY_HASH = credentials.hash_secret("not-a-real-secret")


async def _credential_verdict(ctx: RequestContext, tenant: Tenant, token: str) -> dict[str, Any]:
    verdict: dict[str, Any] = {"valid": False, "scimEnabled": tenant.scim_enabled, "keyId": None}
    pair = credentials.decode_token(token)
    if pair is None:
        return {**verdict, "reason": "malformed"}
    key = await ctx.store.get_key(pair[0])
    if key is None or key.tenant_id != tenant.id:
        credentials.verify(pair[1], _DUMMY_HASH)  # the same work as for a key of this tenant
        return {**verdict, "reason": "invalid"}
    clock = ctx.clock
    if not secret_matches(pair[1], key, clock):
        return {**verdict, "reason": "invalid"}
    verdict["keyId"] = key.key_id
    status = credentials.key_status(key.revoked, key.expires, clock.now())
    if status != "active":
        return {**verdict, "reason": status}
    if not tenant.scim_enabled:
        return {**verdict, "reason": "scimDisabled"}
    return {**verdict, "valid": True, "reason": "ok"}


async def test_credentials(ctx: RequestContext, tenant: str, body: Any) -> Response:
    """The "Test API Credentials" button: the SCIM API's verdict on a
    token, without using it."""
    return ok(
        await _credential_verdict(ctx, await auth.tenant(ctx, tenant), body_of(body)["token"])
    )


async def get_user_access(ctx: RequestContext, tenant: str, id: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    return ok(views.user_access(found, await ctx.store.lookup_user(found.id, user_id=id)))


async def get_user_access_by_user_name(ctx: RequestContext, tenant: str, userName: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    found_user = await ctx.store.lookup_user(found.id, user_name=userName)
    return ok(views.user_access(found, found_user))
