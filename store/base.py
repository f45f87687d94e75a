"""The storage interface the HTTP layer and the CLI program against.

Every method that reads or writes the database is awaited: a backend keeps
the event loop free while it works (SQLite on reader threads and one commit
thread, PostgreSQL on its own connections), and no tenant's query holds up
another's. Every resource method takes the tenant id first: there is no
call that can reach another tenant's rows. What the client caused comes out
as a domain error of :mod:`scimdock.store.errors` (not found, conflict,
precondition failed, invalid reference, over budget); the HTTP edge turns
each into its SCIM Error. An acknowledged write is durable: a method that
changes something returns only once the change is committed to disk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scimdock.core.clock import Clock
from scimdock.core.membership import GroupChange, Member
from scimdock.core.query import ListQuery, Position
from scimdock.store.counters import Counters

T = TypeVar("T")


#: The longest a list or search may run, in seconds (``SCIMDOCK_QUERY_BUDGET``),
#: on every backend; over it the store raises :class:`~scimdock.store.errors.OverBudget`.
QUERY_BUDGET = 10.0


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    scim_enabled: bool
    created: str
    #: ``userName`` compared as given, not case-folded, in this tenant's
    #: uniqueness and filters (a behaviour profile: core.profile).
    user_name_case_exact: bool = False
    #: Moves with every change to the tenant's resource types (extensions,
    #: ``user_name_case_exact``); 0: the server's own types, unchanged.
    schema_tag: int = 0


@dataclass(frozen=True)
class ApiKey:
    """A credential's stored form: never the secret, only its hash."""

    key_id: str
    tenant_id: int
    tenant_name: str
    tenant_scim_enabled: bool
    secret_hash: bytes
    label: str
    created: str
    expires: str | None
    revoked: str | None
    last_used: str | None
    last_used_from: str | None = None
    #: After a rotation with a grace period: the old secret's hash, valid
    #: until ``previous_valid_until``.
    previous_hash: bytes | None = None
    previous_valid_until: str | None = None
    #: The tenant's :attr:`Tenant.schema_tag` as of this read.
    tenant_schema_tag: int = 0


@dataclass(frozen=True)
class Actor:
    """Who made a change, for the audit log: the credential (``kind`` is
    ``"scim-key"`` with a SCIM key id, ``"admin-token"`` with an admin token
    id, ``"operator"`` for SCIMDOCK_ADMIN_TOKEN, ``"cli"`` for a shell
    command) and the client address it came from. Never a secret."""

    kind: str
    id: str
    address: str | None = None


CLI_ACTOR = Actor("cli", "cli")

#: The tenant id of the operator's own audit log: changes that belong to no
#: tenant (operator tokens, tenant deletions). No tenant has id 0.
OPERATOR_LOG = 0


@dataclass(frozen=True)
class AuditEntry:
    """One line of a tenant's append-only audit log: who, what, when, from
    where. ``attributes`` names what changed (``name.givenName``,
    ``members``); values, secrets and passwords are never recorded."""

    seq: int
    at: str
    tenant_id: int
    actor_kind: str
    actor_id: str
    address: str | None
    operation: str
    resource_type: str
    resource_id: str
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class AdminToken:
    """An admin credential's stored form: ``tenant_id`` ``None`` is an
    operator token (everything), else a tenant-admin token (that tenant's
    self-service endpoints only)."""

    token_id: str
    tenant_id: int | None
    secret_hash: bytes
    label: str
    created: str
    revoked: str | None


@dataclass(frozen=True)
class Tombstone:
    """A user hidden from SCIM by DELETE, data kept until an operator purges it."""

    id: str
    user_name: str
    deleted: str
    doc: dict[str, Any]


@dataclass(frozen=True)
class UserRecord:
    id: str
    doc: dict[str, Any]
    created: str
    last_modified: str
    version: int
    #: Where it stands in a keyset list (``ListQuery.keyset``), else ``None``.
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MemberRecord:
    """A member of a group: its id, ``"User"`` or ``"Group"``, and the name
    to show (a user's ``displayName`` or else ``userName``; a group's
    ``displayName``), RFC 7643 §4.2."""

    id: str
    type: str
    display: str | None


@dataclass(frozen=True)
class GroupRecord:
    """A stored group: ``doc`` without ``members``; ``members`` only when
    the caller asked for them (``None`` = not read)."""

    id: str
    doc: dict[str, Any]
    created: str
    last_modified: str
    version: int
    members: tuple[MemberRecord, ...] | None = None
    #: Where it stands in a keyset list (``ListQuery.keyset``), else ``None``.
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Membership:
    """A group a user is in (RFC 7643 §4.1.2 ``groups``): ``direct`` when
    the user is a member of it, else through nested groups."""

    id: str
    display: str
    direct: bool


