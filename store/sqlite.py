"""The embedded SQLite store: :class:`scimdock.store.base.Store` over the
synchronous engine (:mod:`scimdock.store.sqlite_engine`).

Where each call runs, so that no tenant's work holds up another's:

* **point reads** (a key, a tenant, one user or group by id, one user's
  groups) run on the event loop: indexed lookups of one resource's rows,
  cheaper than a hop to a thread;
* **lists, searches and member reads** run on a pool of reader threads,
  each with its own connection (WAL readers never wait for each other or
  for a write), within the store's time budget (:class:`OverBudget` past
  it); ``sqlite3`` releases the GIL while SQLite works, so the loop keeps
  serving meanwhile;
* **SCIM writes** go to the one commit thread, which commits every write
  queued meanwhile together, with one fsync (store.group_commit);
* **administrative writes** (tenants, keys, tombstones) run on a thread of
  their own, a transaction each.

The reader threads run under ``SCHED_IDLE`` (:func:`_yield_to_the_loop`):
on a core the loop needs, the loop goes first.

A write the disk refuses (full, or an I/O error) raises
:class:`~scimdock.store.errors.Unavailable` (store.sqlite_unavailable):
SQLite has rolled it back, and the next write is tried afresh.

A ``:memory:`` database has one connection: everything runs on the loop,
lists and searches within the same time budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from scimdock.core.clock import Clock
from scimdock.core.membership import GroupChange, Member
from scimdock.core.query import ListQuery
from scimdock.store import metrics
from scimdock.store.base import (
    CLI_ACTOR,
    QUERY_BUDGET,
    Actor,
    AdminToken,
    ApiKey,
    AuditEntry,
    GroupRecord,
    Membership,
    SchemaExtension,
    Store,
    Tenant,
    TenantSchema,
    Tombstone,
    UserRecord,
)
from scimdock.store.sqlite_engine import SqliteEngine
from scimdock.store.sqlite_unavailable import disk_refusals

T = TypeVar("T")


async def _now(call: Callable[[], T]) -> T:
    """``call()`` on the loop, as an awaitable."""
    return call()


async def _timed(histogram: Any, work: Awaitable[T]) -> T:
    """``await work``, its time observed in ``histogram`` when metrics are on."""
    if not metrics.ENABLED:
        return await work
    started = perf_counter()
    try:
        return await work
    finally:
        histogram.observe(perf_counter() - started)


def _yield_to_the_loop() -> None:
    """Put the calling reader thread under Linux's ``SCHED_IDLE`` (sched(7);
    no privilege needed): it runs whenever its core has nothing else to run,
    at full speed on an otherwise idle core, but the event loop (and the
    commit thread) take the core from it as soon as they have work. One
    tenant's long scan then costs the others' point reads, served on the
    loop, nothing more than the scan's GIL hand-offs (bench/noisy.py,
    docs/performance-history.md#noisy-neighbour-cpu). The price: on a core the loop
    keeps busy, a list waits for the loop to pause, and past the query
    budget it ends with ``tooMany``. Elsewhere, or where the call is refused
    (a sandbox's seccomp), nothing changes."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux; refused
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


#: Reader threads: reads of this many requests run at once.
READERS = 4


class SqliteStore(Store):
    """The store on one SQLite file (WAL, ``synchronous=FULL``)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        clock: Clock | None = None,
        readers: int = READERS,
        query_budget: float | None = QUERY_BUDGET,
    ) -> None:
        self._engine = SqliteEngine(path, synchronous=synchronous, clock=clock)
        self.clock = self._engine.clock
        self.path = self._engine.path
        self.query_budget = query_budget
        self._pool = ThreadPoolExecutor(
            readers, thread_name_prefix="scimdock-reader", initializer=_yield_to_the_loop
        )
        # Administrative writes hold the writer's lock, which the commit
        # thread waits for: they run at the normal priority, one at a time.
        self._admin = ThreadPoolExecutor(1, thread_name_prefix="scimdock-admin")

    # Each dispatch is timed by where it runs (store.metrics) once enabled.
    async def _inline(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not metrics.ENABLED:
            return call(*args, **kwargs)
        started = perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            metrics.INLINE.observe(perf_counter() - started)

    async def _read(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        bounded = partial(
            self._engine.read_within, self.query_budget, partial(call, *args, **kwargs)
        )
        if self._engine.in_memory:
            return await _timed(metrics.READ, _now(bounded))  # on the loop, within the budget
        return await _timed(
            metrics.READ, asyncio.get_running_loop().run_in_executor(self._pool, bounded)
        )

    async def _offload(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with disk_refusals():
            if self._engine.in_memory:
                return await _timed(metrics.OFFLOAD, _now(partial(call, *args, **kwargs)))
            return await _timed(
                metrics.OFFLOAD,
                asyncio.get_running_loop().run_in_executor(
                    self._admin, partial(call, *args, **kwargs)
                ),
            )

    async def _commit(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with disk_refusals():
            return await _timed(
                metrics.COMMIT, self._engine.durable(partial(call, *args, **kwargs))
            )

    async def ready(self) -> bool:
        """The schema version (``PRAGMA user_version``) read on a reader
        thread, against the number of migrations (store.migrations)."""
        try:
            return await self._read(self._engine.schema_current)
        except Exception:  # any database error: not ready (the probe says 503)
            return False

    def note_key_use(self, key_id: str, address: str | None) -> None:
        self._engine.note_key_use(key_id, address)

    async def close(self) -> None:
        """Let the reads and the commit in flight finish, write the key uses
        still in memory, then close."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._pool.shutdown)
        await loop.run_in_executor(None, self._admin.shutdown)
        self._engine.close()

    def close_now(self) -> None:
        """:meth:`close` from outside an event loop (at process exit)."""
        self._pool.shutdown()
        self._admin.shutdown()
        self._engine.close()

    async def create_tenant(self, name: str, *, actor: Actor = CLI_ACTOR) -> Tenant:
        return await self._offload(self._engine.create_tenant, name, actor=actor)

    async def get_tenant(self, name: str) -> Tenant | None:
        return await self._inline(self._engine.get_tenant, name)

    async def list_tenants(self) -> list[Tenant]:
        return await self._read(
            self._engine.list_tenants,
        )

    async def set_scim_enabled(
        self, name: str, enabled: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        return await self._offload(self._engine.set_scim_enabled, name, enabled, actor=actor)

    async def add_key(
        self,
        tenant_id: int,
        key_id: str,
        secret_hash: bytes,
        label: str,
        *,
        expires: str | None = None,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        return await self._offload(
            self._engine.add_key,
            tenant_id,
            key_id,
            secret_hash,
            label,
            expires=expires,
            actor=actor,
        )

    async def get_key(self, key_id: str, *, last_use: bool = True) -> ApiKey | None:
        return await self._inline(self._engine.get_key, key_id, last_use=last_use)

    async def list_keys(self, tenant_id: int) -> list[ApiKey]:
        return await self._read(self._engine.list_keys, tenant_id)

    async def revoke_key(self, key_id: str, *, actor: Actor = CLI_ACTOR) -> ApiKey:
        return await self._offload(self._engine.revoke_key, key_id, actor=actor)

    async def update_key(
        self,
        key_id: str,
        *,
        label: str | None = None,
        expires: str | None = None,
        clear_expiry: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        return await self._offload(
            self._engine.update_key,
            key_id,
            label=label,
            expires=expires,
            clear_expiry=clear_expiry,
            actor=actor,
        )

    async def rotate_key(
        self,
        key_id: str,
        secret_hash: bytes,
        grace_until: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        return await self._offload(
            self._engine.rotate_key, key_id, secret_hash, grace_until, actor=actor
        )

    async def record_key_use(self, uses: dict[str, tuple[str, str | None]]) -> None:
        return await self._offload(self._engine.record_key_use, uses)

    async def flush_key_uses(self) -> None:
        return await self._commit(
            self._engine.flush_key_uses,
        )

    async def add_admin_token(
        self,
        token_id: str,
        secret_hash: bytes,
        tenant_id: int | None,
        label: str = "",
        *,
        actor: Actor = CLI_ACTOR,
    ) -> AdminToken:
        return await self._offload(
            self._engine.add_admin_token, token_id, secret_hash, tenant_id, label, actor=actor
        )

    async def get_admin_token(self, token_id: str) -> AdminToken | None:
        return await self._inline(self._engine.get_admin_token, token_id)

    async def list_admin_tokens(self, tenant_id: int | None = None) -> list[AdminToken]:
        return await self._read(self._engine.list_admin_tokens, tenant_id)

    async def revoke_admin_token(self, token_id: str, *, actor: Actor = CLI_ACTOR) -> AdminToken:
        return await self._offload(self._engine.revoke_admin_token, token_id, actor=actor)

    async def get_tenant_by_id(self, tenant_id: int) -> Tenant | None:
        return await self._inline(self._engine.get_tenant_by_id, tenant_id)

    async def tenant_holds_data(self, tenant_id: int) -> bool:
        return await self._inline(self._engine.tenant_holds_data, tenant_id)

    async def delete_tenant(
        self, name: str, *, force: bool = False, actor: Actor = CLI_ACTOR
    ) -> None:
        return await self._offload(self._engine.delete_tenant, name, force=force, actor=actor)

    async def reset_tenant_data(
        self, tenant_id: int, *, actor: Actor = CLI_ACTOR
    ) -> tuple[int, int]:
        return await self._offload(self._engine.reset_tenant_data, tenant_id, actor=actor)

    async def add_schema_extension(
        self,
        tenant_id: int,
        urn: str,
        resource_type: str,
        definition: dict[str, Any],
        *,
        required: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> SchemaExtension:
        return await self._offload(
            self._engine.add_schema_extension,
            tenant_id,
            urn,
            resource_type,
            definition,
            required=required,
            actor=actor,
        )

    async def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        # A point read of a few rows, on every SCIM request: on the loop.
        return await self._inline(self._engine.list_schema_extensions, tenant_id)

    async def tenant_schema(self, tenant_id: int) -> TenantSchema:
        # A point read, when a request meets a schema tag it has not built.
        return await self._inline(self._engine.tenant_schema, tenant_id)

    async def set_user_name_case_exact(
        self, tenant_id: int, exact: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        return await self._offload(
            self._engine.set_user_name_case_exact, tenant_id, exact, actor=actor
        )

    async def remove_schema_extension(
        self, tenant_id: int, urn: str, *, actor: Actor = CLI_ACTOR
    ) -> SchemaExtension:
        return await self._offload(
            self._engine.remove_schema_extension, tenant_id, urn, actor=actor
        )

    async def list_tombstones(self, tenant_id: int) -> list[Tombstone]:
        return await self._read(self._engine.list_tombstones, tenant_id)

    async def restore_user(
        self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        return await self._offload(self._engine.restore_user, tenant_id, user_id, actor=actor)

    async def purge_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> None:
        return await self._offload(self._engine.purge_user, tenant_id, user_id, actor=actor)

    async def purge_tombstones(
        self, tenant_id: int, older_than: str, *, actor: Actor = CLI_ACTOR
    ) -> list[str]:
        return await self._offload(
            self._engine.purge_tombstones, tenant_id, older_than, actor=actor
        )

    async def lookup_user(
        self, tenant_id: int, *, user_id: str | None = None, user_name: str | None = None
    ) -> UserRecord | Tombstone | None:
        return await self._inline(
            self._engine.lookup_user, tenant_id, user_id=user_id, user_name=user_name
        )

    async def audit_log(
        self,
        tenant_id: int,
        *,
        since: str | None = None,
        until: str | None = None,
        offset: int = 0,
        count: int = 100,
    ) -> tuple[int, list[AuditEntry]]:
        return await self._read(
            self._engine.audit_log, tenant_id, since=since, until=until, offset=offset, count=count
        )

    async def create_user(
        self, tenant_id: int, doc: dict[str, Any], *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        return await self._commit(self._engine.create_user, tenant_id, doc, actor=actor)

    async def get_user(self, tenant_id: int, user_id: str) -> UserRecord:
        return await self._inline(self._engine.get_user, tenant_id, user_id)

    async def update_user(
        self,
        tenant_id: int,
        user_id: str,
        change: Callable[[UserRecord], dict[str, Any]],
        if_match: str | None = None,
        *,
        operation: str = "replace",
        actor: Actor = CLI_ACTOR,
    ) -> UserRecord:
        return await self._commit(
            self._engine.update_user,
            tenant_id,
            user_id,
            change,
            if_match,
            operation=operation,
            actor=actor,
        )

    async def delete_user(
        self, tenant_id: int, user_id: str, if_match: str | None = None, *, actor: Actor = CLI_ACTOR
    ) -> None:
        return await self._commit(
            self._engine.delete_user, tenant_id, user_id, if_match, actor=actor
        )

    async def list_users(self, tenant_id: int, query: ListQuery) -> tuple[int, list[UserRecord]]:
        return await self._read(self._engine.list_users, tenant_id, query)

    async def create_users(
        self, tenant_id: int, docs: list[dict[str, Any]], *, actor: Actor = CLI_ACTOR
    ) -> int:
        return await self._offload(self._engine.create_users, tenant_id, docs, actor=actor)

    async def create_group(
        self,
        tenant_id: int,
        doc: dict[str, Any],
        members: tuple[Member, ...] = (),
        *,
        with_members: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> GroupRecord:
        return await self._commit(
            self._engine.create_group,
            tenant_id,
            doc,
            members,
            with_members=with_members,
            actor=actor,
        )

    async def get_group(
        self, tenant_id: int, group_id: str, *, with_members: bool = False
    ) -> GroupRecord:
        if with_members:
            return await self._read(
                self._engine.get_group, tenant_id, group_id, with_members=with_members
            )
        return await self._inline(
            self._engine.get_group, tenant_id, group_id, with_members=with_members
        )

    async def list_groups(
        self, tenant_id: int, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[GroupRecord]]:
        return await self._read(
            self._engine.list_groups, tenant_id, query, with_members=with_members
        )

    async def update_group(
        self,
        tenant_id: int,
        group_id: str,
        change: Callable[[GroupRecord], GroupChange],
        if_match: str | None = None,
        *,
        with_members: bool = False,
        operation: str = "replace",
        actor: Actor = CLI_ACTOR,
    ) -> GroupRecord:
        return await self._commit(
            self._engine.update_group,
            tenant_id,
            group_id,
            change,
            if_match,
            with_members=with_members,
            operation=operation,
            actor=actor,
        )

    async def delete_group(
        self,
        tenant_id: int,
        group_id: str,
        if_match: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> None:
        return await self._commit(
            self._engine.delete_group, tenant_id, group_id, if_match, actor=actor
        )

    async def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        # One user's groups (a GET by id) is a point read: its own rows of
        # the membership index, not a scan a client's filter can widen.
        if len(user_ids) == 1:
            return await self._inline(self._engine.user_groups, tenant_id, user_ids)
        return await self._read(self._engine.user_groups, tenant_id, user_ids)
