"""The operations on a resource type's endpoint (RFC 7644 §3.3–§3.6),
written once for every type (a :class:`~scimdock.handlers.kinds.Kind`):
create, get, list and search, replace, patch, delete. Each translates HTTP
to core and store calls and back, and decides nothing itself: the writes
are in handlers.resource_writes (Bulk performs them too), the showing of
resources in handlers.resource_views. handlers/users.py and
handlers/groups.py bind each operationId to a function of this module;
Connexion passes the query parameters by the names of these signatures.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from scimdock.core import representation
from scimdock.core.query import build_query
from scimdock.handlers import paging
from scimdock.handlers.context import RequestContext
from scimdock.handlers.extensions import types_of
from scimdock.handlers.http import empty, header, scim, search_params
from scimdock.handlers.kinds import Kind, with_members
from scimdock.handlers.resource_views import list_page, one, page_of
from scimdock.handlers.resource_writes import create_record, delete_record, update_record

# --- the operations, bound to an operationId by handlers/users.py, groups.py --


async def create(
    kind: Kind[Any, Any],
    ctx: RequestContext,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    """RFC 7644 §3.3: 201 with the resource and its ``Location``."""
    members = with_members(kind, attributes, excludedAttributes)
    record = await create_record(ctx, kind, body, members)
    return await one(ctx, kind, record, 201, attributes, excludedAttributes)


async def get(
    kind: Kind[Any, Any],
    ctx: RequestContext,
    id: str,
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    """RFC 7644 §3.4.1; 304 when ``If-None-Match`` names its version (§3.14)."""
    members = with_members(kind, attributes, excludedAttributes)
    tenant = ctx.tenant_required()
    record = await ctx.store.get(tenant, kind.rt.id, id, with_members=members)
    if representation.etag_matches(header(ctx, "If-None-Match"), record.version):
        return empty(304, {"ETag": representation.etag(record.version)})
    return await one(ctx, kind, record, 200, attributes, excludedAttributes)


async def list_resources(
    kind: Kind[Any, Any],
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
    """RFC 7644 §3.4.2: index paging, or with ``cursor`` RFC 9865's."""
    settings, tenant = ctx.settings, ctx.tenant_required()
    paging.check_method(cursor, startIndex)
    query, page = build_query(
        (await types_of(ctx, tenant))[kind.rt.id],
        filter=filter,
        sort_by=sortBy,
        sort_order=sortOrder,
        start_index=startIndex,
        count=count,
        max_results=settings.max_results,
        lenient=settings.lenient,
    )
    if cursor is not None:  # RFC 9865
        return scim(
            await paging.cursor_page(
                ctx,
                [paging.Source(kind.rt, query, page_of(kind, ctx))],
                tenant=tenant,
                endpoint=kind.rt.endpoint,
                cursor=cursor,
                count=page.count,
                params=(filter, sortBy, sortOrder),
                attributes=attributes,
                excluded=excludedAttributes,
            )
        )
    total, resources, _ = await list_page(kind, ctx, tenant, query, attributes, excludedAttributes)
    return scim(representation.list_response(resources, total, page.start_index))


async def search(kind: Kind[Any, Any], ctx: RequestContext, body: dict[str, Any]) -> Response:
    """``POST /<endpoint>/.search`` (RFC 7644 §3.4.3): the query in a body."""
    return await list_resources(kind, ctx, **search_params(body))


async def modify(
    operation: str,
    kind: Kind[Any, Any],
    ctx: RequestContext,
    id: str,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    """PUT (``operation`` ``replace``, RFC 7644 §3.5.1): 200 with the
    resource. PATCH (``patch``, §3.5.2), which allows 200 with the resource
    or 204: the kind's default (or 200 when the request names
    ``attributes`` or ``excludedAttributes``), unless a mock's profile
    says (scimdock.mock.rules.profile)."""
    if operation == "replace":
        projected, value = True, body
    else:
        projected = (
            kind.patch_answers_resource or attributes is not None or excludedAttributes is not None
        )
        profile = ctx.profile
        if profile is not None and profile.patchResponse != "default":
            projected = profile.patchResponse == "resource"
        value = body["Operations"]
    members = projected and with_members(kind, attributes, excludedAttributes)
    if_match = header(ctx, "If-Match")
    record = await update_record(operation, ctx, kind, id, value, if_match, members)
    if not projected:
        return empty(204, {"ETag": representation.etag(record.version)})
    return await one(ctx, kind, record, 200, attributes, excludedAttributes)


#: RFC 7644 §3.5.1.
replace = functools.partial(modify, "replace")
#: RFC 7644 §3.5.2.
patch = functools.partial(modify, "patch")


async def delete(kind: Kind[Any, Any], ctx: RequestContext, id: str) -> Response:
    """RFC 7644 §3.6: 204."""
    await delete_record(ctx, kind, id, header(ctx, "If-Match"))
    return empty(204)


#: What :func:`operations` binds, in this order.
OPERATIONS = (create, get, list_resources, search, replace, patch, delete)


def operations(kind: Kind[Any, Any]) -> tuple[Callable[..., Awaitable[Response]], ...]:
    """Each of :data:`OPERATIONS` on ``kind``: the handlers of its
    operationIds, whose signatures (without ``kind``) are what Connexion
    reads to pass parameters by name."""
    return tuple(functools.partial(operation, kind) for operation in OPERATIONS)