@dataclass(frozen=True)
class TenantSchema:
    """What a tenant's resource types are built from, read together: its
    :attr:`Tenant.schema_tag`, whether ``userName`` is case-exact, and its
    extensions, oldest first."""

    tag: int
    user_name_case_exact: bool
    extensions: list[SchemaExtension]


@dataclass(frozen=True)
class SchemaExtension:
    """A tenant's extension schema (RFC 7643 §3.3, §7; core.extensions):
    the resource type it extends (``User`` or ``Group``), whether resources
    must include it (RFC 7643 §6), and its checked definition."""

    urn: str
    resource_type: str
    required: bool
    definition: dict[str, Any]
    created: str


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
    #: The limits' counters, shared by every process on the database
    #: (store.counters, handlers.throttle).
    counters: Counters

    # --- tenants ------------------------------------------------------
    @abstractmethod
    async def create_tenant(self, name: str, *, actor: Actor = CLI_ACTOR) -> Tenant: ...

    @abstractmethod
    async def get_tenant(self, name: str) -> Tenant | None: ...

    @abstractmethod
    async def list_tenants(self) -> list[Tenant]: ...

    @abstractmethod
    async def set_scim_enabled(
        self, name: str, enabled: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant: ...

    # --- credentials --------------------------------------------------
    @abstractmethod
    async def add_key(
        self,
        tenant_id: int,
        key_id: str,
        secret_hash: bytes,
        label: str,
        *,
        expires: str | None = None,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey: ...

    @abstractmethod
    async def get_key(self, key_id: str, *, last_use: bool = True) -> ApiKey | None:
        """The key, with its last use noted in memory. ``last_use=False``
        (authentication, which never reads the last use): a row that may
        be remembered between requests, whose last use may be behind."""

    @abstractmethod
    async def list_keys(self, tenant_id: int) -> list[ApiKey]: ...

    @abstractmethod
    async def revoke_key(self, key_id: str, *, actor: Actor = CLI_ACTOR) -> ApiKey: ...

    @abstractmethod
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

    @abstractmethod
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

    @abstractmethod
    async def record_key_use(self, uses: dict[str, tuple[str, str | None]]) -> None:
        """Persist ``key id -> (last used at, from address)`` (batched by the caller)."""

    @abstractmethod
    def note_key_use(self, key_id: str, address: str | None) -> None:
        """Remember, in memory only, that a key was just used from ``address``.
        :meth:`get_key` and :meth:`list_keys` show it at once; it reaches the
        database at the next :meth:`flush_key_uses` (and at :meth:`close`)."""

    @abstractmethod
    async def flush_key_uses(self) -> None:
        """Persist the uses noted since the last flush, in one write."""

    # --- admin tokens -------------------------------------------------
    @abstractmethod
    async def add_admin_token(
        self,
        token_id: str,
        secret_hash: bytes,
        tenant_id: int | None,
        label: str = "",
        *,
        actor: Actor = CLI_ACTOR,
    ) -> AdminToken: ...

    @abstractmethod
    async def get_admin_token(self, token_id: str) -> AdminToken | None: ...

    @abstractmethod
    async def list_admin_tokens(self, tenant_id: int | None = None) -> list[AdminToken]: ...

    @abstractmethod
    async def revoke_admin_token(
        self, token_id: str, *, actor: Actor = CLI_ACTOR
    ) -> AdminToken: ...

    # --- tenants (operator) -------------------------------------------
    @abstractmethod
    async def get_tenant_by_id(self, tenant_id: int) -> Tenant | None: ...

    @abstractmethod
    async def tenant_holds_data(self, tenant_id: int) -> bool:
        """Whether any user or group row (live or tombstoned) belongs to it."""

    @abstractmethod
    async def delete_tenant(
        self, name: str, *, force: bool = False, actor: Actor = CLI_ACTOR
    ) -> None:
        """Remove a tenant and its keys; with ``force`` also all its users,
        groups and audit log. Without ``force`` a tenant holding data raises
        :class:`Conflict`. :class:`NotFound` if unknown."""

    @abstractmethod
    async def reset_tenant_data(
        self, tenant_id: int, *, actor: Actor = CLI_ACTOR
    ) -> tuple[int, int]:
        """Remove all the tenant's users (live and tombstoned), groups and
        memberships at once; keep the tenant, its keys, admin tokens and
        audit log, which gets one ``reset`` line (resource type ``Tenant``).
        ``(users, groups)`` removed. :class:`NotFound` if unknown."""

    # --- schema extensions (core.extensions) --------------------------
    @abstractmethod
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

    @abstractmethod
    async def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        """The tenant's extensions, oldest first."""

    @abstractmethod
    async def tenant_schema(self, tenant_id: int) -> TenantSchema:
        """The tag, the userName choice and the extensions, as of one moment.
        :class:`NotFound` for an unknown tenant."""

    @abstractmethod
    async def set_user_name_case_exact(
        self, tenant_id: int, exact: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        """Tell the tenant's userNames apart as given (``exact``) or
        case-folded (RFC 7643 §4.1.1), re-keying every user of the tenant in
        the same transaction. :class:`Conflict`, naming two of them, when
        live users would then share a userName; :class:`NotFound` for an
        unknown tenant. Writes and audits nothing when it is already so."""

    @abstractmethod
    async def remove_schema_extension(
        self, tenant_id: int, urn: str, *, actor: Actor = CLI_ACTOR
    ) -> SchemaExtension:
        """Unregister (case-insensitive URN); the values resources hold under
        it are kept. :class:`NotFound` if unknown. Audited as ``delete``."""

    # --- tombstones and purge (operator) ------------------------------
    @abstractmethod
    async def list_tombstones(self, tenant_id: int) -> list[Tombstone]: ...

    @abstractmethod
    async def restore_user(
        self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        """Bring a tombstoned user back with the same id (a new version);
        :class:`NotFound` if there is no such tombstone, :class:`Conflict` if a live user
        took its ``userName`` meanwhile."""

    @abstractmethod
    async def purge_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> None:
        """Delete a tombstoned user's rows for good; :class:`NotFound` if not a tombstone."""

    @abstractmethod
    async def purge_tombstones(
        self, tenant_id: int, older_than: str, *, actor: Actor = CLI_ACTOR
    ) -> list[str]:
        """Purge every tombstone deleted before ``older_than``; the purged ids."""

    @abstractmethod
    async def lookup_user(
        self, tenant_id: int, *, user_id: str | None = None, user_name: str | None = None
    ) -> UserRecord | Tombstone | None:
        """A user by id or by ``userName`` (case-insensitive), tombstones
        included: the live user, else its tombstone (by name: the most
        recently deleted), else ``None``. For the sign-in check."""

    # --- audit log ----------------------------------------------------
    @abstractmethod
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

    # --- users --------------------------------------------------------
    @abstractmethod
    async def create_user(
        self, tenant_id: int, doc: dict[str, Any], *, actor: Actor = CLI_ACTOR
    ) -> UserRecord: ...

    @abstractmethod
    async def get_user(self, tenant_id: int, user_id: str) -> UserRecord: ...

    @abstractmethod
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

    @abstractmethod
    async def delete_user(
        self, tenant_id: int, user_id: str, if_match: str | None = None, *, actor: Actor = CLI_ACTOR
    ) -> None:
        """Hide the user from SCIM (:class:`NotFound` from now on) but keep its row."""

    @abstractmethod
    async def list_users(self, tenant_id: int, query: ListQuery) -> tuple[int, list[UserRecord]]:
        """``(totalResults, page)`` for a query: ``query.count`` rows from
        ``query.offset``, or with ``query.keyset`` the rows after
        ``query.after``, each with its ``position``. ``totalResults``
        counts every match of the filter, whatever the page."""

    @abstractmethod
    async def create_users(
        self, tenant_id: int, docs: list[dict[str, Any]], *, actor: Actor = CLI_ACTOR
    ) -> int:
        """Create many users at once (seeding, benchmarks); return how many.

        Each document is what :meth:`create_user` takes (already normalised
        by :func:`core.resource.normalize_resource`). All or nothing: a
        ``userName`` taken in the tenant or repeated in the batch raises the
        same :class:`Conflict` as :meth:`create_user` and writes nothing.
        """

    # --- groups -------------------------------------------------------
    # Members are rows beside the group, never part of ``doc``. Member ids
    # are matched case-folded (core.membership); every member must be a
    # live user or group of the same tenant, else :class:`InvalidReference` and
    # nothing is written. Deleting a user or a group removes its memberships.
    @abstractmethod
    async def create_group(
        self,
        tenant_id: int,
        doc: dict[str, Any],
        members: tuple[Member, ...] = (),
        *,
        with_members: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> GroupRecord:
        """A new group with these members; ``displayName`` taken → :class:`Conflict`."""

    @abstractmethod
    async def get_group(
        self, tenant_id: int, group_id: str, *, with_members: bool = False
    ) -> GroupRecord:
        """The group; its members are read only ``with_members``."""

    @abstractmethod
    async def list_groups(
        self, tenant_id: int, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[GroupRecord]]:
        """``(totalResults, page)``; members of the whole page in one read."""

    @abstractmethod
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

    @abstractmethod
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

    @abstractmethod
    async def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        """The groups each user is in, directly or through nested groups,
        for a page of users at once (RFC 7643 §4.1.2)."""

    @abstractmethod
    async def ready(self) -> bool:
        """Whether the database answers a query now and its schema is the
        latest this code knows (a readiness probe: ``/readyz``). False,
        never an exception, when the database cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...
