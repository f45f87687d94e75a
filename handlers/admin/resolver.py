"""operationId → handler for openapi/admin.yaml (``createKey`` →
:func:`handlers.admin.keys.create_key`), as :mod:`handlers.resolver` does
for the SCIM document, each handler guarded by the roles the document
gives its operation (``x-scimdock-roles``).

The document is the one place that says who may call what: the guard
refuses a caller whose role is not listed (403) before the handler runs,
and an operation that lists no roles stops the application from being
built, so no operation is ever open by omission.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from scimdock.handlers.admin import (
    access,
    audit,
    auth,
    keys,
    schemas,
    tenants,
    tokens,
    tombstones,
)
from scimdock.handlers.context import request_context
from scimdock.handlers.resolver import resolver_for
from scimdock.mock.handlers import conformance as mock_conformance
from scimdock.mock.handlers import data as mock_data
from scimdock.mock.handlers import faults as mock_faults
from scimdock.mock.handlers import journal as mock_journal
from scimdock.mock.handlers import proxy as mock_proxy
from scimdock.mock.handlers import snapshot as mock_snapshot

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

#: ``createKey`` → :func:`handlers.admin.keys.create_key`, unguarded.
resolve = resolver_for(
    tenants,
    keys,
    access,
    tombstones,
    audit,
    tokens,
    schemas,
    mock_journal,
    mock_faults,
    mock_data,
    mock_conformance,
    mock_snapshot,
    mock_proxy,
)


class MissingRolesError(ValueError):
    """An operation of the admin document lists no ``x-scimdock-roles``."""


def roles_of(document: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """operationId → its ``x-scimdock-roles``, for every operation of
    ``document``; :class:`MissingRolesError` naming the first operation
    without a (known, non-empty) list."""
    found: dict[str, tuple[str, ...]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            name = operation.get("operationId", f"{method.upper()} {path}")
            roles = operation.get("x-scimdock-roles")
            if not roles or not isinstance(roles, list) or set(roles) - set(auth.ROLES):
                raise MissingRolesError(
                    f"admin operation {name!r} must list its roles in x-scimdock-roles"
                    f" (a non-empty list of {', '.join(auth.ROLES)}); got {roles!r}"
                )
            found[name] = tuple(roles)
    return found


def _guard(handler: Callable[..., Any], roles: tuple[str, ...]) -> Callable[..., Any]:
    """``handler`` behind the role check; ``functools.wraps`` keeps the
    signature Connexion reads to pass the parameters."""

    @functools.wraps(handler)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        # The context Connexion passes a handler that names it; the front's
        # (handlers.context) for one that does not yet.
        auth.require_role(kwargs.get("ctx") or request_context(), roles)
        return await handler(*args, **kwargs)

    return guarded


def enforcing(document: Mapping[str, Any]) -> Callable[[str], Callable[..., Any]]:
    """A resolver for ``document`` whose handlers enforce its roles;
    raises :class:`MissingRolesError` at once (start-up) if an operation
    lists none."""
    roles = roles_of(document)

    def resolve_guarded(operation_id: str) -> Callable[..., Any]:
        if operation_id not in roles:
            raise MissingRolesError(f"admin operation {operation_id!r} is not in the document")
        return _guard(resolve(operation_id), roles[operation_id])

    return resolve_guarded
