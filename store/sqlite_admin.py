"""Tombstones, purge, the sign-in lookup and the audit log in SQLite: the
operator half of :class:`store.sqlite.SqliteStore` for users.

A SCIM DELETE keeps the user's row with ``deleted`` set (a tombstone: 404
to SCIM, data kept; its memberships end at delete time,
store.sqlite_members.drop_resource). An operator can restore it (same id,
a new version; the partial unique index over live rows makes a ``userName``
taken meanwhile a 409) or purge it: the row is DELETEd for good, with
``secure_delete`` on so SQLite overwrites the freed bytes, and the WAL is
checkpointed so no old copy of the page stays in it. Each change appends
its audit line in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import orjson

from scimdock.core import clock
from scimdock.core.clock import Clock
from scimdock.store import sqlite_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, AuditEntry, Tombstone, UserRecord
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.sqlite_host import SqliteHost, case_exact
from scimdock.store.tenant_schema import user_name_key

USER = "User"
_LIVE = "SELECT id, doc, created, last_modified, version FROM users"
_DEAD = "SELECT id, user_name, deleted, doc FROM users"


class AdminTables(SqliteHost):
    """The host class provides the connection, its lock and :meth:`_write`."""

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _checkpoint: Callable[[], None]
    clock: Clock

    def list_tombstones(self, tenant_id: int) -> list[Tombstone]:
        with self._lock:
            rows = self._conn.execute(
                f"{_DEAD} WHERE tenant_id = ? AND deleted IS NOT NULL ORDER BY deleted, seq",
                (tenant_id,),
            ).fetchall()
        return [_tombstone(r) for r in rows]

    def restore_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> UserRecord:
        """Group memberships ended at delete time and are not restored."""
        with self._write() as conn:
            row = conn.execute(
                f"{_LIVE} WHERE tenant_id = ? AND id = ? AND deleted IS NOT NULL",
                (tenant_id, user_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"No deleted User {user_id} in this tenant")
            now, version = self.clock.now(), int(row[4]) + 1
            try:
                conn.execute(
                    "UPDATE users SET deleted = NULL, last_modified = ?, version = ?"
                    " WHERE tenant_id = ? AND id = ?",
                    (now, version, tenant_id, user_id),
                )
            except sqlite3.IntegrityError as exc:
                if "user_name_key" not in str(exc):
                    raise  # not the userName index: a bug, not a conflict
                doc = orjson.loads(row[1])
                raise Conflict(
                    f"userName {doc['userName']!r} has been taken by another user"
                    " since this one was deleted"
                ) from None
            audit.record(conn, tenant_id, actor, "restore", USER, user_id, at=now)
        return UserRecord(row[0], orjson.loads(row[1]), row[2], now, version)

    def purge_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> None:
        if not self._purge(tenant_id, [user_id], actor):
            raise NotFound(f"No deleted User {user_id} in this tenant")

    def purge_tombstones(
        self, tenant_id: int, older_than: str, *, actor: Actor = CLI_ACTOR
    ) -> list[str]:
        """``older_than``: ISO 8601, ``ValueError`` if unreadable."""
        before = clock.parse(older_than)
        with self._lock:
            ids = [
                r[0]
                for r in self._conn.execute(
                    "SELECT id FROM users WHERE tenant_id = ? AND deleted IS NOT NULL"
                    " AND deleted < ? ORDER BY deleted, seq",
                    (tenant_id, before),
                )
            ]
        return self._purge(tenant_id, ids, actor)

    def _purge(self, tenant_id: int, ids: list[str], actor: Actor) -> list[str]:
        """DELETE these tombstones (live users are left alone); the ids purged."""
        if not ids:
            return []
        purged: list[str] = []
        with self._write() as conn:
            now = self.clock.now()
            conn.execute("PRAGMA secure_delete = ON")
            try:
                for user_id in ids:
                    cur = conn.execute(
                        "DELETE FROM users WHERE tenant_id = ? AND id = ? AND deleted IS NOT NULL",
                        (tenant_id, user_id),
                    )
                    if cur.rowcount:
                        purged.append(user_id)
                        audit.record(conn, tenant_id, actor, "purge", USER, user_id, at=now)
            finally:
                conn.execute("PRAGMA secure_delete = FAST")
        if purged:
            # Best effort: a reader in another process may keep old frames.
            self._checkpoint()
        return purged

    def lookup_user(
        self, tenant_id: int, *, user_id: str | None = None, user_name: str | None = None
    ) -> UserRecord | Tombstone | None:
        if (user_id is None) == (user_name is None):
            raise TypeError("lookup_user needs exactly one of user_id and user_name")
        with self._lock:
            column, value = (
                ("id", user_id)
                if user_name is None
                else (
                    "user_name_key",
                    user_name_key(str(user_name), case_exact(self._conn, tenant_id)),
                )
            )
            live = self._conn.execute(
                f"{_LIVE} WHERE tenant_id = ? AND {column} = ? AND deleted IS NULL",
                (tenant_id, value),
            ).fetchone()
            if live is not None:
                return UserRecord(live[0], orjson.loads(live[1]), live[2], live[3], live[4])
            dead = self._conn.execute(
                f"{_DEAD} WHERE tenant_id = ? AND deleted IS NOT NULL AND {column} = ?"
                " ORDER BY deleted DESC, seq DESC LIMIT 1",
                (tenant_id, value),
            ).fetchone()
        return _tombstone(dead) if dead else None

    def audit_log(
        self,
        tenant_id: int,
        *,
        since: str | None = None,
        until: str | None = None,
        offset: int = 0,
        count: int = 100,
    ) -> tuple[int, list[AuditEntry]]:
        start = None if since is None else clock.parse(since)
        end = None if until is None else clock.parse(until)
        with self._lock:
            return audit.read(self._conn, tenant_id, start, end, offset, count)


def _tombstone(row: tuple[Any, ...]) -> Tombstone:
    return Tombstone(row[0], row[1], row[2], orjson.loads(row[3]))
