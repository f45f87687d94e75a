"""``/healthz`` and ``/readyz``: the probes of an orchestrator (Kubernetes'
liveness and readiness probes, a load balancer's health check), answered
before Connexion, without authentication, and outside the SCIM and admin
APIs (they are no SCIM resource: RFC 7644 §3.2 lists none).

* ``GET /healthz``: the process serves HTTP. Always ``200 {"status":
  "ok"}``; it never touches the database, so a slow disk does not get a
  live process restarted.
* ``GET /readyz``: the database answers and its schema holds every
  migration this code knows (:meth:`Store.ready`). ``200 {"status":
  "ready"}``, else ``503`` with a SCIM Error body (RFC 7644 §3.12, as every
  error of this server) and ``Retry-After``. The check has its own
  timeout, :data:`READY_TIMEOUT`: a database that does not answer in time
  (a server frozen, a network that drops packets) is not ready, and the
  balancer hears so before its own check times out.

``HEAD`` is answered as ``GET`` without a body; another method is a SCIM
Error 405 with ``Allow``. Anything else goes on to the application.
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from scimdock.core.errors import ScimError
from scimdock.store.base import Store

HEALTH, READY = "/healthz", "/readyz"
#: Seconds /readyz waits for the database's answer before it says 503.
READY_TIMEOUT = 0.4
_JSON, _SCIM_JSON = b"application/json", b"application/scim+json"


class Probes:
    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store
        self._check: asyncio.Future[bool] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" else None
        if path not in (HEALTH, READY):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            error = ScimError(405, f"{path} answers GET and HEAD only")
            await _send(send, 405, _SCIM_JSON, error.to_dict(), method, [(b"allow", b"GET, HEAD")])
        elif path == HEALTH:
            await _send(send, 200, _JSON, {"status": "ok"}, method)
        elif await self._ready():
            await _send(send, 200, _JSON, {"status": "ready"}, method)
        else:
            error = ScimError(503, "The database is unreachable or its schema is not current")
            await _send(send, 503, _SCIM_JSON, error.to_dict(), method, [(b"retry-after", b"5")])

    async def _ready(self) -> bool:
        """:meth:`Store.ready`, or False past :data:`READY_TIMEOUT`. A check
        that did not finish in time is left to finish in the background
        (cancelled, a query on a frozen server would first try psycopg's
        own cancel, for seconds), and the probes that come meanwhile wait
        for that same check rather than start one each."""
        check = self._check
        if check is None or check.done():
            check = self._check = asyncio.ensure_future(self.store.ready())
        done, _ = await asyncio.wait({check}, timeout=READY_TIMEOUT)
        return bool(done) and not check.cancelled() and check.exception() is None and check.result()


async def _send(
    send: Send,
    status: int,
    media_type: bytes,
    body: object,
    method: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    content = orjson.dumps(body)
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(content)).encode()),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else content})
