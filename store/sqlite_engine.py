"""The embedded SQLite store's engine (stdlib :mod:`sqlite3`): the
synchronous methods :class:`scimdock.store.sqlite.SqliteStore` runs on
reader threads, the commit thread or the loop.

Durability: WAL journal with ``synchronous=FULL``, so a write is on disk
before the request that made it is acknowledged. Uniqueness of ``userName``
is a partial unique index over the key of each live row's name
(store.tenant_schema), not a read-then-write check. Filters and sorts compile to parameterised SQL
(:mod:`store.sqlfilter`) and run in the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

from scimdock.core.audit import changed
from scimdock.core.clock import Clock, SystemClock
from scimdock.core.query import ListQuery
from scimdock.core.schema import USER
from scimdock.store import sqlite_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, UserRecord
from scimdock.store.errors import Conflict, NotFound, OverBudget, check_version
from scimdock.store.group_commit import GroupCommit
from scimdock.store.migrations import MIGRATIONS, migrate
from scimdock.store.sqldialect import SQLITE
from scimdock.store.sqlfilter import compile_filter, register_functions
from scimdock.store.sqlfold import folded_json
from scimdock.store.sqlite_admin import USER as USER_TYPE
from scimdock.store.sqlite_admin import AdminTables
from scimdock.store.sqlite_groups import GroupTables
from scimdock.store.sqlite_host import case_exact, drive
from scimdock.store.sqlite_members import drop_resource
from scimdock.store.sqlscript import Script
from scimdock.store.sqlsort import keyset_sql, order_clause, position
from scimdock.store.tenant_schema import check_batch, user_name_key

_USER_COLUMNS = "id, doc, created, last_modified, version"
_HELD = nullcontext()
#: How many SQLite virtual-machine steps between two looks at a read's
#: deadline: a look costs a Python call, ten thousand steps well under 1 ms.
PROGRESS_STEPS = 10_000
T = TypeVar("T")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    register_functions(conn)
    return conn


class SqliteEngine(AdminTables, GroupTables):
    """One writer connection per process, and a reader connection per thread.

    Groups and memberships: :class:`store.sqlite_groups.GroupTables`;
    tombstones, purge and
    the audit log: :class:`store.sqlite_admin.AdminTables`. Every write
    appends its audit line in its own transaction (store.sqlite_audit).

    Every write runs in a transaction of the writer connection (``BEGIN
    IMMEDIATE``, so concurrent processes on the same file serialise
    cleanly), under the writer lock. Reads outside a write use the reader
    connection (``query_only``), which in WAL mode sees every committed
    write and never waits for one in flight; reads inside a write use the
    writer, so they see the write's own changes. Each thread reads on a
    connection of its own, so reads on several threads run side by side;
    :meth:`read_within` bounds one read's time with a progress handler.
    :class:`~scimdock.store.sqlite.SqliteStore` writes through
    :meth:`durable` (store.group_commit); tests call the write methods
    directly, one transaction and one commit per call.
    """

    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", clock: Clock | None = None
    ) -> None:
        self.path = str(path)
        self.clock: Clock = SystemClock() if clock is None else clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._wlock = threading.Lock()
        self._rlock = threading.RLock()
        self._readers: list[sqlite3.Connection] = []
        writer = self._wconn = _connect(self.path)
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
        # Deleted content is zeroed where that costs no extra I/O; a purge
        # turns it fully on (store.sqlite_admin).
        writer.execute("PRAGMA secure_delete=FAST")
        migrate(writer)
        #: ``:memory:`` has one connection: a second would be another database.
        self.in_memory = self.path == ":memory:"
        if self.in_memory:
            # Its one connection serves the reads too: bound them as a
            # reader's (:meth:`read_within`; writes set no deadline).
            writer.set_progress_handler(self._interrupt, PROGRESS_STEPS)
        self._commits = GroupCommit(writer, self._wlock, self._local)

    @property
    def _rconn(self) -> sqlite3.Connection:
        """This thread's reader (``query_only``), opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if conn is None:
            if self.in_memory:
                conn = self._wconn
            else:
                conn = _connect(self.path)
                conn.execute("PRAGMA query_only=ON")
                conn.set_progress_handler(self._interrupt, PROGRESS_STEPS)
                with self._rlock:
                    self._readers.append(conn)
            self._local.reader = conn
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """The writer inside a write on this thread, else this thread's reader."""
        local = self._local
        if getattr(local, "depth", 0):
            return self._wconn
        reader: sqlite3.Connection | None = getattr(local, "reader", None)
        return self._rconn if reader is None else reader  # one property call per read

    def _reads_committed(self, conn: sqlite3.Connection) -> bool:
        """Whether ``conn`` sees only committed data: a reader, if it is
        not the writer too (store.sql_keys)."""
        return conn is not self._wconn

    @property
    def _lock(self) -> AbstractContextManager[Any]:
        """What guards :attr:`_conn` on this thread: nothing but the
        connection being this thread's own, except for ``:memory:``, whose
        one connection every thread shares."""
        return self._rlock if self.in_memory and not getattr(self._local, "depth", 0) else _HELD

    def read_within(self, seconds: float | None, read: Callable[[], T]) -> T:
        """``read()`` on this thread, stopped with :class:`OverBudget` when
        it runs past ``seconds`` (``None``: no limit). SQLite calls
        :meth:`_interrupt` every :data:`PROGRESS_STEPS` virtual-machine
        steps; past the deadline it makes the statement fail."""
        if seconds is None:
            return read()
        self._local.deadline = time.monotonic() + seconds
        try:
            return read()
        except sqlite3.OperationalError as exc:
            if str(exc) != "interrupted":
                raise
            raise OverBudget(
                f"The query ran past the server's budget of {seconds:g} s: narrow the"
                " filter, or ask for fewer results"
            ) from None
        finally:
            self._local.deadline = None

    def schema_current(self) -> bool:
        """Whether the database answers and holds every migration of
        :mod:`store.migrations` (another process may have opened it with
        older or newer code)."""
        with self._lock:
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        return bool(version == len(MIGRATIONS))

    def _interrupt(self) -> int:
        deadline: float | None = getattr(self._local, "deadline", None)
        return int(deadline is not None and time.monotonic() > deadline)

    async def durable(self, write: Callable[[], T]) -> T:
        if self.in_memory:
            # ``:memory:``: one connection, nothing to sync. Writing here, on
            # the loop, keeps reads from ever meeting a batch in flight.
            return write()
        return cast(T, await self._commits.run(write))

    def read(self, script: Script[T]) -> T:
        """Run a read script (store.sqlscript) on this thread's connection."""
        with self._lock:
            return drive(self._conn, script)

    def write(self, script: Script[T]) -> T:
        """Run a write script in one transaction of the writer (or a
        savepoint of the one this thread has open: store.group_commit)."""
        with self._write() as conn:
            return drive(conn, script)

    def close(self, last: Script[None] | None = None) -> None:
        """Let the commit in flight finish, write ``last`` (the key uses
        still in memory), then close."""
        self._commits.close()
        try:
            if last is not None:
                self.write(last)
        finally:
            for reader in self._readers:
                reader.close()
            self._wconn.close()

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it (not inside
        a write: the checkpoint needs the writer free)."""
        if not getattr(self._local, "depth", 0):
            with self._wlock:
                self._wconn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A transaction on the writer, or a savepoint inside the one this
        thread already has open (a batch of store.group_commit, or an outer
        write); rolled back on any error."""
        local = self._local
        conn = self._wconn
        depth = getattr(local, "depth", 0)
        if depth:
            local.depth = depth + 1
            conn.execute("SAVEPOINT w")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK TO w")
                        conn.execute("RELEASE w")
                    except BaseException:
                        local.broken = True  # the enclosing transaction must go
                        raise
                raise
            finally:
                local.depth = depth
            conn.execute("RELEASE w")
            return
        with self._wlock:
            conn.execute("BEGIN IMMEDIATE")
            local.depth = 1
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                local.depth = 0

    # --- users --------------------------------------------------------
    def create_user(
        self, tenant_id: int, doc: dict[str, Any], *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        user_id = str(uuid.uuid4())
        now = self.clock.now()
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO users(tenant_id, id, user_name, user_name_key, external_id,"
                    " active, doc, doc_fold, created, last_modified, version)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    (tenant_id, user_id, *_columns(doc, case_exact(conn, tenant_id)), now, now),
                )
            except sqlite3.IntegrityError as exc:
                if "user_name_key" not in str(exc):
                    raise  # not the userName index: a bug, not a client's conflict
                raise _user_name_taken(doc) from None
            audit.record(
                conn, tenant_id, actor, "create", USER_TYPE, user_id, changed(None, doc), at=now
            )
        return UserRecord(user_id, doc, now, now, 1)

    def get_user(self, tenant_id: int, user_id: str) -> UserRecord:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = ? AND id = ? AND deleted IS NULL",
            (tenant_id, user_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"User {user_id} not found")
        return _user(row)

    def update_user(
        self,
        tenant_id: int,
        user_id: str,
        change: Callable[[UserRecord], dict[str, Any]],
        if_match: str | None = None,
        *,
        operation: str = "replace",
        actor: Actor = CLI_ACTOR,
    ) -> UserRecord:
        with self._write() as conn:
            current = self.get_user(tenant_id, user_id)
            check_version(if_match, current.version)
            doc = change(current)
            if doc == current.doc:
                # Nothing changed: no write, same version (RFC 7644 §3.14;
                # Entra re-sends unchanged PATCHes every cycle).
                return current
            now = self.clock.now()
            version = current.version + 1
            try:
                conn.execute(
                    "UPDATE users SET user_name = ?, user_name_key = ?, external_id = ?,"
                    " active = ?, doc = ?, doc_fold = ?, last_modified = ?, version = ?"
                    " WHERE tenant_id = ? AND id = ?",
                    (*_columns(doc, case_exact(conn, tenant_id)), now, version, tenant_id, user_id),
                )
            except sqlite3.IntegrityError as exc:
                if "user_name_key" not in str(exc):
                    raise  # not the userName index: a bug, not a client's conflict
                raise _user_name_taken(doc) from None
            audit.record(
                conn,
                tenant_id,
                actor,
                operation,
                USER_TYPE,
                user_id,
                changed(current.doc, doc),
                at=now,
            )
        return UserRecord(user_id, doc, current.created, now, version)

    def delete_user(
        self, tenant_id: int, user_id: str, if_match: str | None = None, *, actor: Actor = CLI_ACTOR
    ) -> None:
        with self._write() as conn:
            current = self.get_user(tenant_id, user_id)
            check_version(if_match, current.version)
            now = self.clock.now()
            conn.execute(
                "UPDATE users SET deleted = ? WHERE tenant_id = ? AND id = ?",
                (now, tenant_id, user_id),
            )
            drop_resource(conn, tenant_id, user_id, "User", now)
            audit.record(conn, tenant_id, actor, "delete", USER_TYPE, user_id, at=now)

    def list_users(self, tenant_id: int, query: ListQuery) -> tuple[int, list[UserRecord]]:
        where = "tenant_id = ? AND deleted IS NULL"
        params: list[object] = [tenant_id]
        if query.filter is not None:
            sql, args = compile_filter(
                query.filter, query.resource_type or USER, dialect=SQLITE, tenant_id=tenant_id
            )
            where += f" AND ({sql})"
            params.extend(args)
        (total,) = self._conn.execute(
            f"SELECT count(*) FROM users WHERE {where}", params
        ).fetchone()
        if query.count <= 0 or query.offset >= total:
            return total, []
        rt = query.resource_type or USER
        order = order_clause(query.sort_by, rt, descending=query.descending, dialect=SQLITE)
        if query.keyset:  # RFC 9865: after a position, not an offset
            columns, after, args = keyset_sql(query, rt, dialect=SQLITE)
            rows = self._conn.execute(
                f"SELECT {_USER_COLUMNS}, {columns} FROM users WHERE {where}{after}"
                f" ORDER BY {order} LIMIT ?",
                [*params, *args, query.count],
            ).fetchall()
            return total, [replace(_user(r), position=position(r)) for r in rows]
        rows = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, query.count, query.offset],
        ).fetchall()
        return total, [_user(r) for r in rows]

    def create_users(
        self, tenant_id: int, docs: list[dict[str, Any]], *, actor: Actor = CLI_ACTOR
    ) -> int:
        """One ``BEGIN IMMEDIATE`` transaction and one ``executemany``: the
        same rows :meth:`create_user` writes (audit lines included), one
        commit (one fsync) for all."""
        now = self.clock.now()
        exact = case_exact(self._conn, tenant_id)
        rows = _rows(tenant_id, docs, exact, now)  # built before the writer is taken
        try:
            with self._write() as conn:
                if case_exact(conn, tenant_id) != exact:  # switched meanwhile
                    exact = not exact
                    rows = _rows(tenant_id, docs, exact, now)
                conn.executemany(
                    "INSERT INTO users(tenant_id, id, user_name, user_name_key, external_id,"
                    " active, doc, doc_fold, created, last_modified, version)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    rows,
                )
                audit.record_many(
                    conn,
                    tenant_id,
                    actor,
                    "create",
                    USER_TYPE,
                    [(row[1], changed(None, doc)) for row, doc in zip(rows, docs, strict=False)],
                    at=now,
                )
        except sqlite3.IntegrityError:
            taken = self._first_taken(tenant_id, docs, exact)
            if taken is None:
                raise
            raise _user_name_taken(taken) from None
        return len(rows)

    def _first_taken(
        self, tenant_id: int, docs: list[dict[str, Any]], exact: bool
    ) -> dict[str, Any] | None:
        """The first document whose ``userName`` a live user already has
        (after the failed batch was rolled back)."""
        for start in range(0, len(docs), 500):
            chunk = docs[start : start + 500]
            folds = [user_name_key(str(doc["userName"]), exact) for doc in chunk]
            marks = ", ".join("?" * len(folds))
            found = {
                row[0]
                for row in self._conn.execute(
                    "SELECT user_name_key FROM users WHERE tenant_id = ? AND deleted IS NULL"
                    f" AND user_name_key IN ({marks})",
                    [tenant_id, *folds],
                )
            }
            for doc, folded in zip(chunk, folds, strict=False):
                if folded in found:
                    return doc
        return None


