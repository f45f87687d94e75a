"""Tombstones, restore, purge and the audit lines of user and group writes,
on a real SQLite file (docs/admin.md). Purge is checked in SQLite itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scimdock.core.clock import ManualClock
from scimdock.core.membership import Member, plan_patch
from scimdock.core.patch import apply_patch
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.store.base import Actor, Tombstone, UserRecord
from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import Conflict, NotFound, PreconditionFailed
from scimdock.store.sqlite import SqliteStore

KEY = Actor("scim-key", "sk_abc", "192.0.2.10")
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tomb.db"


@pytest.fixture
def wall() -> ManualClock:
    """The store's clock: it moves only when a test moves it."""
    return ManualClock("2025-01-31T12:00:00Z")


@pytest.fixture
def store(db: Path, wall: ManualClock) -> Iterator[BlockingStore]:
    s = BlockingStore(SqliteStore(db, clock=wall))
    yield s
    s.close()


@pytest.fixture
def tenant(store: BlockingStore) -> int:
    return store.create_tenant("acme").id


def _user(user_name: str, **extra: Any) -> dict[str, Any]:
    return normalize_resource({"userName": user_name, **extra}, USER)


def _lines(store: BlockingStore, tenant: int) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (e.operation, e.resource_type, e.attributes) for e in store.audit_log(tenant, count=1000)[1]
    ][1:]  # after the tenant's create


