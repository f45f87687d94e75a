"""A tenant's users, groups and memberships as a seed document, and back
(openapi/admin.yaml, tag Mock; docs/mock.md, "Snapshots"): ``GET`` reads
them in the seed format (scimdock.mock.rules.seedfile) with their ids and ``meta``, ``PUT``
resets the tenant and seeds it with a document (scimdock.mock.handlers.data),
keeping them."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core.query import ListQuery
from scimdock.core.representation import etag
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import body_of, ok
from scimdock.handlers.context import RequestContext
from scimdock.mock.handlers import data
from scimdock.mock.rules.seedfile import plan
from scimdock.store.base import GroupRecord, Store, UserRecord

PAGE = 1000


async def get_snapshot(ctx: RequestContext, tenant: str) -> Response:
    data.mock_on()
    found = await auth.tenant(ctx, tenant)
    return ok(await snapshot(ctx.store, found.id))


async def put_snapshot(ctx: RequestContext, tenant: str, body: Any) -> Response:
    """Reset, then seed: the document is checked whole first (400 and
    nothing changed when it is wrong)."""
    data.mock_on()
    found = await auth.tenant(ctx, tenant)
    runtime = ctx.runtime
    seeds = plan(
        body_of(body), lenient=runtime.settings.lenient, case_exact=found.user_name_case_exact
    )
    await runtime.store.reset_tenant_data(found.id, actor=auth.actor(ctx))
    return ok(await data.seed(runtime.store, found.id, seeds, auth.actor(ctx)))


async def snapshot(store: Store, tenant_id: int) -> dict[str, Any]:
    """Users (their id, stored attributes and ``meta`` times and version),
    then groups ordered so that a group comes after the groups it
    contains, members named by ``userName`` or ``displayName``
    (scimdock.mock.rules.seedfile): a document that :func:`put_snapshot` puts back as it
    was, ids, times and versions kept."""
    users: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        total, page = await store.search(tenant_id, "User", ListQuery(offset=offset, count=PAGE))
        users.update((r.id.casefold(), kept(r)) for r in page)
        offset += len(page)
        if not page or offset >= total:
            break
    groups: dict[str, GroupRecord] = {}
    offset = 0
    while True:
        total, records = await store.search(
            tenant_id, "Group", ListQuery(offset=offset, count=PAGE), with_members=True
        )
        groups.update((r.id.casefold(), r) for r in records)
        offset += len(records)
        if not records or offset >= total:
            break
    ordered: list[dict[str, Any]] = []
    done: set[str] = set()

    def visit(group_id: str, path: frozenset[str]) -> None:
        if group_id in done or group_id in path or group_id not in groups:
            return
        record = groups[group_id]
        names: list[str] = []
        for member in record.members or ():
            key = member.id.casefold()
            if member.type == "Group" and key in groups:
                visit(key, path | {group_id})
                names.append(str(groups[key].doc["displayName"]))
            elif key in users:
                names.append(str(users[key]["userName"]))
        done.add(group_id)
        ordered.append({**kept(record), "members": sorted(names)})

    for group_id in groups:
        visit(group_id, frozenset())
    return {"users": list(users.values()), "groups": ordered}


def kept(record: UserRecord | GroupRecord) -> dict[str, Any]:
    """A resource as a snapshot holds it: its id, its stored attributes and
    the ``meta`` a seed keeps (scimdock.mock.rules.seedfile; RFC 7643 §3.1)."""
    meta = {
        "created": record.created,
        "lastModified": record.last_modified,
        "version": etag(record.version),
    }
    return {"id": record.id, **record.doc, "meta": meta}
