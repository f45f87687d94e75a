"""The noisy neighbour's bound on PostgreSQL (store.pg_scans): a tenant's
lists and searches run one at a time in a store's process, while another
tenant's run beside them; and a read is one statement, without a
transaction around it, yet within the query budget."""

from __future__ import annotations

import asyncio
import os
import signal

import psycopg
import pytest

from scimdock.store.postgres import PostgresStore
from tests.postgres_cluster import PostgresCluster
from tests.store_contract.budget import EXPENSIVE
from tests.store_contract.support import query, user

pytestmark = [pytest.mark.anyio]
#: Statements of the store's on the users table running now, in the database.
RUNNING = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND state = 'active' AND query LIKE '%FROM users%' AND pid <> pg_backend_pid()"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_tenants_searches_run_one_at_a_time_and_others_beside(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    store = PostgresStore(url, pool_min=6)  # connections enough for every search at once
    try:
        noisy, quiet = (await store.create_tenant("noisy")).id, (await store.create_tenant("q")).id
        docs = [user(f"u{n}@example.com", displayName=f"U {n}", title="t") for n in range(3000)]
        await store.create_users(noisy, docs)
        await store.create_users(quiet, [user("ann@example.com")])
        seen: list[int] = []
        searches = [
            asyncio.create_task(store.search(noisy, "User", query(filter=EXPENSIVE)))
            for _ in range(4)
        ]
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as watcher:
            while not (first := await (await watcher.execute(RUNNING)).fetchall()):
                pass  # until the first search has started
            seen.append(len(first))
            # Its server process frozen, the search running cannot end:
            # the quiet tenant's list must not wait for it, or for those
            # the noisy tenant has queued behind it.
            os.kill(first[0][0], signal.SIGSTOP)
            try:
                # Queued behind the frozen search, it would never end: a bound, not a wait.
                quiet_list = await asyncio.wait_for(store.search(quiet, "User", query()), 60)
                quiet_done_before = sum(not s.done() for s in searches)
            finally:
                os.kill(first[0][0], signal.SIGCONT)
            while not all(s.done() for s in searches):
                seen.append(len(await (await watcher.execute(RUNNING)).fetchall()))
        assert [total for total, _ in await asyncio.gather(*searches)] == [0] * 4
        assert max(seen) == 1, seen  # never two of the tenant's searches at once
        assert quiet_list[0] == 1 and quiet_done_before >= 1  # not queued behind them
    finally:
        await store.close()


async def test_a_point_read_is_one_statement_within_the_budget(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database(log_statements=True)
    store = PostgresStore(url, query_budget=2.5)
    try:
        tenant = (await store.create_tenant("acme")).id
        before = len(postgres_cluster.statements(url.rsplit("/", 1)[1]))
        assert (await store.get_tenant_by_id(tenant)) is not None
        async with store._read() as conn:
            row = await (await conn.execute("SHOW statement_timeout")).fetchone()
        assert row == ("2500ms",)
        read = postgres_cluster.statements(url.rsplit("/", 1)[1])[before:]
        assert len(read) == 2 and not any("BEGIN" in s or "COMMIT" in s for s in read), read
    finally:
        await store.close()
