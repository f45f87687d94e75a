"""``POST /.search`` (RFC 7644 §3.4.3): one query over every resource type.

Each resource type whose schema knows the filter's attributes contributes
its matches, in the order of :data:`LISTINGS`; a type that does not know
them contributes nothing, and a filter no type knows is a 400. Paging runs
over the concatenation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from starlette.responses import Response

from core import representation
from core.errors import ScimError
from core.query import ListQuery, build_query
from core.schema import USER, ResourceType
from handlers import users
from handlers.http import scim, tenant_id
from handlers.runtime import current


@dataclass(frozen=True)
class Listing:
    """How to list and render one resource type."""

    rt: ResourceType
    list: Callable[[int, ListQuery], tuple[int, list[Any]]]
    render: Callable[[Any, str | None, str | None], dict[str, Any]]


LISTINGS: tuple[Listing, ...] = (
    Listing(USER, lambda tenant, q: current().store.list_users(tenant, q), users.render),
)


async def search_all(body: dict[str, Any]) -> Response:
    settings = current().settings
    tenant = tenant_id()
    planned: list[tuple[Listing, ListQuery]] = []
    errors: list[ScimError] = []
    page = None
    for listing in LISTINGS:
        try:
            query, page = build_query(
                listing.rt, filter=body.get("filter"), sort_by=body.get("sortBy"),
                sort_order=body.get("sortOrder"), start_index=body.get("startIndex"),
                count=body.get("count"), max_results=settings.max_results,
                lenient=settings.lenient)
        except ScimError as exc:
            errors.append(exc)
            continue
        planned.append((listing, query))
    if page is None:
        raise errors[0]
    attributes = users.joined(body.get("attributes"))
    excluded = users.joined(body.get("excludedAttributes"))
    resources: list[dict[str, Any]] = []
    total, offset, remaining = 0, page.offset, page.count
    for listing, query in planned:
        count, _ = listing.list(tenant, replace(query, count=0))
        if remaining > 0 and offset < count:
            _, records = listing.list(tenant, replace(query, offset=offset, count=remaining))
            resources += [listing.render(r, attributes, excluded) for r in records]
            remaining -= len(records)
        offset = max(0, offset - count)
        total += count
    return scim(representation.list_response(resources, total, page.start_index))
