"""The mock's web console at ``/console/`` (docs/mock.md, "Console"):
server-rendered pages (Jinja2) over the same store and mock state as the
admin API, for ``scimdock mock`` only (scimdock.worker wraps it around
the application there; ``serve`` has none).

Signing in takes an admin token, checked exactly as the admin API checks
it (handlers.admin.security.bearer_auth: the same limit on failed
logins); the browser then holds only a random session id in an
``HttpOnly``, ``SameSite=Strict`` cookie (RFC 6265bis §4.1.2.7). Every
POST must carry the session's CSRF token (compared in constant time) and
an ``Origin`` (or, lacking it, ``Referer``) of this very server (RFC 6454
§7.3), else 403.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/console"
HERE = Path(__file__).resolve().parent


class ConsoleLayer:
    """``/console/...`` to the console, anything else to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        from scimdock.console.pages import router

        self.app = app
        self.console: Any = router()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self.console(scope, receive, send)
            return
        await self.app(scope, receive, send)
