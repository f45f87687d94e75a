"""A tenant's fault rules (openapi/admin.yaml, tag Mock; scimdock.mock.rules.faultrules)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core.errors import InvalidValue
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import body_of, listing, no_content, ok
from scimdock.handlers.context import RequestContext
from scimdock.mock.handlers import state
from scimdock.mock.rules.faultrules import MAX_RULES, RuleError, parse_rule, parse_rules


async def _tenant_id(ctx: RequestContext, tenant: str) -> int:
    state.faults()  # 404 when off
    return (await auth.tenant(ctx, tenant)).id


def _listing(tenant_id: int) -> Response:
    return ok(listing([r.view() for r in state.faults().rules(tenant_id)]))


async def list_faults(ctx: RequestContext, tenant: str) -> Response:
    return _listing(await _tenant_id(ctx, tenant))


async def replace_faults(ctx: RequestContext, tenant: str, body: Any) -> Response:
    tenant_id = await _tenant_id(ctx, tenant)
    try:
        rules = parse_rules(body_of(body).get("rules"))
    except RuleError as exc:
        raise InvalidValue(str(exc)) from None
    state.faults().replace(tenant_id, rules)
    return _listing(tenant_id)


async def add_fault(ctx: RequestContext, tenant: str, body: Any) -> Response:
    tenant_id = await _tenant_id(ctx, tenant)
    book = state.faults()
    if len(book.rules(tenant_id)) >= MAX_RULES:
        raise InvalidValue(f"A tenant holds at most {MAX_RULES} fault rules")
    try:
        book.add(tenant_id, parse_rule(body_of(body)))
    except RuleError as exc:
        raise InvalidValue(str(exc)) from None
    return _listing(tenant_id)


async def clear_faults(ctx: RequestContext, tenant: str) -> Response:
    state.faults().clear(await _tenant_id(ctx, tenant))
    return no_content()


def _scenarios(tenant_id: int) -> Response:
    return ok({"scenarios": state.faults().scenarios(tenant_id)})


async def list_scenarios(ctx: RequestContext, tenant: str) -> Response:
    return _scenarios(await _tenant_id(ctx, tenant))


async def reset_scenarios(ctx: RequestContext, tenant: str) -> Response:
    state.faults().reset_scenarios(await _tenant_id(ctx, tenant))
    return no_content()


async def set_scenario(ctx: RequestContext, tenant: str, scenario: str, body: Any) -> Response:
    tenant_id = await _tenant_id(ctx, tenant)
    state.faults().set_scenario(tenant_id, scenario, str(body_of(body)["state"]))
    return _scenarios(tenant_id)
