"""The audit logs (openapi/admin.yaml, tag Audit): a tenant's, readable by
the operator and that tenant's admin, and the operator's own (changes that
belong to no tenant). Append-only, oldest first, one page at a time."""

from __future__ import annotations

from starlette.responses import Response

from scimdock.handlers.admin import auth, times, views
from scimdock.handlers.admin.respond import ok
from scimdock.handlers.context import RequestContext
from scimdock.store.base import OPERATOR_LOG


async def _page(
    ctx: RequestContext,
    log: int,
    start_index: int,
    count: int,
    since: str | None,
    until: str | None,
) -> Response:
    start = times.parse(since, "since") if since is not None else None
    end = times.parse(until, "until") if until is not None else None
    total, page = await ctx.store.audit_log(
        log, since=start, until=end, offset=start_index - 1, count=count
    )
    return ok(
        {
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": len(page),
            "Resources": [views.audit_entry(e) for e in page],
        }
    )


async def get_audit_log(
    ctx: RequestContext,
    tenant: str,
    startIndex: int = 1,
    count: int = 100,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    return await _page(ctx, (await auth.tenant(ctx, tenant)).id, startIndex, count, since, until)


async def get_operator_audit_log(
    ctx: RequestContext,
    startIndex: int = 1,
    count: int = 100,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    return await _page(ctx, OPERATOR_LOG, startIndex, count, since, until)
