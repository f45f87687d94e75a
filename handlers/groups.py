"""``/Groups`` operations (RFC 7644 §3.3–§3.6 on RFC 7643 §4.2 Groups).
Each function is the operationId of openapi/scim.yaml in snake case; it
translates HTTP to core and store calls and back, and decides nothing
itself: membership planning is :mod:`core.membership`, whether members are
read at all is :func:`core.projection.returns_attribute`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core import representation
from scimdock.core.extensions import keep_unregistered
from scimdock.core.membership import GroupChange, plan_create, plan_patch, plan_replace
from scimdock.core.projection import parse_attribute_list, project, returns_attribute
from scimdock.core.query import ListQuery, Position, build_query
from scimdock.core.schema import GROUP, RESOURCE_TYPES, ResourceType
from scimdock.handlers import paging
from scimdock.handlers.extensions import fold_operations, fold_resource, group_type
from scimdock.handlers.http import actor, base_url, empty, header, scim, search_params, tenant_id
from scimdock.handlers.runtime import current
from scimdock.store.base import GroupRecord

_ENDPOINTS = {name: rt.endpoint for name, rt in RESOURCE_TYPES.items()}


def wants_members(attributes: str | None, excluded: str | None) -> bool:
    """Whether the response shows ``members`` (else they are never read)."""
    return returns_attribute(
        GROUP, parse_attribute_list(attributes), parse_attribute_list(excluded), "members"
    )


def render(
    record: GroupRecord,
    attributes: str | None = None,
    excluded: str | None = None,
    rt: ResourceType = GROUP,
) -> dict[str, Any]:
    """The representation of a stored group, projected (RFC 7644 §3.4.2.5);
    ``rt``: the tenant's Group type (handlers.extensions)."""
    doc = record.doc
    if record.members:
        base = base_url()
        doc = {
            **doc,
            "members": representation.member_refs(
                base, _ENDPOINTS, [(m.id, m.type, m.display) for m in record.members]
            ),
        }
    full = representation.resource(
        rt,
        doc,
        id=record.id,
        created=record.created,
        last_modified=record.last_modified,
        version=record.version,
        base_url=base_url(),
    )
    return project(full, rt, parse_attribute_list(attributes), parse_attribute_list(excluded))


async def list_page(
    tenant: int, query: ListQuery, attributes: str | None, excluded: str | None
) -> tuple[int, list[dict[str, Any]], list[Position | None]]:
    """``(totalResults, rendered page, positions)``; members of the page in
    one read; the positions are ``None`` but in a keyset query (RFC 9865)."""
    total, records = await current().store.list_groups(
        tenant, query, with_members=wants_members(attributes, excluded)
    )
    rt = await group_type(tenant)
    rendered = [render(r, attributes, excluded, rt) for r in records]
    return total, rendered, [r.position for r in records]


async def _one(
    record: GroupRecord,
    status: int = 200,
    attributes: str | None = None,
    excluded: str | None = None,
) -> Response:
    body = render(record, attributes, excluded, await group_type(tenant_id()))
    headers = {"ETag": representation.etag(record.version)}
    if status == 201:  # RFC 7644 §3.3, whatever the projection
        headers["Location"] = f"{base_url()}{GROUP.endpoint}/{record.id}"
    return scim(body, status, headers)


async def create_group(
    body: dict[str, Any], attributes: str | None = None, excludedAttributes: str | None = None
) -> Response:
    record = await create(body, wants_members(attributes, excludedAttributes))
    return await _one(record, 201, attributes, excludedAttributes)


async def get_group(
    id: str, attributes: str | None = None, excludedAttributes: str | None = None
) -> Response:
    record = await current().store.get_group(
        tenant_id(), id, with_members=wants_members(attributes, excludedAttributes)
    )
    if representation.etag_matches(header("If-None-Match"), record.version):
        return empty(304, {"ETag": representation.etag(record.version)})
    return await _one(record, 200, attributes, excludedAttributes)