def _raw(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_delete_keeps_the_row_and_lists_a_tombstone(
    store: BlockingStore, tenant: int, db: Path
) -> None:
    user = store.create(tenant, "User", _user("ann@x", active=True, displayName="Ann"))
    store.delete(tenant, "User", user.id, actor=KEY)
    with pytest.raises(NotFound) as err:
        store.get(tenant, "User", user.id)
    assert isinstance(err.value, NotFound)
    [tomb] = store.list_tombstones(tenant)
    assert (tomb.id, tomb.user_name, tomb.doc["displayName"]) == (user.id, "ann@x", "Ann")
    assert _raw(db, "SELECT count(*) FROM users WHERE id = ?", user.id) == [(1,)]
    assert store.list_tombstones(store.create_tenant("other").id) == []


def test_restore_brings_back_the_same_id_with_a_new_version(
    store: BlockingStore, tenant: int
) -> None:
    user = store.create(tenant, "User", _user("ann@x", displayName="Ann"))
    store.delete(tenant, "User", user.id)
    restored = store.restore_user(tenant, user.id, actor=KEY)
    assert restored.id == user.id and restored.version == user.version + 1
    assert restored.doc == user.doc
    assert store.get(tenant, "User", user.id).version == restored.version
    assert store.list_tombstones(tenant) == []
    with pytest.raises(NotFound) as err:
        store.restore_user(tenant, user.id)  # live now: not a tombstone
    assert isinstance(err.value, NotFound)
    assert _lines(store, tenant) == [
        ("create", "User", ("displayName", "userName")),
        ("delete", "User", ()),
        ("restore", "User", ()),
    ]


def test_restore_is_409_when_the_user_name_was_taken_meanwhile(
    store: BlockingStore, tenant: int
) -> None:
    user = store.create(tenant, "User", _user("ann@x"))
    store.delete(tenant, "User", user.id)
    taker = store.create(tenant, "User", _user("ANN@x"))  # case-insensitive (RFC 7643 §4.1.1)
    with pytest.raises(Conflict) as err:
        store.restore_user(tenant, user.id)
    assert isinstance(err.value, Conflict)
    assert [t.id for t in store.list_tombstones(tenant)] == [user.id]  # nothing changed
    assert [op for op, *_ in _lines(store, tenant)] == ["create", "delete", "create"]
    store.delete(tenant, "User", taker.id)
    assert store.restore_user(tenant, user.id).id == user.id


def test_restore_in_another_tenant_is_404(store: BlockingStore, tenant: int) -> None:
    user = store.create(tenant, "User", _user("ann@x"))
    store.delete(tenant, "User", user.id)
    other = store.create_tenant("other").id
    for call in (
        lambda: store.restore_user(other, user.id),
        lambda: store.purge_user(other, user.id),
    ):
        with pytest.raises(NotFound) as err:
            call()
        assert isinstance(err.value, NotFound)
    assert [t.id for t in store.list_tombstones(tenant)] == [user.id]


def test_purge_removes_the_row_for_good(store: BlockingStore, tenant: int, db: Path) -> None:
    user = store.create(tenant, "User", _user("purge-marker-7f3a@example.com"))
    live = store.create(tenant, "User", _user("bob@x"))
    with pytest.raises(NotFound):
        store.purge_user(tenant, user.id)  # live users are not purged
    store.delete(tenant, "User", user.id)
    store.purge_user(tenant, user.id, actor=KEY)
    assert _raw(db, "SELECT * FROM users WHERE id = ?", user.id) == []
    assert _raw(db, "SELECT count(*) FROM users WHERE id = ?", live.id) == [(1,)]
    assert store.list_tombstones(tenant) == []
    with pytest.raises(NotFound) as err:
        store.purge_user(tenant, user.id)
    assert isinstance(err.value, NotFound)
    # Not even the bytes remain (secure_delete and a WAL checkpoint).
    on_disk = b"".join(p.read_bytes() for p in db.parent.glob("tomb.db*"))
    assert b"purge-marker-7f3a" not in on_disk
    assert _lines(store, tenant)[-1] == ("purge", "User", ())
    assert store.audit_log(tenant)[1][-1].resource_id == user.id


def test_purge_older_than_takes_only_old_tombstones(
    store: BlockingStore, tenant: int, db: Path, wall: ManualClock
) -> None:
    old = store.create(tenant, "User", _user("old@x"))
    store.delete(tenant, "User", old.id)
    assert store.list_tombstones(tenant)[0].deleted == "2025-01-31T12:00:00.000000Z"
    wall.advance(86400)
    cut = wall.now()  # deleted before this instant: purged; at or after it: kept
    recent = store.create(tenant, "User", _user("recent@x"))
    store.delete(tenant, "User", recent.id)
    store.create(tenant, "User", _user("live@x"))
    assert store.purge_tombstones(tenant, cut, actor=KEY) == [old.id]
    assert [t.id for t in store.list_tombstones(tenant)] == [recent.id]
    assert sorted(r[0] for r in _raw(db, "SELECT user_name FROM users")) == ["live@x", "recent@x"]
    assert store.purge_tombstones(tenant, cut) == []
    with pytest.raises(ValueError):
        store.purge_tombstones(tenant, "a week ago")
    assert [op for op, *_ in _lines(store, tenant)].count("purge") == 1


def test_lookup_user_finds_live_then_tombstoned(store: BlockingStore, tenant: int) -> None:
    ann = store.create(tenant, "User", _user("Ann@x", active=False))
    found = store.lookup_user(tenant, user_name="ann@X")
    assert isinstance(found, UserRecord) and found.id == ann.id
    store.delete(tenant, "User", ann.id)
    tomb = store.lookup_user(tenant, user_id=ann.id)
    assert isinstance(tomb, Tombstone) and tomb.id == ann.id
    again = store.create(tenant, "User", _user("ann@x"))
    by_name = store.lookup_user(tenant, user_name="ann@x")
    assert isinstance(by_name, UserRecord) and by_name.id == again.id
    assert store.lookup_user(tenant, user_name="nobody") is None
    assert store.lookup_user(store.create_tenant("other").id, user_id=ann.id) is None
    with pytest.raises(TypeError):
        store.lookup_user(tenant)


def test_user_writes_record_changed_attribute_names_only(store: BlockingStore, tenant: int) -> None:
    user = store.create(tenant, "User", _user("ann@x", name={"givenName": "Ann"}), actor=KEY)
    ops = [
        {"op": "replace", "path": "name.givenName", "value": "Anne"},
        {"op": "add", "path": "active", "value": False},
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": "boss"}},
    ]
    for _ in range(2):  # the same PATCH again changes nothing: no line
        store.update(
            tenant,
            "User",
            user.id,
            lambda cur: apply_patch(cur.doc, ops, USER),
            operation="patch",
            actor=KEY,
        )
    store.update(
        tenant, "User", user.id, lambda cur: _user("ann@x", password="s3cret-Pw!"), actor=KEY
    )
    assert _lines(store, tenant) == [
        ("create", "User", ("name", "userName")),
        ("patch", "User", ("active", "name.givenName", f"{ENTERPRISE}:manager")),
        ("replace", "User", ("active", "name", f"{ENTERPRISE}:manager")),
    ]
    entries = store.audit_log(tenant, count=1000)[1]
    assert {(e.actor_kind, e.actor_id, e.address) for e in entries[1:]} == {
        ("scim-key", "sk_abc", "192.0.2.10")
    }
    assert all(
        "Anne" not in str(e) and "boss" not in str(e) and "s3cret" not in str(e) for e in entries
    )


def test_group_writes_record_members_and_attributes(store: BlockingStore, tenant: int) -> None:
    a = store.create(tenant, "User", _user("a@x"))
    b = store.create(tenant, "User", _user("b@x"))
    group = store.create(tenant, "Group", {"displayName": "eng"}, (Member(a.id),), actor=KEY)
    add_b = [{"op": "add", "path": "members", "value": [{"value": b.id}]}]
    rename = [{"op": "replace", "path": "displayName", "value": "engineering"}]
    # The second add changes nothing: no line.
    for ops in (add_b, add_b, rename):
        store.update(
            tenant,
            "Group",
            group.id,
            lambda cur, ops=ops: plan_patch(cur.doc, ops),
            operation="patch",
            actor=KEY,
        )
    store.delete(tenant, "Group", group.id, actor=KEY)
    assert _lines(store, tenant)[2:] == [
        ("create", "Group", ("displayName", "members")),
        ("patch", "Group", ("members",)),
        ("patch", "Group", ("displayName",)),
        ("delete", "Group", ()),
    ]


def test_a_failed_write_leaves_no_audit_line(store: BlockingStore, tenant: int) -> None:
    store.create(tenant, "User", _user("ann@x"))
    with pytest.raises(Conflict):
        store.create(tenant, "User", _user("ann@x"))  # 409
    bob = store.create(tenant, "User", _user("bob@x"))
    with pytest.raises(Conflict):
        store.update(tenant, "User", bob.id, lambda cur: _user("ANN@x"))  # 409
    with pytest.raises(PreconditionFailed):
        store.delete(tenant, "User", bob.id, if_match='W/"999"')  # 412
    assert [op for op, *_ in _lines(store, tenant)] == ["create", "create"]


def test_bulk_create_records_one_line_per_user(store: BlockingStore, tenant: int) -> None:
    store.create_users(tenant, [_user(f"u{i}@x") for i in range(3)])
    assert _lines(store, tenant) == [("create", "User", ("userName",))] * 3
