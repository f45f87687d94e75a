"""The key epoch watch (store.pg_epoch): a key revoked through one
PostgreSQL store (one server process) is refused by another within
``LEASE`` seconds, also when the other's watch hears nothing (its
connection frozen: no notification, no read), and by the store that
revoked it on its very next lookup; while the watch vouches for the
epoch, a remembered key costs no statement."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import psycopg
import pytest

from conftest import until
from scimdock.core import credentials
from scimdock.store.pg_epoch import LEASE, NAME
from scimdock.store.postgres import PostgresStore
from tests.postgres_cluster import PostgresCluster

pytestmark = [pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def _pair(url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore, str]]:
    """Two stores (two server processes) on ``url`` that both remember a
    key, the second's watch vouching for the epoch; both closed after."""
    one, two = PostgresStore(url), PostgresStore(url)
    try:
        tenant = (await one.create_tenant("acme")).id
        await one.add_key(tenant, "k1", credentials.hash_secret("s"), "")
        for store in (one, two):  # remembered by both, their watches started
            assert (await store.get_key("k1", last_use=False)) is not None
        await until(lambda: _fresh(two), LEASE * 2, "the watch to vouch for the epoch")
        yield one, two, "k1"
    finally:
        await one.close()
        await two.close()


async def _revoked(store: PostgresStore, key_id: str) -> bool:
    key = await store.get_key(key_id, last_use=False)
    return key is not None and key.revoked is not None


async def test_a_key_revoked_through_one_store_is_refused_by_another_within_the_lease(
    postgres_cluster: PostgresCluster, figure: Callable[[str], None]
) -> None:
    async with _pair(postgres_cluster.new_database()) as (one, two, key):
        await one.revoke_key(key)
        assert await _revoked(one, key)  # the process that revoked it: at once
        took = await until(lambda: _revoked(two, key), LEASE, "the other store to see it")
        figure(f"a revocation seen by another store's watch after {took * 1000:.1f} ms")


async def test_with_its_watch_frozen_a_store_still_sees_a_revocation_within_the_lease(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    async with _pair(url) as (one, two, key):
        with psycopg.connect(url, autocommit=True) as admin:
            pids = [
                r[0]
                for r in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                    " AND datname = current_database()",
                    (NAME,),
                ).fetchall()
            ]
        assert len(pids) == 2  # one watch per store
        for pid in pids:  # the watches' server processes stop: nothing notified, nothing read
            os.kill(pid, signal.SIGSTOP)
        try:
            await one.revoke_key(key)
            await until(lambda: _revoked(two, key), LEASE, "the other store to see it")
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)


async def test_a_remembered_key_costs_no_statement_while_the_watch_vouches(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    async with _pair(url) as (_, two, key):
        with psycopg.connect(url) as admin:  # a transaction, held open
            admin.execute("LOCK TABLE key_epoch, api_keys")  # any read of them waits
            found = await asyncio.wait_for(two.get_key(key, last_use=False), LEASE / 4)
            admin.rollback()
        assert found is not None and found.revoked is None


async def _fresh(store: PostgresStore) -> bool:
    return store._epoch.epoch() is not None
