"""Repeated slashes in a request path are one slash.

An administrator who pastes the base URL with a trailing slash
(``https://acme.example.com/scim/v1/``) makes a client that appends
``/Users`` ask for ``/scim/v1//Users``. RFC 3986 §6.2.3 leaves such paths
distinct, so no router folds them; scimdock has no resource whose path
needs an empty segment, so it folds them before routing and the setup
works on the first try. A small ASGI middleware: Starlette offers none.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

_RUNS = re.compile(r"/{2,}")
_RAW_RUNS = re.compile(rb"/{2,}")


class CollapseSlashes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            scope = {**scope, "path": _RUNS.sub("/", scope["path"])}
            if scope.get("raw_path"):
                scope["raw_path"] = _RAW_RUNS.sub(b"/", scope["raw_path"])
        await self.app(scope, receive, send)
