"""SCIM keys in SQLite (the ``api_keys`` table): the credential half of
:class:`store.sqlite.SqliteStore`.

A key is a key id and the SHA-256 of its secret (core.credentials). A
rotation replaces the hash; with a grace period the old hash stays in
``previous_hash`` until ``previous_valid_until``. Each change appends its
audit line (store.sqlite_audit) in the same transaction; a change that
changes nothing (revoking a revoked key, a label set to itself) writes and
records nothing. A revocation, an expiry or a tenant's SCIM switched
off takes effect from the next request on: :meth:`KeyTables.get_key` (once
per SCIM request, for authentication) keeps the rows it read only until a
key or tenant changes: it reads the ``key_epoch`` row, which triggers bump
on every change to a key or a tenant by anyone (this process, the CLI,
another server process on the same file; store/migrations.py, migration 5),
and reads a key's row again only when that number has moved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from scimdock.core import clock
from scimdock.core.clock import Clock
from scimdock.store import sqlite_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, ApiKey
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.key_use import KeyUses
from scimdock.store.sqlite_host import SqliteHost

_SELECT = """
    SELECT k.key_id, k.tenant_id, t.name, t.scim_enabled, k.secret_hash, k.label,
           k.created, k.expires, k.revoked, k.last_used, k.last_used_from,
           k.previous_hash, k.previous_valid_until, t.schema_tag
    FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
