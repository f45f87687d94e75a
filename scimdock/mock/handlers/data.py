"""Reset and seed a tenant's data (openapi/admin.yaml, tag Mock)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from scimdock.core.membership import Member
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import body_of, ok
from scimdock.handlers.context import RequestContext
from scimdock.mock.handlers import state
from scimdock.mock.rules.profile import DEFAULT
from scimdock.mock.rules.seedfile import Given, SeedPlan, plan
from scimdock.store.base import Actor, Store


def mock_on() -> None:
    """404 unless the mock's journal or faults are on: ``serve`` never
    offers to empty a tenant."""
    journal, faults, _ = state.installed()
    if journal is None and faults is None:
        state.journal()  # raises the 404


async def reset_tenant(
    ctx: RequestContext,
    tenant: str,
    journal: bool = False,
    faults: bool = False,
    profile: bool = False,
) -> Response:
    """The data; and the journal, rules and profile when asked (in that
    order: no user is left for a profile's userName switch to collide)."""
    mock_on()
    found = await auth.tenant(ctx, tenant)
    store = ctx.store
    users, groups = await store.reset_tenant_data(found.id, actor=auth.actor(ctx))
    book, rules, _ = state.installed()
    if profile and not (await state.profile_of(store, found.id)).is_default():
        await state.set_profile(store, found.id, DEFAULT, auth.actor(ctx))
    if journal and book is not None:
        book.clear(found.id)
    if faults and rules is not None:
        rules.clear(found.id)
    return ok({"users": users, "groups": groups})


async def seed_tenant(ctx: RequestContext, tenant: str, body: Any) -> Response:
    mock_on()
    found = await auth.tenant(ctx, tenant)
    runtime = ctx.runtime
    seeds = plan(
        body_of(body), lenient=runtime.settings.lenient, case_exact=found.user_name_case_exact
    )
    return ok(await seed(runtime.store, found.id, seeds, auth.actor(ctx)))


async def seed(store: Store, tenant_id: int, seeds: SeedPlan, actor: Actor) -> dict[str, Any]:
    """Create the plan's users in one transaction (the store's bulk path,
    one statement), then its groups with their members, as ``POST /Users``
    and ``POST /Groups`` check them; the ids made (or kept), by name."""
    docs, given, users = user_rows(seeds)
    await store.create_users(tenant_id, docs, actor=actor, given=given)
    groups: dict[str, str] = {}
    for name, doc, members, kept in seeds.groups:
        refs = tuple(member_of(m, users, groups) for m in members)
        groups[name] = (
            await store.create(tenant_id, "Group", doc, refs, actor=actor, given=kept)
        ).id
    return {"users": users, "groups": groups}


def user_rows(
    seeds: SeedPlan,
) -> tuple[list[dict[str, Any]], list[Given], dict[str, str]]:
    """The plan's user documents, what each keeps (a new UUID where it gives
    no id, so the answer can name it) and the ids by userName."""
    docs = [doc for _, doc, _ in seeds.users]
    given = [g if g.id else g._replace(id=str(uuid.uuid4())) for _, _, g in seeds.users]
    users = {name: str(g.id) for (name, _, _), g in zip(seeds.users, given, strict=True)}
    return docs, given, users


def member_of(name: str, users: dict[str, str], groups: dict[str, str]) -> Member:
    """The member a seed names: a user by userName, else a group by
    displayName; the name as written first (a tenant whose userNames are
    case-exact may hold ``Ann`` and ``ann``), then without case."""
    if name in users:
        return Member(users[name].casefold(), "User")
    if name in groups:
        return Member(groups[name].casefold(), "Group")
    folded = name.casefold()
    for user_name, user_id in users.items():
        if user_name.casefold() == folded:
            return Member(user_id.casefold(), "User")
    for display, group_id in groups.items():
        if display.casefold() == folded:
            return Member(group_id.casefold(), "Group")
    raise KeyError(name)  # scimdock.mock.rules.seedfile.plan has checked every name