async def list_groups(
    filter: str | None = None,
    startIndex: int | None = None,
    count: int | None = None,
    sortBy: str | None = None,
    sortOrder: str | None = None,
    attributes: str | None = None,
    excludedAttributes: str | None = None,
    cursor: str | None = None,
) -> Response:
    runtime = current()
    paging.check_method(cursor, startIndex)
    query, page = build_query(
        await group_type(tenant_id()),
        filter=filter,
        sort_by=sortBy,
        sort_order=sortOrder,
        start_index=startIndex,
        count=count,
        max_results=runtime.settings.max_results,
        lenient=runtime.settings.lenient,
    )
    if cursor is not None:  # RFC 9865
        return scim(
            await paging.cursor_page(
                [paging.Source(GROUP, query, list_page)],
                tenant=tenant_id(),
                endpoint=GROUP.endpoint,
                cursor=cursor,
                count=page.count,
                params=(filter, sortBy, sortOrder),
                attributes=attributes,
                excluded=excludedAttributes,
            )
        )
    total, resources, _ = await list_page(tenant_id(), query, attributes, excludedAttributes)
    return scim(representation.list_response(resources, total, page.start_index))


async def search_groups(body: dict[str, Any]) -> Response:
    """``POST /Groups/.search`` (RFC 7644 §3.4.3): the query in a body."""
    return await list_groups(**search_params(body))


async def replace_group(
    id: str,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    with_members = wants_members(attributes, excludedAttributes)
    record = await replace(id, body, header("If-Match"), with_members)
    return await _one(record, 200, attributes, excludedAttributes)


async def patch_group(
    id: str,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    """204 No Content, or 200 with the group when the request names
    ``attributes``/``excludedAttributes`` (RFC 7644 §3.5.2 allows both)."""
    projected = attributes is not None or excludedAttributes is not None
    profile = current().profile  # a mock's (core.profile)
    if profile is not None and profile.patchResponse != "default":
        projected = profile.patchResponse == "resource"
    with_members = projected and wants_members(attributes, excludedAttributes)
    record = await patch(id, body["Operations"], header("If-Match"), with_members)
    if not projected:
        return empty(204, {"ETag": representation.etag(record.version)})
    return await _one(record, 200, attributes, excludedAttributes)


async def delete_group(id: str) -> Response:
    await delete(id, header("If-Match"))
    return empty(204)


# --- the writes, also performed by Bulk (handlers/bulk.py) --------------------


async def create(body: Any, with_members: bool = False) -> GroupRecord:
    """RFC 7644 §3.3."""
    runtime = current()
    rt = await group_type(tenant_id())
    doc, members = plan_create(fold_resource(body, rt), lenient=runtime.settings.lenient, rt=rt)
    return await runtime.store.create_group(
        tenant_id(), doc, members, with_members=with_members, actor=actor()
    )


async def replace(
    id: str, body: Any, if_match: str | None, with_members: bool = False
) -> GroupRecord:
    """RFC 7644 §3.5.1."""
    runtime = current()
    lenient = runtime.settings.lenient
    rt = await group_type(tenant_id())
    body = fold_resource(body, rt)
    return await runtime.store.update_group(
        tenant_id(),
        id,
        lambda cur: _kept(cur.doc, plan_replace(cur.doc, body, lenient=lenient, rt=rt), rt),
        if_match=if_match,
        with_members=with_members,
        operation="replace",
        actor=actor(),
    )


async def patch(
    id: str, operations: Any, if_match: str | None, with_members: bool = False
) -> GroupRecord:
    """RFC 7644 §3.5.2."""
    runtime = current()
    lenient = runtime.settings.lenient
    rt = await group_type(tenant_id())
    operations = fold_operations(operations, rt)
    return await runtime.store.update_group(
        tenant_id(),
        id,
        lambda cur: _kept(cur.doc, plan_patch(cur.doc, operations, lenient=lenient, rt=rt), rt),
        if_match=if_match,
        with_members=with_members,
        operation="patch",
        actor=actor(),
    )


async def delete(id: str, if_match: str | None) -> None:
    """RFC 7644 §3.6."""
    await current().store.delete_group(tenant_id(), id, if_match=if_match, actor=actor())


def _kept(old: dict[str, Any], change: GroupChange, rt: ResourceType) -> GroupChange:
    """The change, keeping what ``old`` holds under extensions the tenant removed."""
    return GroupChange(keep_unregistered(old, change.doc, rt), change.actions)
