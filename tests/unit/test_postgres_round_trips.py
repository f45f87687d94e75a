"""Round trips of PostgreSQL's writes (store.pg_host): a transaction's
audit line goes out with its ``COMMIT`` and its independent reads
together, in one pipeline each; and a statement sent without waiting for
its answer still fails the whole write when it fails.

Round trips are counted from libpq's own trace of the connection's
protocol messages (``PQtrace``,
<https://www.postgresql.org/docs/current/libpq-control.html#LIBPQ-PQTRACE>):
each ends with one ``ReadyForQuery`` from the server, after a simple
query or a pipeline's ``Sync``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import pq

from conftest import until
from scimdock.core.membership import AddMembers, GroupChange, Member
from scimdock.store.errors import Conflict
from scimdock.store.postgres import PostgresStore
from tests.postgres_cluster import PostgresCluster
from tests.store_contract.support import user

pytestmark = [pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _round_trips(store: PostgresStore, tmp: Path, call: Callable[[], Awaitable[Any]]) -> int:
    """Round trips of ``call`` on the store's one pooled connection."""
    pool = await store._connections()
    trace = tmp / "trace.txt"
    with trace.open("w") as out:
        async with pool.connection() as conn:
            conn.pgconn.trace(out.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            await call()
        finally:
            async with pool.connection() as conn:
                conn.pgconn.untrace()
    return sum("\tReadyForQuery\t" in line for line in trace.read_text().splitlines())


async def test_writes_send_their_audit_line_with_the_commit(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    store = PostgresStore(postgres_cluster.new_database(), pool_min=1, pool_max=1)
    try:
        tenant = (await store.create_tenant("acme")).id
        ann = await store.create(tenant, "User", user("ann@example.com"))
        team = await store.create(tenant, "Group", {"displayName": "team"})

        async def create() -> None:
            await store.create(tenant, "User", user("bob@example.com"))

        async def rename() -> None:
            await store.update(tenant, "User", ann.id, lambda r: {**r.doc, "title": "t"})

        async def add() -> None:
            change = GroupChange(team.doc, (AddMembers((Member(ann.id),), "members"),))
            await store.update(tenant, "Group", team.id, lambda r: change)

        # BEGIN + the budget lifted + the insert and its audit line in one
        # statement (the tenant's rule read by it); COMMIT
        assert await _round_trips(store, tmp_path, create) == 2
        # BEGIN; the tenant's rule + the user's row; update + audit + COMMIT
        assert await _round_trips(store, tmp_path, rename) == 3
        # BEGIN; the group's row; the members' check and insert in one
        # statement; update + audit + COMMIT
        assert await _round_trips(store, tmp_path, add) == 4
        assert (await store.get(tenant, "User", ann.id)).doc["title"] == "t"
        group = await store.get(tenant, "Group", team.id, with_members=True)
        assert [m.id for m in group.members or ()] == [ann.id]
        lines = await store.audit_log(tenant)
        assert [e.operation for e in lines[1]][-3:] == ["create", "replace", "replace"]
    finally:
        await store.close()


async def test_a_taken_name_is_still_a_conflict_when_the_update_renames(
    postgres_cluster: PostgresCluster,
) -> None:
    store = PostgresStore(postgres_cluster.new_database())
    try:
        tenant = (await store.create_tenant("acme")).id
        await store.create(tenant, "User", user("ann@example.com"))
        bob = await store.create(tenant, "User", user("bob@example.com"))
        with pytest.raises(Conflict):
            await store.update(
                tenant, "User", bob.id, lambda r: {**r.doc, "userName": "Ann@Example.com"}
            )
        assert (await store.get(tenant, "User", bob.id)).doc["userName"] == "bob@example.com"
        await store.update(tenant, "User", bob.id, lambda r: {**r.doc, "userName": "Bob@x"})
        with pytest.raises(Conflict):  # the new name's key is the index's now
            await store.create(tenant, "User", user("bob@X"))
    finally:
        await store.close()


async def test_a_failed_audit_line_sent_with_the_commit_keeps_nothing(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    store = PostgresStore(url, pool_min=1, pool_max=1)
    try:
        tenant = (await store.create_tenant("acme")).id
        ann = await store.create(tenant, "User", user("ann@example.com"))
        before = await store.audit_log(tenant)
        with psycopg.connect(url, autocommit=True) as admin:  # a fault in the database itself
            admin.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$;"
                " CREATE TRIGGER refuse BEFORE INSERT ON audit"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        with pytest.raises(psycopg.errors.RaiseException):
            await store.create(tenant, "User", user("bob@example.com"))
        with pytest.raises(psycopg.errors.RaiseException):
            await store.update(tenant, "User", ann.id, lambda r: {**r.doc, "title": "t"})
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("DROP TRIGGER refuse ON audit")
        found = await store.lookup_user(tenant, user_name="bob@example.com")
        assert found is None  # neither the user nor its line
        assert "title" not in (await store.get(tenant, "User", ann.id)).doc
        assert await store.audit_log(tenant) == before
        await store.create(tenant, "User", user("bob@example.com"))  # the connection goes on
    finally:
        await store.close()


async def test_a_one_statement_write_that_waits_past_the_budget_is_not_cut_short(
    postgres_cluster: PostgresCluster,
) -> None:
    """A one-statement write lifts the query budget in its pipeline
    (``set_config``), as the others do with ``SET LOCAL``."""
    url = postgres_cluster.new_database()
    store = PostgresStore(url, query_budget=0.05, pool_min=1, pool_max=1)
    try:
        tenant = (await store.create_tenant("acme")).id
        await store.create(tenant, "User", user("ann@example.com"))
        with psycopg.connect(url) as other:  # holds the tenant's log row, in a transaction
            other.execute("SELECT * FROM audit_seq WHERE tenant_id = %s FOR UPDATE", (tenant,))
            task = asyncio.create_task(store.create(tenant, "User", user("bob@example.com")))
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as watcher:
                # The write has waited for the lock four times its budget, by
                # the server's own clock.
                await until(
                    lambda: _waited(watcher, 4 * 0.05), 30, "the write to wait 4x its budget"
                )
            assert not task.done()
            other.rollback()
        bob = await task
        assert (await store.get(tenant, "User", bob.id)).doc["userName"] == "bob@example.com"
        assert await store.create(tenant, "Group", {"displayName": "team"})
        # A name taken: nothing written, the log as it was.
        before = await store.audit_log(tenant)
        with pytest.raises(Conflict):
            await store.create(tenant, "User", user("BOB@example.com"))
        assert await store.audit_log(tenant) == before
    finally:
        await store.close()


async def _waited(watcher: psycopg.AsyncConnection[Any], seconds: float) -> bool:
    """Whether a statement of the database has waited on a lock ``seconds``."""
    cursor = await watcher.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
        " AND clock_timestamp() - query_start > make_interval(secs => %s))",
        (seconds,),
    )
    row = await cursor.fetchone()
    return bool(row and row[0])
