"""Stage 2 of the front: ``/healthz`` and ``/readyz``, the probes of an
orchestrator (Kubernetes' liveness and readiness probes, a load
balancer's health check), answered before anything is routed, without
authentication, and outside the SCIM and admin APIs (they are no SCIM
resource: RFC 7644 §3.2 lists none).

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
Error 405 with ``Allow``.
"""

from __future__ import annotations

import asyncio

from scimdock.core.errors import ScimError
from scimdock.front.respond import JSON, SCIM_JSON, send_json
from scimdock.store.base import Store
from scimdock.tuning.compat import Send

HEALTH, READY = "/healthz", "/readyz"
PATHS = frozenset((HEALTH, READY))
_NO_STORE = (b"cache-control", b"no-store")
#: Seconds /readyz waits for the database's answer before it says 503.
READY_TIMEOUT = 0.4


class ReadyCheck:
    """:meth:`Store.ready`, or False past :data:`READY_TIMEOUT`. A check
    that did not finish in time is left to finish in the background
    (cancelled, a query on a frozen server would first try psycopg's own
    cancel, for seconds), and the probes that come meanwhile wait for that
    same check rather than start one each. One per application."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._check: asyncio.Future[bool] | None = None

    async def __call__(self) -> bool:
        check = self._check
        if check is None or check.done():
            check = self._check = asyncio.ensure_future(self.store.ready())
        done, _ = await asyncio.wait({check}, timeout=READY_TIMEOUT)
        return bool(done) and not check.cancelled() and check.exception() is None and check.result()


async def answer(path: str, method: str, ready: ReadyCheck, send: Send) -> None:
    """The answer to a probe (``path`` is one of :data:`PATHS`)."""
    head = method == "HEAD"
    if method not in ("GET", "HEAD"):
        error = ScimError(405, f"{path} answers GET and HEAD only")
        extra = [_NO_STORE, (b"allow", b"GET, HEAD")]
        await send_json(send, 405, SCIM_JSON, error.to_dict(), extra=extra)
    elif path == HEALTH:
        await send_json(send, 200, JSON, {"status": "ok"}, head=head, extra=[_NO_STORE])
    elif await ready():
        await send_json(send, 200, JSON, {"status": "ready"}, head=head, extra=[_NO_STORE])
    else:
        error = ScimError(503, "The database is unreachable or its schema is not current")
        extra = [_NO_STORE, (b"retry-after", b"5")]
        await send_json(send, 503, SCIM_JSON, error.to_dict(), head=head, extra=extra)
