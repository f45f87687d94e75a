"""Only a clash on the unique name index is a client's 409; any other
integrity failure is a bug and must not be dressed up as one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import Conflict
from scimdock.store.sqlite import SqliteStore


def test_user_name_clash_is_409_but_a_missing_tenant_is_not(tmp_path: Path) -> None:
    store = BlockingStore(SqliteStore(tmp_path / "s.db", synchronous="NORMAL"))
    tenant = store.create_tenant("acme").id
    store.create(tenant, "User", {"userName": "Ann"})
    with pytest.raises(Conflict) as clash:
        store.create(tenant, "User", {"userName": "ANN"})
    assert isinstance(clash.value, Conflict)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store.create(tenant + 99, "User", {"userName": "Bob"})


def test_group_name_clash_is_409_but_a_missing_tenant_is_not(tmp_path: Path) -> None:
    store = BlockingStore(SqliteStore(tmp_path / "s.db", synchronous="NORMAL"))
    tenant = store.create_tenant("acme").id
    store.create(tenant, "Group", {"displayName": "Sales"}, ())
    with pytest.raises(Conflict) as clash:
        store.create(tenant, "Group", {"displayName": "sales"}, ())
    assert isinstance(clash.value, Conflict)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store.create(tenant + 99, "Group", {"displayName": "Ops"}, ())
