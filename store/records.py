"""What the store reads and writes, as plain values: tenants, credentials,
users, groups, members, audit lines, tombstones and extensions (the
records :class:`scimdock.store.base.Store` takes and returns; it
re-exports them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from scimdock.core.query import Position

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
    #: uniqueness and filters (a behaviour profile: scimdock.mock.rules.profile).
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


#: What a snapshot put back keeps of a resource (docs/mock.md,
#: "Snapshots"): ``(id, created, lastModified, version)``; an id, a
#: ``created`` or a ``lastModified`` of ``None`` is made as for a new
#: resource (a UUID, the time of the write, ``created``).
Stamp = tuple[str | None, str | None, str | None, int]


#: The bits of a random UUID (RFC 9562 §5.4) that say "version 4" and
#: "variant 10": cleared, then set, in 128 random bits.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """A new resource id: the text the standard library's ``uuid4`` gives
    (the same 16 bytes of ``os.urandom``) without a ``UUID`` object,
    whose constructor checks what is known here (one per create)."""
    h = "%032x" % (int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stamped(stamp: Stamp | None, now: str) -> tuple[str, str, str, int]:
    """``(id, created, last_modified, version)`` of a new row: those
    ``stamp`` gives, the rest new."""
    if stamp is None:
        return new_id(), now, now, 1
    given_id, created, modified, version = stamp
    created = created or now
    return given_id or new_id(), created, modified or created, version


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
