"""``POST /.search`` (RFC 7644 §3.4.3) and ``GET`` on the service root
(§3.4.2): one query over every resource type.

Each resource type whose schema knows the filter's attributes contributes
its matches, in the order of :data:`LISTINGS`; a type that does not know
them contributes nothing, and a filter no type knows is a 400. Paging runs
over the concatenation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.responses import Response

from scimdock.core import representation
from scimdock.core.errors import ScimError
from scimdock.core.query import ListQuery, build_query
from scimdock.handlers import groups, kinds, paging, resource_views, users
from scimdock.handlers.context import RequestContext
from scimdock.handlers.extensions import types_of
from scimdock.handlers.http import joined, scim

#: The resource types searched, in this order (handlers.kinds).
LISTINGS: tuple[kinds.Kind[Any, Any], ...] = (users.USERS, groups.GROUPS)


async def search_all(ctx: RequestContext, body: dict[str, Any]) -> Response:
    settings = ctx.settings
    tenant = ctx.tenant_required()
    cursor = body.get("cursor")
    paging.check_method(cursor, body.get("startIndex"))
    planned: list[tuple[kinds.Kind[Any, Any], ListQuery]] = []
    errors: list[ScimError] = []
    page = None
    types = await types_of(ctx, tenant)  # the tenant's, with its extensions
    for kind in LISTINGS:
        try:
            query, page = build_query(
                types[kind.rt.id],
                filter=body.get("filter"),
                sort_by=body.get("sortBy"),
                sort_order=body.get("sortOrder"),
                start_index=body.get("startIndex"),
                count=body.get("count"),
                max_results=settings.max_results,
                lenient=settings.lenient,
            )
        except ScimError as exc:
            errors.append(exc)
            continue
        planned.append((kind, query))
    if page is None:
        raise errors[0]
    attributes = joined(body.get("attributes"))
    excluded = joined(body.get("excludedAttributes"))
    if cursor is not None:  # RFC 9865: positions span the types in LISTINGS' order
        return scim(
            await paging.cursor_page(
                ctx,
                [
                    paging.Source(kind.rt, query, resource_views.page_of(kind, ctx))
                    for kind, query in planned
                ],
                tenant=tenant,
                endpoint="/",
                cursor=cursor,
                count=page.count,
                params=(body.get("filter"), body.get("sortBy"), body.get("sortOrder")),
                attributes=attributes,
                excluded=excluded,
            )
        )
    found: list[dict[str, Any]] = []
    total, offset, remaining = 0, page.offset, page.count
    for kind, query in planned:
        # One call per type: it counts the type's matches and returns the
        # slice of this page that falls in it (empty once offset passes it).
        count, page_part, _ = await resource_views.list_page(
            kind, ctx, tenant, replace(query, offset=offset, count=remaining), attributes, excluded
        )
        found += page_part
        remaining -= len(page_part)
        offset = max(0, offset - count)
        total += count
    return scim(representation.list_response(found, total, page.start_index))


async def query_all(
    ctx: RequestContext,
    filter: str | None = None,
    startIndex: int | None = None,
    count: int | None = None,
    sortBy: str | None = None,
    sortOrder: str | None = None,
    attributes: str | None = None,
    excludedAttributes: str | None = None,
    cursor: str | None = None,
) -> Response:
    """``GET`` on the service root: "a query against a server root indicates
    that all resources within the server SHALL be included, subject to
    filtering" (RFC 7644 §3.4.2); the same answer as :func:`search_all`."""
    return await search_all(
        ctx,
        {
            "filter": filter,
            "startIndex": startIndex,
            "count": count,
            "sortBy": sortBy,
            "sortOrder": sortOrder,
            "attributes": attributes,
            "excludedAttributes": excludedAttributes,
            "cursor": cursor,
        },
    )
