"""The writes on a resource type's endpoint (RFC 7644 §3.3, §3.5, §3.6),
performed by the single operations (handlers.resources) and by Bulk
(handlers/bulk.py): the body folded to the tenant's names
(handlers.extensions), planned by the kind's core plans, stored.
"""

from __future__ import annotations

import functools
from typing import Any

from scimdock.handlers.context import RequestContext
from scimdock.handlers.extensions import fold_operations, fold_resource, types_of
from scimdock.handlers.http import actor
from scimdock.handlers.kinds import C, Kind, R


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


async def update_record(
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
replace_record = functools.partial(update_record, "replace")
#: RFC 7644 §3.5.2: ``(ctx, kind, id, Operations, If-Match, with_members=False)``.
patch_record = functools.partial(update_record, "patch")


async def delete_record(
    ctx: RequestContext, kind: Kind[Any, Any], id: str, if_match: str | None
) -> None:
    """RFC 7644 §3.6."""
    await ctx.store.delete(
        ctx.tenant_required(), kind.rt.id, id, if_match=if_match, actor=actor(ctx)
    )
