"""What only a shared database shows: two PostgreSQL stores (two pools, as
two server instances have) on one database, writing at once; and the
co-location rule for sharding by tenant (Citus): every statement the
store sends about a tenant's rows names ``tenant_id``."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from conftest import until, wait_until
from scimdock.core.clock import ManualClock
from scimdock.core.membership import (
    Action,
    AddMembers,
    GroupChange,
    Member,
    RemoveMembers,
    ReplaceMembers,
)
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import GROUP, USER
from scimdock.store.base import OPERATOR_LOG, GroupRecord
from scimdock.store.errors import Conflict, OverBudget, Unavailable
from scimdock.store.pg_epoch import LEASE
from scimdock.store.postgres import PostgresStore
from tests.postgres_cluster import PostgresCluster
from tests.store_contract.support import query

pytestmark = [pytest.mark.anyio]
START = "2025-01-31T12:00:00.000000Z"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def two(postgres_cluster: PostgresCluster) -> AsyncIterator[tuple[PostgresStore, ...]]:
    """Two stores on one database, as two instances of the server."""
    url = postgres_cluster.new_database()
    stores = (PostgresStore(url, pool_max=8), PostgresStore(url, pool_max=8))
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()


def _user(name: str) -> dict[str, object]:
    return normalize_resource({"userName": name}, USER)


def _change(*actions: Action) -> Callable[[GroupRecord], GroupChange]:
    return lambda current: GroupChange(current.doc, tuple(actions))


async def test_one_user_name_created_at_once_twice_is_one_user(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    tenant = (await a.create_tenant("acme")).id
    for round_ in range(10):
        name = f"Race{round_}@x"
        results = await asyncio.gather(
            a.create(tenant, "User", _user(name)),
            b.create(tenant, "User", _user(name.upper())),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "UserRecord"], results
    total, _ = await a.search(tenant, "User", query())
    assert total == 10


async def test_concurrent_member_additions_all_land_and_the_log_is_gapless(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    tenant = (await a.create_tenant("acme")).id
    ids = [u.id for u in [await a.create(tenant, "User", _user(f"u{n}@x")) for n in range(30)]]
    group = await a.create(tenant, "Group", {"displayName": "all"})
    await asyncio.gather(
        *(
            (a if n % 2 else b).update(
                tenant, "Group", group.id, _change(AddMembers((Member(uid),), "members"))
            )
            for n, uid in enumerate(ids)
        )
    )
    after = await b.get(tenant, "Group", group.id, with_members=True)
    assert after.members is not None and sorted(m.id for m in after.members) == sorted(ids)
    assert after.version == 31
    total, entries = await a.audit_log(tenant, count=1000)
    assert [e.seq for e in entries] == list(range(1, total + 1))  # gapless, per tenant


async def test_o_k_membership_changes_on_a_large_group(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    """Adding and removing a few members of a 20,000-member group writes
    those rows only: no slower than on a small group by more than noise."""
    a, _b = two
    tenant = (await a.create_tenant("acme")).id
    n = 20_000
    await a.create_users(tenant, [_user(f"m{i}@x") for i in range(n)])
    page = []
    for start in range(1, n + 1, 1000):
        page += (await a.search(tenant, "User", query(start_index=start, count=1000)))[1]
    big = await a.create(tenant, "Group", {"displayName": "big"}, tuple(Member(u.id) for u in page))
    small = await a.create(tenant, "Group", {"displayName": "small"}, (Member(page[0].id),))
    extra = [(await a.create(tenant, "User", _user(f"x{i}@x"))).id for i in range(4)]

    async def cycle(g: GroupRecord) -> float:
        started = time.perf_counter()
        for _ in range(5):
            await a.update(
                tenant, "Group", g.id, _change(AddMembers(tuple(map(Member, extra)), "m"))
            )
            await a.update(tenant, "Group", g.id, _change(RemoveMembers(tuple(extra), "m")))
        return time.perf_counter() - started

    await cycle(small)
    on_small, on_big = await cycle(small), await cycle(big)
    assert on_big < on_small * 3 + 0.05, (on_small, on_big)
    grown = await a.get(tenant, "Group", big.id, with_members=True)
    assert grown.members is not None and len(grown.members) == n


async def test_a_change_through_one_instance_is_seen_by_the_other(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    tenant = (await a.create_tenant("acme")).id
    await a.add_key(tenant, "k1", b"h" * 32, "ci")
    assert (await b.get_key("k1", last_use=False)) is not None  # remembered by b
    assert (await b.get_key("k1", last_use=False)).revoked is None  # type: ignore[union-attr]
    await a.revoke_key("k1")

    async def refused() -> bool:
        seen = await b.get_key("k1", last_use=False)
        return seen is None or seen.revoked is not None

    await until(refused, LEASE, "b to refuse the revoked key")  # b's epoch watch (store.pg_epoch)
    # Last use moves forward only, whichever instance writes last.
    await a.record_key_use({"k1": ("2025-02-02T00:00:00.000000Z", "192.0.2.2")})
    await b.record_key_use({"k1": ("2025-02-01T00:00:00.000000Z", "192.0.2.1")})
    key = await a.get_key("k1")
    assert key is not None and (key.last_used, key.last_used_from) == (
        "2025-02-02T00:00:00.000000Z",
        "192.0.2.2",
    )


async def test_an_unreachable_database_is_unavailable(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.new_database()
    store = PostgresStore(url)
    port = postgres_cluster.port
    with pytest.raises(Unavailable):
        PostgresStore(url.replace(f":{port}/", ":1/"))
    await store.close()
    assert await store.ready() is False
    with pytest.raises(Unavailable):
        await store.get_tenant("acme")


#: Tables holding one tenant's rows: distributed by ``tenant_id`` on Citus.
#: (``tenants``, ``admin_tokens``, whose operator tokens belong to no
#: tenant, ``tenant_id_seq`` and ``key_epoch`` are small reference tables.)
TENANT_TABLES = (
    "users",
    "groups",
    "members",
    "audit",
    "audit_seq",
    "api_keys",
    "schema_extensions",
)
_REFERENCE = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(" + "|".join(TENANT_TABLES) + r")\b", re.IGNORECASE
)
EXTENSION = "urn:example:colocation:2.0:User"
#: Statements that find a key by its id before the tenant is known:
#: authentication's lookup (by key id, joined to its tenant) and the
#: batched last-use write (key ids). Every other statement on ``api_keys``
#: names the tenant; on Citus these two need ``api_keys`` as a reference
#: table, or a key id that carries its tenant.
_BY_GLOBAL_ID = re.compile(
    r"WHERE k\.key_id = \$1(?: FOR UPDATE OF k)?$|WHERE k\.key_id = u\.key_id"
)


async def test_every_statement_on_a_tenants_rows_names_tenant_id(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database(log_statements=True)
    store = PostgresStore(url, clock=ManualClock(START))
    try:
        await _exercise(store)
    finally:
        await store.close()
    database = url.rsplit("/", 1)[1]

    def logged() -> list[str] | None:
        """Every statement, once the logging collector has written the last."""
        statements = postgres_cluster.statements(database)
        return statements if any("colocation-end" in s for s in statements) else None

    statements = wait_until(logged, 10, "the exercise's last statement in the server log")
    touching = [s for s in statements if _REFERENCE.search(s)]
    assert len(touching) > 60  # the exercise below really ran through the log
    missing = [
        s
        for s in touching
        if s.count("tenant_id") < len(_REFERENCE.findall(s)) and not _BY_GLOBAL_ID.search(s)
    ]
    assert missing == []


async def _exercise(store: PostgresStore) -> None:
    """Every kind of call of the Store interface, once or more."""
    tenant = (await store.create_tenant("acme")).id
    await store.set_scim_enabled("acme", True)
    await store.add_key(tenant, "k1", b"h" * 32, "ci")
    await store.get_key("k1")
    await store.get_key("k1", last_use=False)
    await store.update_key("k1", label="x")
    await store.rotate_key("k1", b"n" * 32, "2030-01-01T00:00:00Z")
    store.note_key_use("k1", "192.0.2.1")
    await store.flush_key_uses()
    await store.list_keys(tenant)
    await store.revoke_key("k1")
    await store.add_admin_token("t1", b"t" * 32, tenant)
    await store.get_admin_token("t1")
    await store.list_admin_tokens(tenant)
    await store.revoke_admin_token("t1")
    ann = await store.create(tenant, "User", _user("ann@x"))
    await store.create_users(tenant, [_user("bob@x"), _user("cat@x")])
    with pytest.raises(Conflict):
        await store.create(tenant, "User", _user("ANN@x"))
    await store.update(tenant, "User", ann.id, lambda r: {**r.doc, "title": "t"})
    await store.get(tenant, "User", ann.id)
    team = await store.create(tenant, "Group", {"displayName": "team"}, (Member(ann.id),))
    org = await store.create(tenant, "Group", {"displayName": "org"}, (Member(team.id),))
    await store.update(tenant, "Group", org.id, _change(ReplaceMembers((Member(ann.id),), "m")))
    await store.update(tenant, "Group", org.id, _change(AddMembers((Member(team.id),), "m")))
    await store.get(tenant, "Group", org.id, with_members=True)
    await store.user_groups(tenant, [ann.id])
    for text in (
        'userName sw "a" and title eq "t"',
        f'groups.value eq "{org.id}" or groups[type eq "indirect"]',
        'emails[type eq "work" and value co "@"] or name.givenName pr',
        'not (active eq true) or meta.lastModified gt "2020-01-01T00:00:00Z"',
    ):
        await store.search(tenant, "User", query(filter=text, sort_by="name.familyName"))
    # A keyset page (RFC 9865 cursors), after a position.
    first = await store.search(tenant, "User", replace(query(sort_by="userName"), keyset=True))
    after = first[1][0].position
    await store.search(tenant, "User", replace(query(sort_by="userName"), keyset=True, after=after))
    definition = {"id": EXTENSION, "name": "Badge", "attributes": []}
    await store.add_schema_extension(tenant, EXTENSION, "User", definition)
    await store.list_schema_extensions(tenant)
    await store.remove_schema_extension(tenant, EXTENSION)
    await store.search(
        tenant,
        "Group",
        query(GROUP, filter=f'members[value eq "{ann.id}"] or displayName ew "m"'),
        with_members=True,
    )
    await store.delete(tenant, "Group", team.id)
    await store.delete(tenant, "User", ann.id)
    await store.lookup_user(tenant, user_name="ann@x")
    await store.lookup_user(tenant, user_id=ann.id)
    await store.list_tombstones(tenant)
    await store.restore_user(tenant, ann.id)
    await store.delete(tenant, "User", ann.id)
    await store.purge_user(tenant, ann.id)
    await store.purge_tombstones(tenant, "2100-01-01")
    await store.audit_log(tenant)
    await store.audit_log(OPERATOR_LOG)
    await store.tenant_holds_data(tenant)
    await store.reset_tenant_data(tenant)
    await store.delete_tenant("acme", force=True)
    async with store._read() as conn:
        await conn.execute("SELECT 'colocation-end'")


async def test_a_list_past_the_budget_is_over_budget(postgres_cluster: PostgresCluster) -> None:
    store = PostgresStore(postgres_cluster.new_database(), query_budget=0.001)
    try:
        tenant = (await store.create_tenant("acme")).id
        with pytest.raises(OverBudget):
            async with store._read() as conn:
                await conn.execute("SELECT pg_sleep(0.5)")
        assert (await store.get_tenant_by_id(tenant)) is not None  # the pool goes on
    finally:
        await store.close()
