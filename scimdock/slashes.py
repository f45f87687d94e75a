"""Repeated slashes in a request path are one slash, and an API's base
path without its trailing slash is its root.

An administrator who pastes the base URL with a trailing slash
(``https://acme.example.com/scim/v1/``) makes a client that appends
``/Users`` ask for ``/scim/v1//Users``. RFC 3986 §6.2.3 leaves such paths
distinct, so no router folds them; scimdock has no resource whose path
needs an empty segment, so it folds them before routing and the setup
works on the first try. The base URL itself, ``/scim/v1``, is the service
root (RFC 7644 §3.2, §3.4.2) as ``/scim/v1/`` is: it is routed there
rather than redirected (Starlette's mount would answer a redirect, which
some clients do not follow for a POST). A small ASGI middleware:
Starlette offers none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

_RUNS = re.compile(r"/{2,}")
_RAW_RUNS = re.compile(rb"/{2,}")


class CollapseSlashes:
    """``roots``: base paths (``/scim/v1``) routed as ``/scim/v1/``."""

    def __init__(self, app: ASGIApp, roots: Iterable[str] = ()) -> None:
        self.app = app
        self.roots = frozenset(roots)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if "//" in path:
                scope = {**scope, "path": _RUNS.sub("/", path)}
                if scope.get("raw_path"):
                    scope["raw_path"] = _RAW_RUNS.sub(b"/", scope["raw_path"])
            elif path in self.roots:
                scope = {**scope, "path": path + "/"}
                if scope.get("raw_path"):
                    scope["raw_path"] = scope["raw_path"] + b"/"
        await self.app(scope, receive, send)
