"""The PostgreSQL store passes the store contract (tests/store_contract):
each test on a database of its own, copied from a migrated template
(``CREATE DATABASE ... TEMPLATE``: a few milliseconds, no migration per test)."""

from __future__ import annotations

import pytest

from scimdock.core.clock import Clock
from scimdock.store.postgres import PostgresStore
from tests.postgres_cluster import PostgresCluster
from tests.store_contract import StoreContract, StoreFactory


@pytest.fixture(scope="session")
def migrated_template(postgres_cluster: PostgresCluster) -> str:
    """A database holding the latest schema and nothing else: its name."""
    url = postgres_cluster.new_database()
    PostgresStore(url)  # migrates, opens no pool
    return url.rsplit("/", 1)[1]


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store_factory(
        self, postgres_cluster: PostgresCluster, migrated_template: str
    ) -> StoreFactory:
        def open_store(clock: Clock, budget: float | None) -> PostgresStore:
            url = postgres_cluster.new_database(template=migrated_template)
            return PostgresStore(url, clock=clock, query_budget=budget, pool_max=4)

        return open_store