def _columns(doc: dict[str, Any], exact: bool) -> tuple[str, str, str | None, int | None, str, str]:
    """The indexed columns derived from a user document (the userName's
    key as the tenant compares it: ``exact``, store.tenant_schema), then
    the document and its folded form (store.sqlfold)."""
    user_name = str(doc["userName"])
    active = doc.get("active")
    external_id = doc.get("externalId")
    return (
        user_name,
        user_name_key(user_name, exact),
        None if external_id is None else str(external_id),
        None if active is None else int(active),
        orjson.dumps(doc).decode(),
        folded_json(doc, USER),
    )


def _rows(
    tenant_id: int, docs: list[dict[str, Any]], exact: bool, now: str
) -> list[tuple[Any, ...]]:
    """The rows :meth:`SqliteEngine.create_users` inserts; a userName
    repeated in the batch is refused here."""
    check_batch(docs, exact)
    return [(tenant_id, str(uuid.uuid4()), *_columns(doc, exact), now, now) for doc in docs]


def _user(row: tuple[Any, ...]) -> UserRecord:
    return UserRecord(row[0], orjson.loads(row[1]), row[2], row[3], row[4])


def _user_name_taken(doc: dict[str, Any]) -> Conflict:
    return Conflict(f"userName {doc['userName']!r} is already taken in this tenant")
