"""Keys, admin tokens and tenants on a real SQLite file (docs/admin.md): expiry,
rotation with and without grace, revocation, tenant deletion, and the
audit line each change leaves (and that no-op changes do not)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from scimdock.core import clock, credentials
from scimdock.core.clock import ManualClock
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.store.base import CLI_ACTOR, OPERATOR_LOG, Actor, AuditEntry
from scimdock.store.blocking import BlockingStore
from scimdock.store.sqlite import SqliteStore

RANDOM = credentials.SYSTEM_RANDOM

ADMIN = Actor("admin-token", "sat_0123", "203.0.113.9")


@pytest.fixture
def wall() -> ManualClock:
    """The store's clock: it moves only when a test moves it."""
    return ManualClock("2025-01-31T12:00:00Z")


@pytest.fixture
def store(tmp_path: Path, wall: ManualClock) -> Iterator[BlockingStore]:
    s = BlockingStore(SqliteStore(tmp_path / "admin.db", clock=wall))
    yield s
    s.close()


def _log(store: BlockingStore, tenant_id: int) -> list[AuditEntry]:
    total, entries = store.audit_log(tenant_id, count=1000)
    assert total == len(entries)
    return entries


def _ops(store: BlockingStore, tenant_id: int) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [
        (e.operation, e.resource_type, e.resource_id, e.attributes) for e in _log(store, tenant_id)
    ]


