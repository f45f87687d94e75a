"""``BlockingStore``: the awaited store called synchronously, as the command
line calls it, on a real SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from scimdock.core.clock import ManualClock
from scimdock.store.base import Tenant
from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.sqlite import SqliteStore


def test_methods_return_their_results_and_errors_come_through(tmp_path: Path) -> None:
    wall = ManualClock(1_800_000_000)
    store = BlockingStore(SqliteStore(tmp_path / "b.db", clock=wall))
    try:
        made = store.create_tenant("acme")
        assert isinstance(made, Tenant) and made.name == "acme"
        assert store.set_scim_enabled("acme", True).scim_enabled
        assert [t.name for t in store.list_tenants()] == ["acme"]  # a reader thread
        assert store.get_tenant("nobody") is None
        with pytest.raises(Conflict):
            store.create_tenant("acme")
        with pytest.raises(NotFound):
            store.set_scim_enabled("nobody", True)
        assert store.clock is wall  # not a coroutine method: the store's own
        assert store.create_tenant is store.create_tenant  # wrapped once
    finally:
        store.close()
    engine = BlockingStore(SqliteStore(tmp_path / "b.db"))  # committed, as another process sees it
    try:
        found = engine.get_tenant("acme")
        assert found is not None and found.scim_enabled
    finally:
        engine.close()


def test_close_closes_the_store_and_the_loop_once(tmp_path: Path) -> None:
    store = BlockingStore(SqliteStore(tmp_path / "c.db"))
    store.create_tenant("acme")
    store.note_key_use("sk_unknown", "192.0.2.1")  # in memory until close
    store.close()
    assert store.closed
    store.close()  # a second close does nothing
    with pytest.raises(RuntimeError):
        store.get_tenant("acme")


def test_the_context_manager_closes(tmp_path: Path) -> None:
    with BlockingStore(SqliteStore(tmp_path / "m.db")) as store:
        store.create_tenant("acme")
    assert store.closed


def test_refused_inside_a_running_loop(tmp_path: Path) -> None:
    """Inside an event loop the store is awaited, never blocked on."""
    store = BlockingStore(SqliteStore(tmp_path / "l.db"))

    async def inside() -> None:
        with pytest.raises(RuntimeError):
            store.get_tenant("acme")

    try:
        asyncio.run(inside())
    finally:
        store.close()
