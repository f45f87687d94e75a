"""The SQLite store passes the store contract (tests/store_contract), on a
file (reader threads, the commit thread) and in memory (one connection)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from scimdock.core.clock import Clock
from scimdock.store.sqlite import SqliteStore
from tests.store_contract import StoreContract, StoreFactory


class TestSqliteFileStore(StoreContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        names = itertools.count()

        def open_store(clock: Clock, budget: float | None) -> SqliteStore:
            path = tmp_path / f"contract-{next(names)}.db"
            return SqliteStore(path, synchronous="NORMAL", clock=clock, query_budget=budget)

        return open_store


class TestSqliteMemoryStore(StoreContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        def open_store(clock: Clock, budget: float | None) -> SqliteStore:
            return SqliteStore(":memory:", clock=clock, query_budget=budget)

        return open_store
