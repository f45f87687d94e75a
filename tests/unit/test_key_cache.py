"""The key rows authentication reads, remembered between requests
(store.sql_keys): kept across the server's own user writes, never kept
past a change to a key or its tenant, whoever made it. "Another process"
is a second store on the same file, as the CLI is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scimdock.core import clock, credentials
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.store.base import ApiKey
from scimdock.store.blocking import BlockingStore
from scimdock.store.sqlite import SqliteStore

RANDOM = credentials.SYSTEM_RANDOM


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[BlockingStore, BlockingStore, int, str]]:
    """(server's store, another process's store, tenant id, key id)."""
    server = BlockingStore(SqliteStore(tmp_path / "keys.db"))
    tenant = server.create_tenant("acme")
    server.set_scim_enabled("acme", True)
    new = credentials.generate(RANDOM)
    server.add_key(tenant.id, new.key_id, new.secret_hash, "")
    other = BlockingStore(SqliteStore(tmp_path / "keys.db"))
    yield server, other, tenant.id, new.key_id
    other.close()
    server.close()


def key_reads(store: BlockingStore, call: Callable[[], object]) -> int:
    """Statements that read ``api_keys`` on the store's reader during ``call``."""
    seen: list[str] = []
    conn = store.store._engine._conn  # outside a write: the reader, which authentication uses
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return sum("FROM api_keys" in statement for statement in seen)


def auth_row(store: BlockingStore, key_id: str) -> ApiKey:
    key = store.get_key(key_id, last_use=False)
    assert key is not None
    return key


def test_the_row_is_read_once_across_the_servers_own_writes(world: tuple) -> None:
    server, _, tenant, key_id = world
    assert key_reads(server, lambda: auth_row(server, key_id)) == 1
    for i in range(3):
        server.create(tenant, "User", normalize_resource({"userName": f"u{i}"}, USER))
        server.note_key_use(key_id, "192.0.2.1")
        server.flush_key_uses()  # a last use is no change to what auth reads
        assert key_reads(server, lambda: auth_row(server, key_id)) == 0


@pytest.mark.parametrize(
    "change",
    [
        "revoke",
        "rotate",
        "expire",
        "scim off",
        "delete tenant",
    ],
)
def test_a_change_by_another_process_is_seen_by_the_next_read(world: tuple, change: str) -> None:
    server, other, tenant, key_id = world
    before = auth_row(server, key_id)
    server.create(tenant, "User", normalize_resource({"userName": "kept"}, USER))
    if change == "revoke":
        other.revoke_key(key_id)
    elif change == "rotate":
        other.rotate_key(key_id, credentials.generate(RANDOM).secret_hash)
    elif change == "expire":
        other.update_key(key_id, expires=clock.shifted(other.clock.now(), -1))
    elif change == "scim off":
        other.set_scim_enabled("acme", False)
    else:
        other.delete_tenant("acme", force=True)
    after = server.get_key(key_id, last_use=False)
    if change == "delete tenant":
        assert after is None
        return
    assert after is not None and after != before
    assert (after.revoked, after.secret_hash, after.expires, after.tenant_scim_enabled) == (
        (other_row := other.get_key(key_id, last_use=False)).revoked,  # type: ignore[union-attr]
        other_row.secret_hash,
        other_row.expires,
        other_row.tenant_scim_enabled,
    )


def test_a_change_by_the_server_itself_is_seen_by_the_next_read(world: tuple) -> None:
    server, _, _, key_id = world
    auth_row(server, key_id)
    server.revoke_key(key_id)
    assert auth_row(server, key_id).revoked is not None


def test_the_full_row_shows_a_flushed_last_use(world: tuple) -> None:
    server, _, _, key_id = world
    auth_row(server, key_id)
    server.note_key_use(key_id, "198.51.100.7")
    server.flush_key_uses()
    shown = server.get_key(key_id)
    assert shown is not None and shown.last_used_from == "198.51.100.7"
