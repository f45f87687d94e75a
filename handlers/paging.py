"""Cursor-based paging (RFC 9865) of ``GET /Users``, ``GET /Groups``, their
``/.search`` and the service root's search: one page of one or more
resource types, in order, resumed after the position a cursor names.

Index paging (``startIndex``, RFC 7644 §3.4.2.4) stays the default
(RFC 9865 §2.4); a request with a ``cursor`` parameter, even an empty one,
asks for cursor paging.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from scimdock.core import cursor as cursors
from scimdock.core.clock import instant
from scimdock.core.errors import InvalidCursor, InvalidValue
from scimdock.core.query import ListQuery, Position
from scimdock.core.schema import LIST_RESPONSE, ResourceType
from scimdock.handlers.context import RequestContext

#: ``(tenant, query, attributes, excludedAttributes)`` → ``(totalResults,
#: rendered page, each row's position)``: :func:`handlers.resource_views.list_page` of a kind.
PageOf = Callable[
    [int, ListQuery, str | None, str | None],
    Awaitable[tuple[int, list[dict[str, Any]], list[Position | None]]],
]


@dataclass(frozen=True)
class Source:
    """One resource type of a listing, its resolved query and its page reader."""

    rt: ResourceType
    query: ListQuery
    page: PageOf


def check_method(cursor: str | None, start_index: int | None) -> None:
    """A request names one paging method (RFC 9865 §2.4): ``startIndex``
    with ``cursor`` is a 400 ``invalidValue``."""
    if cursor is not None and start_index is not None:
        raise InvalidValue(
            "Use either startIndex (index paging) or cursor (cursor paging), not both",
        )


async def cursor_page(
    ctx: RequestContext,
    sources: list[Source],
    *,
    tenant: int,
    endpoint: str,
    cursor: str,
    count: int,
    params: tuple[str | None, str | None, str | None],
    attributes: str | None,
    excluded: str | None,
) -> dict[str, Any]:
    """The ListResponse of one cursor page (RFC 9865 §2): at most ``count``
    resources after the cursor's position (from the first when ``cursor``
    is empty), ``nextCursor`` unless this is the last page, and
    ``totalResults`` counting every match (RFC 9865 §2, RFC 7644 §3.4.1).
    ``params`` are the filter, ``sortBy`` and ``sortOrder`` a cursor is
    bound to with the tenant and endpoint. ``previousCursor`` is OPTIONAL
    and not given."""
    key, timeout = ctx.settings.cursor_key, ctx.settings.cursor_timeout
    now = int(instant(ctx.clock.now()).timestamp())
    filter, sort_by, sort_order = params
    bound = cursors.scope(
        tenant,
        endpoint,
        filter.strip() if filter and filter.strip() else None,
        sort_by or None,
        (sort_order or "ascending").lower(),
    )
    start = None
    if cursor:
        start = cursors.read(cursor, key=key, bound=bound, now=now, timeout=timeout)
    order = [s.rt.id for s in sources]
    if start is not None and start.rt not in order:
        raise InvalidCursor("Invalid cursor for this endpoint")
    first = 0 if start is None else order.index(start.rt)
    total = 0
    rows: list[tuple[str, dict[str, Any], Position | None]] = []
    for i, source in enumerate(sources):
        # One more row than the page holds tells whether another page follows.
        need = 0 if i < first else count + 1 - len(rows)
        after = start.position if start is not None and i == first else None
        query = replace(source.query, keyset=True, after=after, offset=0, count=max(need, 0))
        matched, page, positions = await source.page(tenant, query, attributes, excluded)
        total += matched
        rows += [(source.rt.id, r, p) for r, p in zip(page, positions, strict=True)]
    kept = rows[:count]
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": len(kept),
    }
    if len(rows) > count:
        if kept:
            rt, _resource, position = kept[-1]
            nxt = cursors.Cursor(rt, position, now)
        else:  # count=0: the next page starts where this one would have
            nxt = cursors.Cursor(order[first], None if start is None else start.position, now)
        body["nextCursor"] = cursors.issue(nxt, key=key, bound=bound)
    body["Resources"] = [resource for _rt, resource, _p in kept]
    return body