def test_tenant_create_enable_disable_are_audited_once(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme", actor=ADMIN)
    store.set_scim_enabled("acme", True, actor=ADMIN)
    store.set_scim_enabled("acme", True, actor=ADMIN)  # no change: no line
    store.set_scim_enabled("acme", False)
    assert _ops(store, tenant.id) == [
        ("create", "Tenant", "acme", ("name",)),
        ("enable-scim", "Tenant", "acme", ("scimEnabled",)),
        ("disable-scim", "Tenant", "acme", ("scimEnabled",)),
    ]
    first, *_rest, last = _log(store, tenant.id)
    assert (first.actor_kind, first.actor_id, first.address) == (
        "admin-token",
        "sat_0123",
        "203.0.113.9",
    )
    assert (last.actor_kind, last.actor_id, last.address) == ("cli", "cli", None)
    assert store.get_tenant_by_id(tenant.id) == store.get_tenant("acme")
    assert store.get_tenant_by_id(tenant.id + 100) is None
    with pytest.raises(KeyError):
        store.set_scim_enabled("nope", True)


def test_key_expiry_is_normalised_and_updates_are_audited(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    new = credentials.generate(RANDOM)
    key = store.add_key(
        tenant.id,
        new.key_id,
        new.secret_hash,
        "entra",
        expires="2031-01-31T14:00:00+02:00",
        actor=ADMIN,
    )
    assert key.expires == "2031-01-31T12:00:00.000000Z" and key.label == "entra"
    assert store.update_key(key.key_id, label="okta").label == "okta"
    assert store.update_key(key.key_id, label="okta").label == "okta"  # no change
    updated = store.update_key(key.key_id, expires="2032-01-01")
    assert updated.expires == "2032-01-01T00:00:00.000000Z"
    assert store.update_key(key.key_id, clear_expiry=True).expires is None
    with pytest.raises(ValueError):
        store.update_key(key.key_id, expires="next tuesday")
    with pytest.raises(KeyError):
        store.update_key("sk_nope", label="x")
    assert _ops(store, tenant.id)[1:] == [
        ("create", "ApiKey", key.key_id, ("expires", "label", "secret")),
        ("update", "ApiKey", key.key_id, ("label",)),
        ("update", "ApiKey", key.key_id, ("expires",)),
        ("update", "ApiKey", key.key_id, ("expires",)),
    ]


def test_rotation_without_grace_forgets_the_old_secret(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    old = credentials.generate(RANDOM)
    store.add_key(tenant.id, old.key_id, old.secret_hash, "")
    fresh = credentials.generate(RANDOM)
    key = store.rotate_key(old.key_id, fresh.secret_hash)
    assert key.secret_hash == fresh.secret_hash
    assert key.previous_hash is None and key.previous_valid_until is None
    assert _ops(store, tenant.id)[-1] == ("rotate", "ApiKey", old.key_id, ("secret",))


def test_rotation_with_grace_keeps_the_old_secret_until_then(
    store: BlockingStore, wall: ManualClock
) -> None:
    tenant = store.create_tenant("acme")
    old = credentials.generate(RANDOM)
    store.add_key(tenant.id, old.key_id, old.secret_hash, "")
    fresh = credentials.generate(RANDOM)
    until = clock.shifted(wall.now(), 3600)
    assert until == "2025-01-31T13:00:00.000000Z"
    key = store.rotate_key(old.key_id, fresh.secret_hash, until)
    assert key.secret_hash == fresh.secret_hash
    assert key.previous_hash == old.secret_hash and key.previous_valid_until == until
    assert _ops(store, tenant.id)[-1] == (
        "rotate",
        "ApiKey",
        old.key_id,
        ("previousValidUntil", "secret"),
    )
    # A grace already over (by the store's clock) keeps nothing.
    wall.advance(3600)
    third = credentials.generate(RANDOM)
    key = store.rotate_key(old.key_id, third.secret_hash, until)
    assert key.previous_hash is None and key.previous_valid_until is None


def test_revocation_is_final_and_audited_once(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    new = credentials.generate(RANDOM)
    store.add_key(tenant.id, new.key_id, new.secret_hash, "")
    store.rotate_key(new.key_id, credentials.generate(RANDOM).secret_hash, "2025-02-01")
    key = store.revoke_key(new.key_id, actor=ADMIN)
    assert key.revoked is not None and key.previous_hash is None
    assert store.revoke_key(new.key_id).revoked == key.revoked
    with pytest.raises(ValueError):
        store.rotate_key(new.key_id, credentials.generate(RANDOM).secret_hash)
    with pytest.raises(KeyError):
        store.revoke_key("sk_nope")
    assert [op for op, *_ in _ops(store, tenant.id)] == ["create", "create", "rotate", "revoke"]


def test_key_use_is_in_memory_until_flushed(store: BlockingStore, tmp_path: Path) -> None:
    tenant = store.create_tenant("acme")
    new = credentials.generate(RANDOM)
    store.add_key(tenant.id, new.key_id, new.secret_hash, "")
    store.note_key_use(new.key_id, "198.51.100.7")
    seen = store.get_key(new.key_id)
    assert seen is not None and seen.last_used_from == "198.51.100.7"
    assert store.list_keys(tenant.id)[0].last_used == seen.last_used
    with sqlite3.connect(tmp_path / "admin.db") as raw:
        assert raw.execute("SELECT last_used FROM api_keys").fetchone() == (None,)
    store.flush_key_uses()
    with sqlite3.connect(tmp_path / "admin.db") as raw:
        assert raw.execute("SELECT last_used, last_used_from FROM api_keys").fetchone() == (
            seen.last_used,
            "198.51.100.7",
        )
    # An older use never overwrites a newer one; uses are not audited.
    store.record_key_use({new.key_id: ("2000-01-01T00:00:00.000000Z", "192.0.2.1")})
    assert store.get_key(new.key_id).last_used == seen.last_used  # type: ignore[union-attr]
    assert [op for op, *_ in _ops(store, tenant.id)] == ["create", "create"]


def test_close_flushes_pending_key_uses(tmp_path: Path) -> None:
    store = BlockingStore(SqliteStore(tmp_path / "close.db"))
    tenant = store.create_tenant("acme")
    new = credentials.generate(RANDOM)
    store.add_key(tenant.id, new.key_id, new.secret_hash, "")
    store.note_key_use(new.key_id, "::1")
    store.close()
    with sqlite3.connect(tmp_path / "close.db") as raw:
        assert raw.execute("SELECT last_used_from FROM api_keys").fetchone() == ("::1",)


def test_admin_tokens_are_hashed_listed_revoked_and_audited(store: BlockingStore) -> None:
    tenant = store.create_tenant("acme")
    other = store.create_tenant("other")
    tadmin = credentials.generate_admin(RANDOM, tenant_admin=True)
    op = credentials.generate_admin(RANDOM, tenant_admin=False)
    store.add_admin_token(tadmin.key_id, tadmin.secret_hash, tenant.id, "helpdesk")
    store.add_admin_token(op.key_id, op.secret_hash, None, actor=ADMIN)
    got = store.get_admin_token(tadmin.key_id)
    assert got is not None and got.tenant_id == tenant.id and got.secret_hash == tadmin.secret_hash
    assert [t.token_id for t in store.list_admin_tokens(tenant.id)] == [tadmin.key_id]
    assert store.list_admin_tokens(other.id) == []
    assert {t.token_id for t in store.list_admin_tokens()} == {tadmin.key_id, op.key_id}
    assert store.revoke_admin_token(tadmin.key_id).revoked is not None
    store.revoke_admin_token(tadmin.key_id)  # already revoked: no new line
    with pytest.raises(KeyError):
        store.revoke_admin_token("sat_nope")
    assert _ops(store, tenant.id)[1:] == [
        ("create", "AdminToken", tadmin.key_id, ("label", "secret")),
        ("revoke", "AdminToken", tadmin.key_id, ("revoked",)),
    ]
    assert _ops(store, OPERATOR_LOG) == [("create", "AdminToken", op.key_id, ("secret",))]
    assert _ops(store, other.id) == [("create", "Tenant", "other", ("name",))]


def test_delete_tenant_refuses_data_unless_forced(store: BlockingStore, tmp_path: Path) -> None:
    tenant = store.create_tenant("acme")
    new = credentials.generate(RANDOM)
    store.add_key(tenant.id, new.key_id, new.secret_hash, "")
    user = store.create(tenant.id, "User", normalize_resource({"userName": "a@x"}, USER))
    store.delete(tenant.id, "User", user.id)  # a tombstone is data too
    assert store.tenant_holds_data(tenant.id)
    with pytest.raises(ValueError, match="still holds"):
        store.delete_tenant("acme")
    with pytest.raises(KeyError):
        store.delete_tenant("nope")
    assert store.get_tenant("acme") is not None
    store.delete_tenant("acme", force=True, actor=ADMIN)
    assert store.get_tenant("acme") is None and store.get_key(new.key_id) is None
    with sqlite3.connect(tmp_path / "admin.db") as raw:
        for table in ("users", "api_keys", "audit"):
            assert raw.execute(
                f"SELECT count(*) FROM {table} WHERE tenant_id = ?", (tenant.id,)
            ).fetchone() == (0,), table
    assert _ops(store, OPERATOR_LOG) == [("purge", "Tenant", "acme", ())]
    # Nothing of it is left: a new tenant of the same name starts afresh.
    again = store.create_tenant("acme")
    assert _ops(store, again.id) == [("create", "Tenant", "acme", ("name",))]
    assert store.list_keys(again.id) == []


def test_delete_empty_tenant_keeps_its_log_out_of_reach(store: BlockingStore) -> None:
    tenant = store.create_tenant("empty")
    store.delete_tenant("empty")
    assert store.get_tenant("empty") is None
    assert _ops(store, tenant.id)[-1] == ("delete", "Tenant", "empty", ())
    reborn = store.create_tenant("empty")
    assert reborn.id > tenant.id
    assert _ops(store, reborn.id) == [("create", "Tenant", "empty", ("name",))]


def test_audit_log_is_append_only_in_sqlite_itself(store: BlockingStore, tmp_path: Path) -> None:
    store.create_tenant("acme")
    with sqlite3.connect(tmp_path / "admin.db") as raw:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE audit SET operation = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM audit")


def test_audit_log_pages_and_filters_by_time(store: BlockingStore, wall: ManualClock) -> None:
    tenant = store.create_tenant("acme")
    wall.advance(1e-6)
    middle = wall.now()
    for i in range(5):
        store.create(tenant.id, "User", normalize_resource({"userName": f"u{i}"}, USER))
    total, page = store.audit_log(tenant.id, offset=1, count=2)
    assert total == 6 and [e.operation for e in page] == ["create", "create"]
    assert [e.seq for e in page] == sorted(e.seq for e in page)
    since_total, since = store.audit_log(tenant.id, since=middle)
    assert since_total == 5 and all(e.resource_type == "User" for e in since)
    until_total, _ = store.audit_log(tenant.id, until=middle)
    assert until_total == 1
    assert store.audit_log(tenant.id, since="2999-01-01") == (0, [])
    with pytest.raises(ValueError):
        store.audit_log(tenant.id, since="yesterday")
    assert store.audit_log(tenant.id + 1) == (0, [])
    assert CLI_ACTOR.kind == "cli"


def test_a_version_3_database_migrates_with_its_keys_intact(tmp_path: Path) -> None:
    from scimdock.store.migrations import MIGRATIONS, _statements

    db = tmp_path / "v3.db"
    with sqlite3.connect(db) as raw:
        for step in MIGRATIONS[:3]:
            for statement in _statements(step.sqlite):
                raw.execute(statement)
        raw.execute("PRAGMA user_version = 3")
        raw.execute(
            "INSERT INTO tenants(id, name, scim_enabled, created) VALUES (1, 'old', 1, 'x')"
        )
        raw.execute(
            "INSERT INTO api_keys(key_id, tenant_id, secret_hash, created)"
            " VALUES ('sk_old', 1, x'00', 'x')"
        )
    store = BlockingStore(SqliteStore(db))
    try:
        key = store.get_key("sk_old")
        assert key is not None and key.previous_hash is None and key.tenant_name == "old"
        assert store.audit_log(1) == (0, [])
        store.set_scim_enabled("old", False)
        assert _ops(store, 1) == [("disable-scim", "Tenant", "old", ("scimEnabled",))]
    finally:
        store.close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)


def test_a_tenant_id_is_never_given_twice(store: BlockingStore) -> None:
    """Not even after a forced delete left no row of the tenant behind:
    anything kept by id must never pass to a new tenant."""
    first = store.create_tenant("first")
    gone = store.create_tenant("gone")
    store.delete_tenant("gone", force=True)
    again = store.create_tenant("gone")
    assert again.id not in (first.id, gone.id) and again.id > gone.id
    with pytest.raises(ValueError):
        store.create_tenant("first")  # a failed create burns no id either
    assert store.create_tenant("third").id == again.id + 1
