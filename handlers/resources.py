"""The operations on a resource type's endpoint (RFC 7644 §3.3–§3.6),
written once for every type: create, get, list and search, replace, patch,
delete. Each translates HTTP to core and store calls and back, and decides
nothing itself.

A resource type is a :class:`Kind`: its core type (core.schema), whose
name the store's generic operations take (store.base), and what is its own: the attribute the store reads with the record
(a Group's ``members``, read only when the response shows it), the one read
after the records (a User's ``groups``, RFC 7643 §4.1.2), the core's plans
for PUT and PATCH (core.membership for a Group's members), and what a PATCH
answers by default. handlers/users.py and handlers/groups.py describe theirs
and bind each operationId to a function of this module; Connexion passes the
query parameters by the names of these signatures.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from starlette.responses import Response

from scimdock.core import representation
from scimdock.core.extensions import keep_unregistered
from scimdock.core.membership import Member
from scimdock.core.patch import apply_patch
from scimdock.core.projection import parse_attribute_list, project
from scimdock.core.query import ListQuery, Position, build_query
from scimdock.core.resource import normalize_resource, replace_resource
from scimdock.core.schema import ResourceType
from scimdock.handlers import paging
from scimdock.handlers.context import RequestContext
from scimdock.handlers.extensions import fold_operations, fold_resource, types_of
from scimdock.handlers.http import actor, base_url, empty, header, scim, search_params
from scimdock.store.base import Store


class Record(Protocol):
    """What the store returns for any resource (store.base ``UserRecord``,
    ``GroupRecord``)."""

    @property
    def id(self) -> str: ...
    @property
    def doc(self) -> dict[str, Any]: ...
    @property
    def created(self) -> str: ...
    @property
    def last_modified(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def position(self) -> Position | None: ...


R = TypeVar("R", bound=Record)
#: What a PUT or PATCH plan makes of the stored document: a new document,
#: or a Group's document and membership actions (core.membership).
C = TypeVar("C")


@dataclass(frozen=True)
class Kind(Generic[R, C]):
    """One resource type, as the operations of this module need it.

    The store calls take ``with_members``: whether to read what the store
    keeps beside the record (a Group's ``members``); a type without it
    ignores it. The plans are the core's, called as ``plan(old doc or
    body, ..., rt=the tenant's type, lenient=...)``; by default those of a
    resource without members (core.resource, core.patch)."""

    #: The server's type; a request uses its tenant's (handlers.extensions).
    #: Its id (``User``, ``Group``) names it to the store (store.base).
    rt: ResourceType
    #: ``(record, its derived value or None, base URL)`` → the document to
    #: represent, with what the record does not hold itself (``members``,
    #: ``groups``).
    shown: Callable[[R, Any, str], dict[str, Any]]
    #: ``(body)`` → the document to store and its members (RFC 7644 §3.3).
    plan_create: Callable[..., tuple[dict[str, Any], tuple[Member, ...]]] = (
        lambda body, *, rt, lenient: (normalize_resource(body, rt, lenient=lenient), ())
    )
    #: ``(old doc, body)`` → the change of a PUT (RFC 7644 §3.5.1).
    plan_replace: Callable[..., C] = replace_resource  # type: ignore[assignment]
    #: ``(old doc, operations)`` → the change of a PATCH (RFC 7644 §3.5.2).
    plan_patch: Callable[..., C] = apply_patch  # type: ignore[assignment]
    #: ``(old doc, change, tenant's type)`` → the change, keeping what the
    #: old document holds under extensions the tenant removed.
    keep: Callable[[dict[str, Any], C, ResourceType], C] = keep_unregistered  # type: ignore[assignment]
    #: ``(attributes, excludedAttributes)`` → whether the response shows
    #: what the store keeps beside the record; ``None``: the type has none.
    wants_members: Callable[[str | None, str | None], bool] | None = None
    #: ``(store, tenant, records, tenant's type, attributes,
    #: excludedAttributes)`` → each record's value of an attribute read
    #: after the records, by id, read only when the projection keeps it;
    #: ``None``: the type has none.
    derived: (
        Callable[
            [Store, int, list[R], ResourceType, str | None, str | None],
            Awaitable[dict[str, Any]],
        ]
        | None
    ) = None
    #: Whether a PATCH answers 200 with the resource (else 204) when neither
    #: ``attributes`` nor ``excludedAttributes`` is named and no profile
    #: says otherwise (scimdock.mock.rules.profile ``patchResponse``).
    patch_answers_resource: bool = True


# --- the operations, bound to an operationId by handlers/users.py, groups.py --


async def create(
    kind: Kind[Any, Any],
    ctx: RequestContext,
    body: dict[str, Any],
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    """RFC 7644 §3.3: 201 with the resource and its ``Location``."""
    with_members = _with_members(kind, attributes, excludedAttributes)
    record = await create_record(ctx, kind, body, with_members)
    return await _one(ctx, kind, record, 201, attributes, excludedAttributes)


async def get(
    kind: Kind[Any, Any],
    ctx: RequestContext,
    id: str,
    attributes: str | None = None,
    excludedAttributes: str | None = None,
) -> Response:
    """RFC 7644 §3.4.1; 304 when ``If-None-Match`` names its version (§3.14)."""
    with_members = _with_members(kind, attributes, excludedAttributes)
    tenant = ctx.tenant_required()
    record = await ctx.store.get(tenant, kind.rt.id, id, with_members=with_members)
    if representation.etag_matches(header(ctx, "If-None-Match"), record.version):
        return empty(304, {"ETag": representation.etag(record.version)})
    return await _one(ctx, kind, record, 200, attributes, excludedAttributes)


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
    with_members = projected and _with_members(kind, attributes, excludedAttributes)
    if_match = header(ctx, "If-Match")
    record = await _update_record(operation, ctx, kind, id, value, if_match, with_members)
    if not projected:
        return empty(204, {"ETag": representation.etag(record.version)})
    return await _one(ctx, kind, record, 200, attributes, excludedAttributes)


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


# --- the writes, also performed by Bulk (handlers/bulk.py) --------------------


async def create_record(
    ctx: RequestContext, kind: Kind[R, Any], body: Any, with_members: bool = False
) -> R:
    """RFC 7644 §3.3."""
    tenant = ctx.tenant_required()
    rt = (await types_of(ctx, tenant))[kind.rt.id]
    lenient = ctx.settings.lenient
    doc, members = kind.plan_create(
        fold_resource(body, rt, lenient=lenient), rt=rt, lenient=lenient
    )
    return await ctx.store.create(
        tenant, kind.rt.id, doc, members, with_members=with_members, actor=actor(ctx)
    )


async def _update_record(
    operation: str,
    ctx: RequestContext,
    kind: Kind[R, C],
    id: str,
    value: Any,
    if_match: str | None,
    with_members: bool = False,
) -> R:
    """A PUT's body or a PATCH's ``Operations`` (``value``) folded to the
    tenant's names, planned against the stored document in the store's
    transaction."""
    lenient = ctx.settings.lenient
    tenant = ctx.tenant_required()
    rt = (await types_of(ctx, tenant))[kind.rt.id]
    if operation == "replace":
        value, plan = fold_resource(value, rt, lenient=lenient), kind.plan_replace
    else:
        value, plan = fold_operations(value, rt, lenient=lenient), kind.plan_patch
    keep = kind.keep
    return await ctx.store.update(
        tenant,
        kind.rt.id,
        id,
        lambda cur: keep(cur.doc, plan(cur.doc, value, rt=rt, lenient=lenient), rt),
        if_match,
        with_members=with_members,
        operation=operation,
        actor=actor(ctx),
    )


#: RFC 7644 §3.5.1: ``(ctx, kind, id, body, If-Match, with_members=False)``.
replace_record = functools.partial(_update_record, "replace")
#: RFC 7644 §3.5.2: ``(ctx, kind, id, Operations, If-Match, with_members=False)``.
patch_record = functools.partial(_update_record, "patch")


async def delete_record(
    ctx: RequestContext, kind: Kind[Any, Any], id: str, if_match: str | None
) -> None:
    """RFC 7644 §3.6."""
    await ctx.store.delete(
        ctx.tenant_required(), kind.rt.id, id, if_match=if_match, actor=actor(ctx)
    )


# --- rendering ------------------------------------------------------------------


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
    with_members = _with_members(kind, attributes, excluded)
    total, records = await ctx.store.search(tenant, kind.rt.id, query, with_members=with_members)
    rt = (await types_of(ctx, tenant))[kind.rt.id]
    derived: dict[str, Any] = {}
    if kind.derived is not None:
        derived = await kind.derived(ctx.store, tenant, records, rt, attributes, excluded)
    wanted, dropped = parse_attribute_list(attributes), parse_attribute_list(excluded)
    base = base_url(ctx)
    rendered = [
        project(_full(kind, r, derived.get(r.id), rt, base), rt, wanted, dropped) for r in records
    ]
    return total, rendered, [r.position for r in records]


def _with_members(kind: Kind[Any, Any], attributes: str | None, excluded: str | None) -> bool:
    """Whether to read what the store keeps beside the record: only when
    the response shows it."""
    return kind.wants_members is not None and kind.wants_members(attributes, excluded)


def page_of(kind: Kind[Any, Any], ctx: RequestContext) -> paging.PageOf:
    """:func:`list_page` of ``kind``, as a cursor page reads it (handlers.paging)."""
    return functools.partial(list_page, kind, ctx)


async def _one(
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
    full = _full(kind, record, derived, rt, base_url(ctx))
    body = project(full, rt, parse_attribute_list(attributes), parse_attribute_list(excluded))
    headers = {"ETag": representation.etag(record.version)}
    if status == 201:
        headers["Location"] = full["meta"]["location"]  # RFC 7644 §3.3, whatever the projection
    return scim(body, status, headers)


def _full(
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
