"""The tenant's conformance report and behaviour profile (openapi/admin.yaml,
tag Mock; docs/mock.md): what its clients sent that RFC 7643/7644 do not
allow (scimdock.mock.rules.conformance), and how its service provider behaves
(scimdock.mock.rules.profile)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core.errors import InvalidValue
from scimdock.core.leniency import RULES
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import body_of, ok
from scimdock.handlers.context import RequestContext
from scimdock.mock.handlers import state
from scimdock.mock.rules.conformance import report
from scimdock.mock.rules.profile import PRESETS, ProfileError, parse_profile


async def get_conformance(ctx: RequestContext, tenant: str) -> Response:
    journal = state.journal()
    found = await auth.tenant(ctx, tenant)
    return ok({**report(journal.entries(found.id)), "rules": [r.view() for r in RULES.values()]})


async def _profile_view(ctx: RequestContext, tenant_id: int) -> dict[str, Any]:
    profile = await state.profile_of(ctx.store, tenant_id)
    return {**profile.view(), "presets": sorted(PRESETS)}


async def get_profile(ctx: RequestContext, tenant: str) -> Response:
    state.profiles()
    return ok(await _profile_view(ctx, (await auth.tenant(ctx, tenant)).id))


async def put_profile(ctx: RequestContext, tenant: str, body: Any) -> Response:
    state.profiles()
    found = await auth.tenant(ctx, tenant)
    try:
        profile = parse_profile(body_of(body))
    except ProfileError as exc:
        raise InvalidValue(str(exc)) from None
    # A userName switch that would make two users one is 409 uniqueness.
    await state.set_profile(ctx.store, found.id, profile, auth.actor(ctx))
    return ok(await _profile_view(ctx, found.id))
