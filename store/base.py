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


class Store(ABC):
    """Tenants, credentials and users."""

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
    def close(self) -> None: ...