"""
KEY = "ApiKey"
#: Most key rows remembered between database changes (found keys only).
CACHED_KEYS = 1024


class KeyTables(SqliteHost):
    """Key methods of the SQLite store; the host class provides the
    connection, its lock, :meth:`_write` and the pending uses ``_uses``."""

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _uses: KeyUses
    _key_cache: dict[str, ApiKey]
    _key_cache_epoch: int
    _reads_committed: Callable[[sqlite3.Connection], bool]
    clock: Clock

    def add_key(
        self,
        tenant_id: int,
        key_id: str,
        secret_hash: bytes,
        label: str,
        *,
        expires: str | None = None,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        until = None if expires is None else clock.parse(expires)
        with self._write() as conn:
            now = self.clock.now()
            conn.execute(
                "INSERT INTO api_keys(key_id, tenant_id, secret_hash, label, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, tenant_id, secret_hash, label, now, until),
            )
            named = ["secret", *(["label"] if label else []), *(["expires"] if until else [])]
            audit.record(conn, tenant_id, actor, "create", KEY, key_id, named, at=now)
        return self._must(key_id)

    def get_key(self, key_id: str, *, last_use: bool = True) -> ApiKey | None:
        with self._lock:
            conn = self._conn
            cache = None if last_use else self._current_key_cache(conn)
            key = None if cache is None else cache.get(key_id)
            if key is None:
                row = conn.execute(_SELECT + " WHERE k.key_id = ?", (key_id,)).fetchone()
                if row is None:
                    return None
                key = _key(row)
                if cache is not None:
                    cache[key_id] = key
        return self._uses.merged(key) if last_use else key

    def _current_key_cache(self, conn: sqlite3.Connection) -> dict[str, ApiKey] | None:
        """The remembered key rows (authentication's, ``last_use=False``),
        emptied if the ``key_epoch`` row (migration 5: bumped by triggers on
        every change to a key or its tenant) has moved since they were read;
        ``None`` where ``conn`` may see uncommitted changes (inside a write,
        or a ``:memory:`` store's single connection): a row read there may
        yet be rolled back.

        One query, whatever happened meanwhile. (``PRAGMA data_version`` is
        no cheaper, and under writes it moves on nearly every request, so
        checking it first cost a second query; docs/performance-history.md#write-path.)"""
        if not self._reads_committed(conn):
            return None
        cache = self._key_cache
        (epoch,) = conn.execute("SELECT n FROM key_epoch").fetchone()
        if epoch != self._key_cache_epoch or len(cache) >= CACHED_KEYS:
            self._key_cache_epoch = epoch
            cache.clear()
        return cache

    def list_keys(self, tenant_id: int) -> list[ApiKey]:
        with self._lock:
            rows = self._conn.execute(
                _SELECT + " WHERE k.tenant_id = ? ORDER BY k.created, k.key_id", (tenant_id,)
            ).fetchall()
        return [self._uses.merged(_key(r)) for r in rows]

    def revoke_key(self, key_id: str, *, actor: Actor = CLI_ACTOR) -> ApiKey:
        with self._write() as conn:
            key = self._existing(key_id)
            if key.revoked is None:
                now = self.clock.now()
                conn.execute(
                    "UPDATE api_keys SET revoked = ?, previous_hash = NULL,"
                    " previous_valid_until = NULL WHERE key_id = ?",
                    (now, key_id),
                )
                audit.record(conn, key.tenant_id, actor, "revoke", KEY, key_id, ["revoked"], at=now)
        return self._must(key_id)

    def update_key(
        self,
        key_id: str,
        *,
        label: str | None = None,
        expires: str | None = None,
        clear_expiry: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        until = None if expires is None else clock.parse(expires)
        with self._write() as conn:
            key = self._existing(key_id)
            new_label = key.label if label is None else label
            new_expires = None if clear_expiry else (key.expires if until is None else until)
            named = [
                name
                for name, old, new in (
                    ("label", key.label, new_label),
                    ("expires", key.expires, new_expires),
                )
                if old != new
            ]
            if named:
                conn.execute(
                    "UPDATE api_keys SET label = ?, expires = ? WHERE key_id = ?",
                    (new_label, new_expires, key_id),
                )
                audit.record(
                    conn, key.tenant_id, actor, "update", KEY, key_id, named, at=self.clock.now()
                )
        return self._must(key_id)

    def rotate_key(
        self,
        key_id: str,
        secret_hash: bytes,
        grace_until: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        """``ValueError`` for a revoked key: a revocation is final."""
        until = None if grace_until is None else clock.parse(grace_until)
        with self._write() as conn:
            key = self._existing(key_id)
            if key.revoked is not None:
                raise Conflict(f"key {key_id!r} is revoked: create a new key instead")
            now = self.clock.now()
            previous = key.secret_hash if until is not None and until > now else None
            conn.execute(
                "UPDATE api_keys SET secret_hash = ?, previous_hash = ?,"
                " previous_valid_until = ? WHERE key_id = ?",
                (secret_hash, previous, until if previous is not None else None, key_id),
            )
            named = ["secret", *(["previousValidUntil"] if previous is not None else [])]
            audit.record(conn, key.tenant_id, actor, "rotate", KEY, key_id, named, at=now)
        return self._must(key_id)

    def record_key_use(self, uses: dict[str, tuple[str, str | None]]) -> None:
        """One transaction for the batch; an older use never overwrites a
        newer one. Not audited: a use changes nothing the client owns."""
        if not uses:
            return
        with self._write() as conn:
            conn.executemany(
                "UPDATE api_keys SET last_used = ?, last_used_from = ?"
                " WHERE key_id = ? AND (last_used IS NULL OR last_used < ?)",
                [(at, address, key_id, at) for key_id, (at, address) in uses.items()],
            )

    def note_key_use(self, key_id: str, address: str | None) -> None:
        self._uses.note(key_id, self.clock.now(), address)

    def flush_key_uses(self) -> None:
        uses = self._uses.take()
        try:
            self.record_key_use(uses)
        except BaseException:
            self._uses.restore(uses)  # kept for the next flush
            raise

    def _existing(self, key_id: str) -> ApiKey:
        row = self._conn.execute(_SELECT + " WHERE k.key_id = ?", (key_id,)).fetchone()
        if row is None:
            raise NotFound(f"no key {key_id!r}")
        return _key(row)

    def _must(self, key_id: str) -> ApiKey:
        key = self.get_key(key_id)
        assert key is not None
        return key


def _key(row: tuple[Any, ...]) -> ApiKey:
    return ApiKey(
        row[0],
        row[1],
        row[2],
        bool(row[3]),
        bytes(row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        None if row[11] is None else bytes(row[11]),
        row[12],
        int(row[13]),
    )
