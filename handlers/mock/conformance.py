"""The tenant's conformance report and behaviour profile (openapi/admin.yaml,
tag Mock; docs/mock.md): what its clients sent that RFC 7643/7644 do not
allow (core.conformance), and how its service provider behaves
(core.profile)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core.conformance import report
from scimdock.core.errors import InvalidValue
from scimdock.core.leniency import RULES
from scimdock.core.profile import PRESETS, ProfileError, parse_profile
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import body_of, ok
from scimdock.handlers.mock import state
from scimdock.handlers.runtime import current


async def get_conformance(tenant: str) -> Response:
    journal = state.journal()
    found = await auth.tenant(tenant)
    return ok({**report(journal.entries(found.id)), "rules": [r.view() for r in RULES.values()]})


async def _profile_view(tenant_id: int) -> dict[str, Any]:
    profile = await state.profile_of(current().store, tenant_id)
    return {**profile.view(), "presets": sorted(PRESETS)}


async def get_profile(tenant: str) -> Response:
    state.profiles()
    return ok(await _profile_view((await auth.tenant(tenant)).id))


async def put_profile(tenant: str, body: Any) -> Response:
    state.profiles()
    found = await auth.tenant(tenant)
    try:
        profile = parse_profile(body_of(body))
    except ProfileError as exc:
        raise InvalidValue(str(exc)) from None
    # A userName switch that would make two users one is 409 uniqueness.
    await state.set_profile(current().store, found.id, profile, auth.actor())
    return ok(await _profile_view(found.id))
