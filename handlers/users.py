"""``/Users`` operations (RFC 7644 §3.3–§3.6). Each function is the
operationId of openapi/scim.yaml in snake case; it translates HTTP to core
and store calls and back, and decides nothing itself."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core import representation
from scimdock.core.extensions import keep_unregistered
from scimdock.core.patch import apply_patch
from scimdock.core.projection import parse_attribute_list, project, returns_attribute
from scimdock.core.query import ListQuery, Position, build_query
from scimdock.core.resource import normalize_resource, replace_resource
from scimdock.core.schema import GROUP, USER, ResourceType
from scimdock.handlers import paging
from scimdock.handlers.extensions import fold_operations, fold_resource, user_type
from scimdock.handlers.http import actor, base_url, empty, header, scim, search_params, tenant_id
from scimdock.handlers.runtime import current
from scimdock.store.base import Membership, UserRecord


def render(
    record: UserRecord,
    attributes: str | None = None,
    excluded: str | None = None,
    groups: list[Membership] | None = None,
    rt: ResourceType = USER,
) -> dict[str, Any]:
    """The representation of a stored user, projected (RFC 7644 §3.4.2.5);
    ``rt``: the tenant's User type (handlers.extensions)."""
    return project(
        _full(record, groups, rt),
        rt,
        parse_attribute_list(attributes),
        parse_attribute_list(excluded),
    )


def _full(
    record: UserRecord, groups: list[Membership] | None, rt: ResourceType = USER
) -> dict[str, Any]:
    """Before projection, with the derived ``groups`` (RFC 7643 §4.1.2)."""
    doc = record.doc
    if groups:
        doc = {
            **doc,
            "groups": representation.group_refs(
                base_url(), GROUP.endpoint, [(g.id, g.display, g.direct) for g in groups]
            ),
        }
    return representation.resource(
        rt,
        doc,
        id=record.id,
        created=record.created,
        last_modified=record.last_modified,
        version=record.version,
        base_url=base_url(),
    )


async def _groups(
    tenant: int, records: list[UserRecord], attributes: str | None, excluded: str | None
) -> dict[str, list[Membership]]:
    """The ``groups`` of a page of users in one read, and only when the
    projection keeps them."""
    if not records or not returns_attribute(
        await user_type(tenant),
        parse_attribute_list(attributes),
        parse_attribute_list(excluded),
        "groups",
    ):
        return {}
    return await current().store.user_groups(tenant, [r.id for r in records])


async def list_page(
    tenant: int, query: ListQuery, attributes: str | None, excluded: str | None
) -> tuple[int, list[dict[str, Any]], list[Position | None]]:
    """``(totalResults, rendered page, positions)`` of a list or search;
    the positions are ``None`` but in a keyset query (RFC 9865 paging)."""
    total, records = await current().store.list_users(tenant, query)
    groups = await _groups(tenant, records, attributes, excluded)
    rt = await user_type(tenant)
    rendered = [render(r, attributes, excluded, groups.get(r.id), rt) for r in records]
    return total, rendered, [r.position for r in records]


async def _one(
    record: UserRecord,
    status: int = 200,
    attributes: str | None = None,
    excluded: str | None = None,
) -> Response:
    # A user just created (201) is in no group yet: nothing to read.
    groups = (
        None
        if status == 201
        else (await _groups(tenant_id(), [record], attributes, excluded)).get(record.id)
    )
    rt = await user_type(tenant_id())
    full = _full(record, groups, rt)
    body = project(full, rt, parse_attribute_list(attributes), parse_attribute_list(excluded))
    headers = {"ETag": representation.etag(record.version)}
    if status == 201:
        headers["Location"] = full["meta"]["location"]  # RFC 7644 §3.3, whatever the projection
    return scim(body, status, headers)


async def create_user(
    body: dict[str, Any], attributes: str | None = None, excludedAttributes: str | None = None
) -> Response:
    return await _one(await create(body), 201, attributes, excludedAttributes)


async def get_user(
    id: str, attributes: str | None = None, excludedAttributes: str | None = None
) -> Response:
    record = await current().store.get_user(tenant_id(), id)
    if representation.etag_matches(header("If-None-Match"), record.version):
        return empty(304, {"ETag": representation.etag(record.version)})
    return await _one(record, 200, attributes, excludedAttributes)


async def list_users(
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
        await user_type(tenant_id()),
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
                [paging.Source(USER, query, list_page)],
                tenant=tenant_id(),
                endpoint=USER.endpoint,
                cursor=cursor,
                count=page.count,
                params=(filter, sortBy, sortOrder),
                attributes=attributes,
                excluded=excludedAttributes,
            )
        )
    total, resources, _ = await list_page(tenant_id(), query, attributes, excludedAttributes)
    return scim(representation.list_response(resources, total, page.start_index))


async def search_users(body: dict[str, Any]) -> Response:
    """``POST /Users/.search`` (RFC 7644 §3.4.3): the query in a body."""
    return await list_users(**search_params(body))


async def replace_user(
    id: str,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    record = await replace(id, body, header("If-Match"))
    return await _one(record, 200, attributes, excludedAttributes)


async def patch_user(
    id: str,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    record = await patch(id, body["Operations"], header("If-Match"))
    profile = current().profile  # a mock's (core.profile): RFC 7644 §3.5.2 allows 204
    if profile is not None and profile.patchResponse == "noContent":
        return empty(204, {"ETag": representation.etag(record.version)})
    return await _one(record, 200, attributes, excludedAttributes)


async def delete_user(id: str) -> Response:
    await delete(id, header("If-Match"))
    return empty(204)


# --- the writes, also performed by Bulk (handlers/bulk.py) --------------------


async def create(body: Any) -> UserRecord:
    """RFC 7644 §3.3."""
    runtime = current()
    rt = await user_type(tenant_id())
    doc = normalize_resource(fold_resource(body, rt), rt, lenient=runtime.settings.lenient)
    return await runtime.store.create_user(tenant_id(), doc, actor=actor())


async def replace(id: str, body: Any, if_match: str | None) -> UserRecord:
    """RFC 7644 §3.5.1."""
    runtime = current()
    lenient = runtime.settings.lenient
    rt = await user_type(tenant_id())
    body = fold_resource(body, rt)
    return await runtime.store.update_user(
        tenant_id(),
        id,
        lambda cur: keep_unregistered(
            cur.doc, replace_resource(cur.doc, body, rt, lenient=lenient), rt
        ),
        if_match=if_match,
        operation="replace",
        actor=actor(),
    )


async def patch(id: str, operations: Any, if_match: str | None) -> UserRecord:
    """RFC 7644 §3.5.2."""
    runtime = current()
    lenient = runtime.settings.lenient
    rt = await user_type(tenant_id())
    operations = fold_operations(operations, rt)
    return await runtime.store.update_user(
        tenant_id(),
        id,
        lambda cur: keep_unregistered(
            cur.doc, apply_patch(cur.doc, operations, rt, lenient=lenient), rt
        ),
        if_match=if_match,
        operation="patch",
        actor=actor(),
    )


async def delete(id: str, if_match: str | None) -> None:
    """RFC 7644 §3.6."""
    await current().store.delete_user(tenant_id(), id, if_match=if_match, actor=actor())
