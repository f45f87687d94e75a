"""Authentication as Connexion does it, minus two ``inspect.signature``
calls per request: :meth:`AbstractSecurityHandler._accepts_kwarg` asks
whether ``x-bearerInfoFunc`` / ``x-basicInfoFunc`` take ``request`` and
``required_scopes`` on every request; the answer never changes. The
``Authorization`` header is read from the ASGI scope
(:func:`scimdock.tuning.request.auth_header`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from scimdock.tuning.compat import (
    BasicSecurityHandler,
    BearerSecurityHandler,
    inspect_function_arguments,
)
from scimdock.tuning.request import auth_header


@functools.lru_cache(maxsize=64)
def accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
    arguments, has_kwargs = inspect_function_arguments(func)
    return has_kwargs or keyword in arguments


class BearerHandler(BearerSecurityHandler):
    _accepts_kwarg = staticmethod(accepts_kwarg)
    get_auth_header_value = staticmethod(auth_header)


class BasicHandler(BasicSecurityHandler):
    _accepts_kwarg = staticmethod(accepts_kwarg)
    get_auth_header_value = staticmethod(auth_header)


def security_map() -> dict[str, Any]:
    """For ``AsyncApp(security_map=...)``: the schemes of openapi/scim.yaml."""
    return {"bearer": BearerHandler, "basic": BasicHandler}
