"""The Connexion resolver: operationId → handler function."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from handlers import discovery, groups, search, users

_MODULES = (users, groups, search, discovery)


def resolve(operation_id: str) -> Callable[..., Any]:
    """``listUsers`` → :func:`handlers.users.list_users`."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()
    for module in _MODULES:
        func = getattr(module, name, None)
        if callable(func):
            return func
    raise LookupError(f"no handler for operationId {operation_id!r}")
