"""The storage interface the HTTP layer and the CLI program against.

Every resource method takes the tenant id first: there is no call that can
reach another tenant's rows. Errors the client caused come out as
:class:`core.errors.ScimError` (404, 409 uniqueness, 412).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.membership import GroupChange, Member
from core.query import ListQuery


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    scim_enabled: bool
    created: str


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


@dataclass(frozen=True)
class UserRecord:
    id: str
    doc: dict[str, Any]
    created: str
    last_modified: str
    version: int


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


@dataclass(frozen=True)
class Membership:
    """A group a user is in (RFC 7643 §4.1.2 ``groups``): ``direct`` when
    the user is a member of it, else through nested groups."""

    id: str
    display: str
    direct: bool


class Store(ABC):
    """Tenants, credentials, users and groups."""

    # --- tenants ------------------------------------------------------
    @abstractmethod
    def create_tenant(self, name: str) -> Tenant: ...

    @abstractmethod
    def get_tenant(self, name: str) -> Tenant | None: ...

    @abstractmethod
    def list_tenants(self) -> list[Tenant]: ...

    @abstractmethod
    def set_scim_enabled(self, name: str, enabled: bool) -> Tenant: ...

    # --- credentials --------------------------------------------------
    @abstractmethod
    def add_key(self, tenant_id: int, key_id: str, secret_hash: bytes, label: str) -> ApiKey: ...

    @abstractmethod
    def get_key(self, key_id: str) -> ApiKey | None: ...

    @abstractmethod
    def list_keys(self, tenant_id: int) -> list[ApiKey]: ...

    @abstractmethod
    def revoke_key(self, key_id: str) -> ApiKey: ...

    # --- users --------------------------------------------------------
    @abstractmethod
    def create_user(self, tenant_id: int, doc: dict[str, Any]) -> UserRecord: ...

    @abstractmethod
    def get_user(self, tenant_id: int, user_id: str) -> UserRecord: ...

    @abstractmethod
    def update_user(
        self,
        tenant_id: int,
        user_id: str,
        change: Callable[[UserRecord], dict[str, Any]],
        if_match: str | None = None,
    ) -> UserRecord:
        """Read, ``change`` and write back in one transaction (PUT and PATCH).

        ``change`` gets the current record and returns the new document, or
        raises :class:`ScimError` to abort with nothing written. ``if_match``
        is the request's If-Match header (RFC 7644 §3.14): stale → 412.
        """

    @abstractmethod
    def delete_user(self, tenant_id: int, user_id: str, if_match: str | None = None) -> None:
        """Hide the user from SCIM (404 from now on) but keep its row."""

    @abstractmethod
    def list_users(self, tenant_id: int, query: ListQuery) -> tuple[int, list[UserRecord]]:
        """``(totalResults, page)`` for a query."""

    @abstractmethod
    def create_users(self, tenant_id: int, docs: list[dict[str, Any]]) -> int:
        """Create many users at once (seeding, benchmarks); return how many.

        Each document is what :meth:`create_user` takes (already normalised
        by :func:`core.resource.normalize_resource`). All or nothing: a
        ``userName`` taken in the tenant or repeated in the batch raises the
        same 409 :class:`ScimError` as :meth:`create_user` and writes nothing.
        """

    # --- groups -------------------------------------------------------
    # Members are rows beside the group, never part of ``doc``. Member ids
    # are matched case-folded (core.membership); every member must be a
    # live user or group of the same tenant, else 400 invalidValue and
    # nothing is written. Deleting a user or a group removes its memberships.
    @abstractmethod
    def create_group(self, tenant_id: int, doc: dict[str, Any],
                     members: tuple[Member, ...] = (), *,
                     with_members: bool = False) -> GroupRecord:
        """A new group with these members; ``displayName`` taken → 409."""

    @abstractmethod
    def get_group(self, tenant_id: int, group_id: str, *,
                  with_members: bool = False) -> GroupRecord:
        """The group; its members are read only ``with_members``."""

    @abstractmethod
    def list_groups(self, tenant_id: int, query: ListQuery, *,
                    with_members: bool = False) -> tuple[int, list[GroupRecord]]:
        """``(totalResults, page)``; members of the whole page in one read."""

    @abstractmethod
    def update_group(
        self,
        tenant_id: int,
        group_id: str,
        change: Callable[[GroupRecord], GroupChange],
        if_match: str | None = None,
        *,
        with_members: bool = False,
    ) -> GroupRecord:
        """PUT and PATCH in one transaction: ``change`` gets the current
        record (without members) and returns the new document and the
        membership actions (add, remove, clear, replace, rewrite), applied
        in order; any error writes nothing. Stale ``if_match`` → 412. A
        change that changes nothing (members already there) keeps the
        version and writes nothing."""

    @abstractmethod
    def delete_group(self, tenant_id: int, group_id: str, if_match: str | None = None) -> None:
        """Hide the group (404 from now on), keep its row, drop its
        memberships both ways."""

    @abstractmethod
    def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        """The groups each user is in, directly or through nested groups,
        for a page of users at once (RFC 7643 §4.1.2)."""

    @abstractmethod
    def close(self) -> None: ...
