"""The storage interface the HTTP layer and the CLI program against.

Every method that reads or writes the database is awaited: a backend keeps
the event loop free while it works (SQLite on reader threads and one commit
thread, PostgreSQL on its own connections), and no tenant's query holds up
another's. Every resource method takes the tenant id first: there is no
call that can reach another tenant's rows. What the client caused comes out
as a domain error of :mod:`scimdock.store.errors` (not found, conflict,
precondition failed, invalid reference, a filter or sort refused, over
budget); the HTTP edge turns each into its SCIM Error. An acknowledged
write is durable: a method that changes something returns only once the
change is committed to disk.

:class:`Store` implements every method once, for every backend: each
operation is a transaction script (store.sqlscript, ``store/sql_*.py``)
written with the backend's :class:`~scimdock.store.sqldialect.Dialect`,
handed to one of the runners a backend provides (:meth:`Store._point`,
:meth:`Store._scan`, :meth:`Store._admin`, :meth:`Store._change`, and
:meth:`Store._one` / :meth:`Store._rows` for the one-statement reads of
every request). A backend is its connections, where each runner runs, and
a driver.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from scimdock.core.clock import Clock, parse
from scimdock.core.membership import GroupChange, Member
from scimdock.core.query import ListQuery
from scimdock.store import sql_audit
from scimdock.store import sql_extensions as extensions
from scimdock.store import sql_groups as groups
from scimdock.store import sql_keys as keys
from scimdock.store import sql_members as members
from scimdock.store import sql_tenants as tenants
from scimdock.store import sql_users as users
from scimdock.store.counters import Counters
from scimdock.store.errors import NotFound
from scimdock.store.key_use import KeyUses
from scimdock.store.records import (
    CLI_ACTOR,
    OPERATOR_LOG,
    QUERY_BUDGET,
    Actor,
    AdminToken,
    ApiKey,
    AuditEntry,
    GroupRecord,
    MemberRecord,
    Membership,
    SchemaExtension,
    Stamp,
    Tenant,
    TenantSchema,
    Tombstone,
    UserRecord,
)
from scimdock.store.sql_keys import KeyCache
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script

__all__ = [
    "Actor",
    "AdminToken",
    "ApiKey",
    "AuditEntry",
    "CLI_ACTOR",
    "GroupRecord",
    "MemberRecord",
    "Membership",
    "OPERATOR_LOG",
    "QUERY_BUDGET",
    "SchemaExtension",
    "Store",
    "Tenant",
    "TenantSchema",
    "Tombstone",
    "UserRecord",
]

T = TypeVar("T")


class Store(ABC):
    """Tenants, credentials, users and groups.

    Every method that changes something takes the ``actor`` who asked and
    appends one :class:`AuditEntry` (operation, resource, names of the
    attributes changed) in the same transaction as the change: a change is
    never acknowledged without its audit line, and a write that changes
    nothing records nothing. ``operation`` names what the client did
    (``create``, ``replace``, ``patch``, ``delete``, ...).

    Every timestamp a store writes (``meta.created``, ``lastModified``, a
    tombstone's ``deleted``, an audit line's ``at``, a key's last use) is
    read from its :attr:`clock`, given at construction; the handlers
    compare expiries and grace periods against the same clock.
    """

    #: Where this store's "now" comes from (core.clock).
    clock: Clock
    #: The SQL of this backend where backends differ (store.sqldialect).
    dialect: Dialect
    #: Key uses noted in memory, not yet written (store.key_use).
    _uses: KeyUses
    #: The key rows authentication remembers (``None``: none remembered).
    _key_cache: KeyCache | None
    #: The limits' counters, shared by every process on the database
    #: (store.counters, handlers.throttle).
    counters: Counters

    # --- how a backend runs a transaction script (store.sqlscript) ----
    @abstractmethod
    async def _point(self, script: Script[T]) -> T:
        """A read of a few rows by an index (a key, one resource by id):
        committed data, no budget."""

    @abstractmethod
    async def _scan(self, script: Script[T], *, budget: bool = True) -> T:
        """A read of many rows (a list, a search), within the query
        budget (:class:`~scimdock.store.errors.OverBudget` past it)."""

    @abstractmethod
    async def _admin(self, script: Script[T]) -> T:
        """An administrative write: one transaction, committed on return."""

    @abstractmethod
    async def _change(self, script: Script[T]) -> T:
        """A SCIM write: one transaction, durable on return."""

    @abstractmethod
    async def _one(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        """The first row of one statement (``?`` placeholders), a point
        read: :meth:`_point` without a script, for the reads of every request."""

    @abstractmethod
    async def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        """Every row of one statement, a point read."""

    async def _purge(self, script: Script[list[str]]) -> list[str]:
        """A write that deletes rows for good: :meth:`_admin`, unless the
        backend must do more to leave no copy of the bytes behind."""
        return await self._admin(script)

    def _now(self) -> str:
        return self.clock.now()

    # --- tenants (store.sql_tenants) ---------------------------------
    async def create_tenant(self, name: str, *, actor: Actor = CLI_ACTOR) -> Tenant:
        return await self._admin(tenants.create(self.dialect, name, actor, self._now()))

    async def get_tenant(self, name: str) -> Tenant | None:
        return await self._point(tenants.where(self.dialect, "name", name))

    async def list_tenants(self) -> list[Tenant]:
        return await self._scan(tenants.listed(self.dialect), budget=False)

    async def set_scim_enabled(
        self, name: str, enabled: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        script = tenants.set_scim_enabled(self.dialect, name, enabled, actor, self._now())
        return await self._admin(script)

    # --- credentials (store.sql_keys) --------------------------------
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
        until = None if expires is None else parse(expires)
        key = await self._admin(
            keys.add(self.dialect, tenant_id, key_id, secret_hash, label, until, actor, self._now())
        )
        return self._uses.merged(key)

    async def get_key(self, key_id: str, *, last_use: bool = True) -> ApiKey | None:
        """The key, with its last use noted in memory. ``last_use=False``
        (authentication, which never reads the last use): a row that may
        be remembered between requests, whose last use may be behind."""
        cache = None if last_use else self._key_cache
        if cache is None:
            key = await self._point(keys.get(self.dialect, key_id))
            return self._uses.merged(key) if key is not None and last_use else key
        # Once per SCIM request: two point reads, the second only when the
        # row is not remembered under the epoch just read (store.sql_keys).
        epoch = await self._one(keys.EPOCH, ())
        remembered = cache.at(int(epoch[0]) if epoch else -1)
        key = remembered.get(key_id)
        if key is None:
            row = await self._one(keys.BY_ID, (key_id,))
            if row is None:
                return None
            key = remembered[key_id] = keys.key_of(row)
        return key

    async def list_keys(self, tenant_id: int) -> list[ApiKey]:
        found = await self._scan(keys.listed(self.dialect, tenant_id), budget=False)
        return [self._uses.merged(key) for key in found]

    async def revoke_key(self, key_id: str, *, actor: Actor = CLI_ACTOR) -> ApiKey:
        key = await self._admin(keys.revoke(self.dialect, key_id, actor, self._now()))
        return self._uses.merged(key)

    async def update_key(
        self,
        key_id: str,
        *,
        label: str | None = None,
        expires: str | None = None,
        clear_expiry: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        """Change a key's label and/or expiry (ISO 8601 UTC); :class:`NotFound` if unknown."""
        until = None if expires is None else parse(expires)
        script = keys.update(self.dialect, key_id, label, until, clear_expiry, actor, self._now())
        return self._uses.merged(await self._admin(script))

    async def rotate_key(
        self,
        key_id: str,
        secret_hash: bytes,
        grace_until: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        """Give the key a new secret. With ``grace_until`` the old secret stays
        valid until then; without, it is refused from the next request on."""
        until = None if grace_until is None else parse(grace_until)
        script = keys.rotate(self.dialect, key_id, secret_hash, until, actor, self._now())
        return self._uses.merged(await self._admin(script))

    async def record_key_use(self, uses: dict[str, tuple[str, str | None]]) -> None:
        """Persist ``key id -> (last used at, from address)`` (batched by the caller)."""
        if uses:
            await self._admin(keys.record_uses(self.dialect, uses))

    def note_key_use(self, key_id: str, address: str | None) -> None:
        """Remember, in memory only, that a key was just used from ``address``.
        :meth:`get_key` and :meth:`list_keys` show it at once; it reaches the
        database at the next :meth:`flush_key_uses` (and at :meth:`close`)."""
        self._uses.note(key_id, self._now(), address)

    async def flush_key_uses(self) -> None:
        """Persist the uses noted since the last flush, in one write."""
        if self._uses.pending:
            await self._change(keys.flush(self.dialect, self._uses))

    # --- admin tokens (store.sql_tenants) ----------------------------
    async def add_admin_token(
        self,
        token_id: str,
        secret_hash: bytes,
        tenant_id: int | None,
        label: str = "",
        *,
        actor: Actor = CLI_ACTOR,
    ) -> AdminToken:
        script = tenants.add_token(
            self.dialect, token_id, secret_hash, tenant_id, label, actor, self._now()
        )
        return await self._admin(script)

    async def get_admin_token(self, token_id: str) -> AdminToken | None:
        return await self._point(tenants.token(self.dialect, token_id))

    async def list_admin_tokens(self, tenant_id: int | None = None) -> list[AdminToken]:
        return await self._scan(tenants.tokens(self.dialect, tenant_id), budget=False)

    async def revoke_admin_token(self, token_id: str, *, actor: Actor = CLI_ACTOR) -> AdminToken:
        return await self._admin(tenants.revoke_token(self.dialect, token_id, actor, self._now()))

    # --- tenants (operator) -------------------------------------------
    async def get_tenant_by_id(self, tenant_id: int) -> Tenant | None:
        return await self._point(tenants.where(self.dialect, "id", tenant_id))

    async def tenant_holds_data(self, tenant_id: int) -> bool:
        """Whether any user or group row (live or tombstoned) belongs to it."""
        return await self._point(tenants.holds_data(self.dialect, tenant_id))

    async def delete_tenant(
        self, name: str, *, force: bool = False, actor: Actor = CLI_ACTOR
    ) -> None:
        """Remove a tenant and its keys; with ``force`` also all its users,
        groups and audit log. Without ``force`` a tenant holding data raises
        :class:`Conflict`. :class:`NotFound` if unknown."""
        await self._admin(tenants.delete(self.dialect, name, force, actor, self._now()))

    async def reset_tenant_data(
        self, tenant_id: int, *, actor: Actor = CLI_ACTOR
    ) -> tuple[int, int]:
        """Remove all the tenant's users (live and tombstoned), groups and
        memberships at once; keep the tenant, its keys, admin tokens and
        audit log, which gets one ``reset`` line (resource type ``Tenant``).
        ``(users, groups)`` removed. :class:`NotFound` if unknown."""
        return await self._admin(tenants.reset(self.dialect, tenant_id, actor, self._now()))

    # --- schema extensions (core.extensions; store.sql_extensions) --
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
        """Register an extension; :class:`Conflict` if the tenant has one of
        that URN (case-insensitive). Audited as ``create`` of ``Schema``."""
        script = extensions.add(
            self.dialect, tenant_id, urn, resource_type, definition, required, actor, self._now()
        )
        return await self._admin(script)

    async def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        """The tenant's extensions, oldest first."""
        # A point read of a few rows, on every SCIM request.
        return await self._point(extensions.listed(self.dialect, tenant_id))

    async def tenant_schema(self, tenant_id: int) -> TenantSchema:
        """The tag, the userName choice and the extensions, as of one moment.
        :class:`NotFound` for an unknown tenant."""
        # A point read, when a request meets a schema tag it has not built.
        return await self._point(extensions.schema(self.dialect, tenant_id))

    async def set_user_name_case_exact(
        self, tenant_id: int, exact: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        """Tell the tenant's userNames apart as given (``exact``) or
        case-folded (RFC 7643 §4.1.1), re-keying every user of the tenant in
        the same transaction. :class:`Conflict`, naming two of them, when
        live users would then share a userName; :class:`NotFound` for an
        unknown tenant. Writes and audits nothing when it is already so."""
        script = extensions.set_case_exact(self.dialect, tenant_id, exact, actor, self._now())
        return await self._admin(script)

    async def remove_schema_extension(
        self, tenant_id: int, urn: str, *, actor: Actor = CLI_ACTOR
    ) -> SchemaExtension:
        """Unregister (case-insensitive URN); the values resources hold under
        it are kept. :class:`NotFound` if unknown. Audited as ``delete``."""
        return await self._admin(
            extensions.remove(self.dialect, tenant_id, urn, actor, self._now())
        )

    # --- tombstones and purge (operator; store.sql_users) ------------
    async def list_tombstones(self, tenant_id: int) -> list[Tombstone]:
        return await self._scan(users.tombstones(self.dialect, tenant_id), budget=False)

    async def restore_user(
        self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        """Bring a tombstoned user back with the same id (a new version);
        :class:`NotFound` if there is no such tombstone, :class:`Conflict` if a live user
        took its ``userName`` meanwhile."""
        return await self._admin(
            users.restore(self.dialect, tenant_id, user_id, actor, self._now())
        )

    async def purge_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> None:
        """Delete a tombstoned user's rows for good; :class:`NotFound` if not a tombstone."""
        if not await self._purge(
            users.purge(self.dialect, tenant_id, [user_id], actor, self._now())
        ):
            raise NotFound(f"No deleted User {user_id} in this tenant")

    async def purge_tombstones(
        self, tenant_id: int, older_than: str, *, actor: Actor = CLI_ACTOR
    ) -> list[str]:
        """Purge every tombstone deleted before ``older_than`` (ISO 8601,
        ``ValueError`` if unreadable); the purged ids."""
        ids = await self._point(users.dead_before(self.dialect, tenant_id, parse(older_than)))
        if not ids:
            return []
        return await self._purge(users.purge(self.dialect, tenant_id, ids, actor, self._now()))

    async def lookup_user(
        self, tenant_id: int, *, user_id: str | None = None, user_name: str | None = None
    ) -> UserRecord | Tombstone | None:
        """A user by id or by ``userName`` (case-insensitive), tombstones
        included: the live user, else its tombstone (by name: the most
        recently deleted), else ``None``. For the sign-in check."""
        if (user_id is None) == (user_name is None):
            raise TypeError("lookup_user needs exactly one of user_id and user_name")
        return await self._point(users.lookup(self.dialect, tenant_id, user_id, user_name))

    # --- audit log (store.sql_audit) ----------------------------------
    async def audit_log(
        self,
        tenant_id: int,
        *,
        since: str | None = None,
        until: str | None = None,
        offset: int = 0,
        count: int = 100,
    ) -> tuple[int, list[AuditEntry]]:
        """``(total, page)`` of the tenant's audit entries, oldest first;
        ``since`` inclusive, ``until`` exclusive (ISO 8601, ``ValueError``
        if unreadable). :data:`OPERATOR_LOG` reads the operator log."""
        start = None if since is None else parse(since)
        end = None if until is None else parse(until)
        script = sql_audit.read(self.dialect, tenant_id, start, end, offset, count)
        return await self._scan(script, budget=False)

    # --- users (store.sql_users) --------------------------------------
    async def create_user(
        self, tenant_id: int, doc: dict[str, Any], *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        return await self._change(users.create(self.dialect, tenant_id, doc, actor, self._now()))

    async def get_user(self, tenant_id: int, user_id: str) -> UserRecord:
        return users.live(self.dialect, await self._one(users.BY_ID, (tenant_id, user_id)), user_id)

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
        """Read, ``change`` and write back in one transaction (PUT and PATCH).

        ``change`` gets the current record and returns the new document, or
        raises (a :class:`~scimdock.core.errors.ScimError` of the core) to abort with nothing written. ``if_match``
        is the request's If-Match header (RFC 7644 §3.14): stale → :class:`PreconditionFailed`.
        """
        script = users.update(
            self.dialect, tenant_id, user_id, change, if_match, operation, actor, self._now
        )
        return await self._change(script)

    async def delete_user(
        self, tenant_id: int, user_id: str, if_match: str | None = None, *, actor: Actor = CLI_ACTOR
    ) -> None:
        """Hide the user from SCIM (:class:`NotFound` from now on) but keep its row."""
        script = users.delete(self.dialect, tenant_id, user_id, if_match, actor, self._now())
        await self._change(script)

    async def list_users(self, tenant_id: int, query: ListQuery) -> tuple[int, list[UserRecord]]:
        """``(totalResults, page)`` for a query: ``query.count`` rows from
        ``query.offset``, or with ``query.keyset`` the rows after
        ``query.after``, each with its ``position``. ``totalResults``
        counts every match of the filter, whatever the page."""
        return await self._scan(users.listed(self.dialect, tenant_id, query))

    async def create_users(
        self,
        tenant_id: int,
        docs: list[dict[str, Any]],
        *,
        actor: Actor = CLI_ACTOR,
        given: Sequence[Stamp | None] | None = None,
    ) -> int:
        """Create many users at once (seeding, benchmarks); return how many.

        Each document is what :meth:`create_user` takes (already normalised
        by :func:`core.resource.normalize_resource`); ``given``, one per
        document, the id and ``meta`` to keep (:data:`Stamp`). All or
        nothing, in one transaction: a ``userName`` taken in the tenant or
        repeated in the batch raises the same :class:`Conflict` as
        :meth:`create_user`, an id the tenant holds a :class:`Conflict`,
        and nothing is written.
        """
        if not docs:
            return 0
        d, now = self.dialect, self._now()
        exact = await self._point(extensions.case_exact(d, tenant_id, lock=False))
        built = exact, users.batch(d, tenant_id, docs, exact, now, given)  # before the write
        script = users.create_many(d, tenant_id, docs, built, actor, now, given)
        try:
            return await self._admin(script)
        except users.BatchTaken:
            taken = await self._point(users.first_taken(d, tenant_id, docs, exact))
            if taken is None:
                raise
            raise users.taken(taken) from None

    # --- groups (store.sql_groups, store.sql_members) ----------------
    # Members are rows beside the group, never part of ``doc``. Member ids
    # are matched case-folded (core.membership); every member must be a
    # live user or group of the same tenant, else :class:`InvalidReference` and
    # nothing is written. Deleting a user or a group removes its memberships.
    async def create_group(
        self,
        tenant_id: int,
        doc: dict[str, Any],
        members: tuple[Member, ...] = (),
        *,
        with_members: bool = False,
        actor: Actor = CLI_ACTOR,
        given: Stamp | None = None,
    ) -> GroupRecord:
        """A new group with these members; ``displayName`` (or the id
        ``given`` keeps, :data:`Stamp`) taken → :class:`Conflict`."""
        script = groups.create(
            self.dialect, tenant_id, doc, members, with_members, actor, self._now(), given
        )
        return await self._change(script)

    async def get_group(
        self, tenant_id: int, group_id: str, *, with_members: bool = False
    ) -> GroupRecord:
        """The group; its members are read only ``with_members``."""
        script = groups.get(self.dialect, tenant_id, group_id, with_members)
        # Members may be many: a scan; the group alone is a point read.
        return await (self._scan(script, budget=False) if with_members else self._point(script))

    async def list_groups(
        self, tenant_id: int, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[GroupRecord]]:
        """``(totalResults, page)``; members of the whole page in one read."""
        return await self._scan(groups.listed(self.dialect, tenant_id, query, with_members))

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
        """PUT and PATCH in one transaction: ``change`` gets the current
        record (without members) and returns the new document and the
        membership actions (add, remove, clear, replace, rewrite), applied
        in order; any error writes nothing. Stale ``if_match`` → :class:`PreconditionFailed`. A
        change that changes nothing (members already there) keeps the
        version and writes nothing."""
        script = groups.update(
            self.dialect,
            tenant_id,
            group_id,
            change,
            if_match,
            with_members,
            operation,
            actor,
            self._now,
        )
        return await self._change(script)

    async def delete_group(
        self,
        tenant_id: int,
        group_id: str,
        if_match: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> None:
        """Hide the group (:class:`NotFound` from now on), keep its row, drop its
        memberships both ways."""
        script = groups.delete(self.dialect, tenant_id, group_id, if_match, actor, self._now())
        await self._change(script)

    async def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        """The groups each user is in, directly or through nested groups,
        for a page of users at once (RFC 7643 §4.1.2)."""
        if len(user_ids) != 1:
            return await self._scan(members.user_groups(self.dialect, tenant_id, user_ids))
        # One user's groups (a GET by id) is a point read: its own rows of
        # the membership index, not a scan a client's filter can widen. Its
        # direct groups first, in one statement: most users stop there.
        sql, params = members.direct_groups(self.dialect, tenant_id, user_ids)
        direct = await self._rows(sql, params)
        if not direct:
            return {user_ids[0]: []}
        return await self._point(members.user_groups(self.dialect, tenant_id, user_ids, direct))

    @abstractmethod
    async def ready(self) -> bool:
        """Whether the database answers a query now and its schema is the
        latest this code knows (a readiness probe: ``/readyz``). False,
        never an exception, when the database cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...
