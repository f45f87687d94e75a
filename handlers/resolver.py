"""The Connexion resolver: operationId → handler function."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from scimdock.core import body as request_body
from scimdock.handlers import bulk, discovery, groups, me, search, users


def resolver_for(*modules: ModuleType) -> Callable[[str], Callable[..., Any]]:
    """A resolver looking ``listUsers`` up as ``list_users`` in ``modules``;
    a handler taking a ``body`` gets it checked first (:func:`checked`)."""

    def resolve(operation_id: str) -> Callable[..., Any]:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()
        for module in modules:
            func = getattr(module, name, None)
            if callable(func):
                return checked(func) if "body" in inspect.signature(func).parameters else func
        raise LookupError(f"no handler for operationId {operation_id!r}")

    return resolve


def checked(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` refusing a body that holds what is no JSON a SCIM message can
    carry (:func:`scimdock.core.body.check`: lone surrogates, NaN, integers
    beyond 64 bits, deep nesting) with a 400 (RFC 7644 §3.12), after
    Connexion's schema validation and whichever parser it used. Connexion
    reads the signature through ``__wrapped__``."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        body = kwargs.get("body")
        if isinstance(body, (dict, list)):
            request_body.check(body)
        return await func(*args, **kwargs)

    return wrapper


#: ``listUsers`` → :func:`handlers.users.list_users`.
resolve = resolver_for(users, groups, search, discovery, me, bulk)
