"""Who is calling the admin API and what they may reach.

Two roles (openapi/admin.yaml, ``x-scimdock-roles`` on each operation):
the operator reaches everything; a tenant admin reaches only its own
tenant's self-service operations. The roles are enforced from the
document, before any handler runs (:func:`require_role`, applied by
:mod:`handlers.admin.resolver`): on an operator-only operation a tenant
admin gets 403 whatever the tenant, so the answer tells it nothing about
other tenants. Handlers only scope to the tenant (:func:`tenant`): a
tenant admin asking for another tenant gets the same 404 as for a tenant
that does not exist, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from scimdock.core.errors import Forbidden, NotFound
from scimdock.handlers.context import RequestContext
from scimdock.store.base import Actor, Tenant

OPERATOR = "operator"
ADMIN_TOKEN = "admin-token"
#: The role names of ``x-scimdock-roles``.
ROLES = ("operator", "tenantAdmin")


@dataclass(frozen=True)
class Caller:
    """The authenticated admin credential (set by :mod:`handlers.admin.security`)."""

    kind: str  # "operator" (SCIMDOCK_ADMIN_TOKEN) or "admin-token" (stored)
    id: str
    tenant_id: int | None  # None: operator role
    address: str | None

    @property
    def is_operator(self) -> bool:
        return self.tenant_id is None

    @property
    def role(self) -> str:
        """The caller's role as ``x-scimdock-roles`` names it."""
        return "operator" if self.is_operator else "tenantAdmin"

    @property
    def actor(self) -> Actor:
        """For the audit log: never the secret, only the token's id."""
        return Actor(self.kind, self.id, self.address)


def caller(ctx: RequestContext) -> Caller:
    """The authenticated admin credential of this request (handlers.context)."""
    found: Caller | None = ctx.caller
    if found is None:
        raise RuntimeError("no admin credential has authenticated this request")
    return found


def actor(ctx: RequestContext) -> Actor:
    return caller(ctx).actor


def require_role(ctx: RequestContext, roles: tuple[str, ...]) -> Caller:
    """403 unless the caller's role is one of ``roles`` (the operation's
    ``x-scimdock-roles``)."""
    who = caller(ctx)
    if who.role not in roles:
        raise Forbidden(
            "This operation needs an operator token; a tenant-admin token"
            " reaches only its own tenant's self-service operations",
        )
    return who


async def tenant(ctx: RequestContext, name: str) -> Tenant:
    """The tenant ``name`` if the caller may reach it, else 404 (the same
    answer whether it does not exist or belongs to someone else)."""
    who = caller(ctx)
    found = await ctx.store.get_tenant(name)
    if found is None or (not who.is_operator and found.id != who.tenant_id):
        raise NotFound(f"No tenant named {name!r}")
    return found
