"""How the operations on a resource type's endpoint show resources: one
resource with its ``ETag`` (and, created, its ``Location``), and a page
of a list or search, each projected (RFC 7644 §3.4.2.5) from the
representation (core.representation) with what the kind derives.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.responses import Response

from scimdock.core import representation
from scimdock.core.projection import parse_attribute_list, project
from scimdock.core.query import ListQuery, Position
from scimdock.core.schema import ResourceType
from scimdock.handlers import paging
from scimdock.handlers.context import RequestContext
from scimdock.handlers.extensions import types_of
from scimdock.handlers.http import base_url, scim
from scimdock.handlers.kinds import Kind, R, with_members


async def list_page(
    kind: Kind[Any, Any],
    ctx: RequestContext,
    tenant: int,
    query: ListQuery,
    attributes: str | None,
    excluded: str | None,
) -> tuple[int, list[dict[str, Any]], list[Position | None]]:
    """``(totalResults, rendered page, positions)`` of a list or search, what
    the page needs read once for the whole page; the positions are ``None``
    but in a keyset query (RFC 9865 paging)."""
    members = with_members(kind, attributes, excluded)
    total, records = await ctx.store.search(tenant, kind.rt.id, query, with_members=members)
    rt = (await types_of(ctx, tenant))[kind.rt.id]
    derived: dict[str, Any] = {}
    if kind.derived is not None:
        derived = await kind.derived(ctx.store, tenant, records, rt, attributes, excluded)
    wanted, dropped = parse_attribute_list(attributes), parse_attribute_list(excluded)
    base = base_url(ctx)
    rendered = [
        project(shown_in_full(kind, r, derived.get(r.id), rt, base), rt, wanted, dropped)
        for r in records
    ]
    return total, rendered, [r.position for r in records]


def page_of(kind: Kind[Any, Any], ctx: RequestContext) -> paging.PageOf:
    """:func:`list_page` of ``kind``, as a cursor page reads it (handlers.paging)."""
    return functools.partial(list_page, kind, ctx)


async def one(
    ctx: RequestContext,
    kind: Kind[R, Any],
    record: R,
    status: int,
    attributes: str | None,
    excluded: str | None,
) -> Response:
    """One resource, projected (RFC 7644 §3.4.2.5), with its ``ETag``."""
    tenant = ctx.tenant_required()
    rt = (await types_of(ctx, tenant))[kind.rt.id]
    derived = None
    # A resource just created (201) has no derived value yet: nothing to read.
    if status != 201 and kind.derived is not None:
        found = await kind.derived(ctx.store, tenant, [record], rt, attributes, excluded)
        derived = found.get(record.id)
    full = shown_in_full(kind, record, derived, rt, base_url(ctx))
    body = project(full, rt, parse_attribute_list(attributes), parse_attribute_list(excluded))
    headers = {"ETag": representation.etag(record.version)}
    if status == 201:
        headers["Location"] = full["meta"]["location"]  # RFC 7644 §3.3, whatever the projection
    return scim(body, status, headers)


def shown_in_full(
    kind: Kind[R, Any], record: R, derived: Any, rt: ResourceType, base: str
) -> dict[str, Any]:
    """The representation before projection; ``rt``: the tenant's type;
    ``base``: the base URL (handlers.http.base_url)."""
    return representation.resource(
        rt,
        kind.shown(record, derived, base),
        id=record.id,
        created=record.created,
        last_modified=record.last_modified,
        version=record.version,
        base_url=base,
    )
