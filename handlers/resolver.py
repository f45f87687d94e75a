"""The Connexion resolver: operationId → handler function."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from scimdock.handlers import discovery, groups, me, search, users


def resolver_for(*modules: ModuleType) -> Callable[[str], Callable[..., Any]]:
    """A resolver looking ``listUsers`` up as ``list_users`` in ``modules``."""
    def resolve(operation_id: str) -> Callable[..., Any]:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()
        for module in modules:
            func = getattr(module, name, None)
            if callable(func):
                return func
        raise LookupError(f"no handler for operationId {operation_id!r}")
    return resolve


#: ``listUsers`` → :func:`handlers.users.list_users`.
resolve = resolver_for(users, groups, search, discovery, me)
