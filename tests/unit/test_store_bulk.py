"""``SqliteStore.create_users``: bulk loading on a real SQLite file.

The rows must be the ones ``Store.create`` writes (filterable through
``Store.search`` like any other user), and a taken ``userName`` must fail the
whole batch with the same 409 as ``Store.create``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scimdock.core.query import build_query
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import Conflict
from scimdock.store.sqlite import SqliteStore


def _doc(name: str, **extra: Any) -> dict[str, Any]:
    return normalize_resource({"userName": name, **extra}, USER)


def _find(store: BlockingStore, tenant_id: int, scim_filter: str | None) -> tuple[int, list[str]]:
    query, _page = build_query(
        USER,
        filter=scim_filter,
        sort_by=None,
        sort_order=None,
        start_index=None,
        count=1000,
        max_results=1000,
    )
    total, records = store.search(tenant_id, "User", query)
    return total, [r.doc["userName"] for r in records]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BlockingStore]:
    s = BlockingStore(SqliteStore(tmp_path / "bulk.db"))
    yield s
    s.close()


def test_bulk_rows_are_filterable(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    other = store.create_tenant("other")
    docs = [
        _doc(f"User{i}@Example.com", externalId=f"ext{i}", active=i % 2 == 0) for i in range(50)
    ]
    assert store.create_users(tenant.id, docs) == 50
    assert store.create_users(other.id, [_doc("user7@example.com")]) == 1

    assert _find(store, tenant.id, 'userName eq "user7@example.com"') == (1, ["User7@Example.com"])
    assert _find(store, tenant.id, 'externalId eq "ext8"') == (1, ["User8@Example.com"])
    assert _find(store, tenant.id, "active eq true")[0] == 25
    total, names = _find(store, tenant.id, None)
    assert total == 50 and names == [d["userName"] for d in docs]  # insertion order

    query, _ = build_query(
        USER,
        filter='userName eq "user3@example.com"',
        sort_by=None,
        sort_order=None,
        start_index=None,
        count=1,
        max_results=10,
    )
    (record,) = store.search(tenant.id, "User", query)[1]
    assert record.version == 1 and record.created == record.last_modified
    assert store.get(tenant.id, "User", record.id).doc == docs[3]
    # A bulk-loaded user is an ordinary user: PATCH-style updates work.
    updated = store.update(tenant.id, "User", record.id, lambda cur: {**cur.doc, "active": True})
    assert updated.version == 2


def test_duplicate_in_batch_is_409_and_writes_nothing(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    docs = [_doc("a@example.com"), _doc("b@example.com"), _doc("A@EXAMPLE.COM")]
    with pytest.raises(Conflict) as bulk:
        store.create_users(tenant.id, docs)
    store.create(tenant.id, "User", _doc("a@example.com"))
    with pytest.raises(Conflict) as single:
        store.create(tenant.id, "User", _doc("A@EXAMPLE.COM"))
    assert isinstance(bulk.value, Conflict)
    assert bulk.value == single.value
    assert _find(store, tenant.id, None) == (1, ["a@example.com"])


def test_name_taken_by_existing_user_is_409_and_writes_nothing(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    store.create(tenant.id, "User", _doc("taken@example.com"))
    docs = [_doc("new1@example.com"), _doc("TAKEN@example.com"), _doc("new2@example.com")]
    with pytest.raises(Conflict) as bulk:
        store.create_users(tenant.id, docs)
    with pytest.raises(Conflict) as single:
        store.create(tenant.id, "User", _doc("TAKEN@example.com"))
    assert isinstance(bulk.value, Conflict)
    assert bulk.value == single.value
    assert _find(store, tenant.id, None) == (1, ["taken@example.com"])


def test_deleted_users_name_can_be_reused(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    gone = store.create(tenant.id, "User", _doc("gone@example.com"))
    store.delete(tenant.id, "User", gone.id)
    assert store.create_users(tenant.id, [_doc("gone@example.com")]) == 1
    assert _find(store, tenant.id, 'userName eq "gone@example.com"')[0] == 1


def test_empty_batch(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    assert store.create_users(tenant.id, []) == 0
    assert _find(store, tenant.id, None) == (0, [])
