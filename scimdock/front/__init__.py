"""The front door: every HTTP request passes here once, in this order,
before Connexion routes it.

1. **Request id and context** (:mod:`.access`): the ``X-Request-ID`` kept
   or made, and the request's :class:`~scimdock.handlers.context.RequestContext`
   (runtime, request id, scope) made once and handed to Connexion, which
   passes it to every handler as ``ctx``.
2. **Metrics** (:mod:`scimdock.metrics`): ``GET /metrics`` to the metrics
   token, when ``SCIMDOCK_METRICS=token``.
3. **Probes** (:mod:`.probes`): ``/healthz`` and ``/readyz``.
4. *The mock's layers*, under ``scimdock mock`` only: the console, the
   journal and faults, the behaviour profiles (scimdock.mock.journal,
   scimdock.mock.profiles); they see the request as the client sent it.
5. **Paths** (:mod:`.paths`): runs of slashes as one, the base path as its
   root, and (lenient) endpoints in any letter case.
6. **Limits** (:mod:`.limits`): the body read once, its size, nesting,
   strings and arrays checked on the bytes; the tenant's in-flight slots
   (handlers.throttle) given back once the answer is sent.
7. **Connexion** (scimdock.app), or, for the plainest requests of the
   tuned stack, its direct route taken from here (scimdock.tuning.lane):
   routing; authentication
   (handlers.security), which fills in the context's tenant and key;
   **names** (:mod:`.names`), the body parsed once and its attribute names
   folded once, into the context; validation; the handler.
8. On the way out: the ``X-Request-ID`` header and, once the answer is
   sent, the access line (:mod:`.access`) and the request's metrics.

Stages 1–6 are plain functions this class calls (one ASGI layer, not one
per stage); stage 7's names stage is a Connexion middleware, as it needs
the route and the tenant.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from scimdock import metrics
from scimdock.front import probes
from scimdock.front.access import (
    ACCESS,
    HEADER,
    Observer,
    line,
    log_access,
    operation_id,
    request_id,
)
from scimdock.front.limits import BodyLimits, replay
from scimdock.front.paths import EndpointCase, collapse_slashes
from scimdock.handlers.context import PARAMETER, RequestContext, enter, request_context
from scimdock.handlers.runtime import Runtime
from scimdock.handlers.throttle import hold_slots, release
from scimdock.tuning.compat import CONNEXION_CONTEXT, ASGIApp, Message, Receive, Scope, Send
from scimdock.tuning.lane import Lane

__all__ = ["Front"]


class Front:
    """``api``: the Connexion application; ``mock``: wraps the inner
    stages (5–7) in the mock's layers, if given; ``log``: write access
    lines; ``observe``: told of each request (metrics); ``metrics_token``:
    the SHA-256 of the ``/metrics`` token, if that endpoint is on;
    ``others``: where scopes other than ``http`` (``lifespan``) go;
    ``lane``: answers a request on Connexion's direct route and says so,
    or says not (scimdock.tuning.lane)."""

    def __init__(
        self,
        api: ASGIApp,
        runtime: Runtime,
        *,
        limits: BodyLimits,
        roots: frozenset[str],
        endpoint_case: EndpointCase | None = None,
        log: bool = True,
        observe: Observer | None = None,
        metrics_token: bytes | None = None,
        others: ASGIApp | None = None,
        mock: Callable[[ASGIApp], ASGIApp] | None = None,
        lane: Lane | None = None,
    ) -> None:
        self.api = api
        self.runtime = runtime
        self.limits = limits
        self.roots = roots
        self.endpoint_case = endpoint_case
        self.log = log
        self.observe = observe
        self.metrics_token = metrics_token
        self.others = others
        self.lane = lane
        self.ready = probes.ReadyCheck(runtime.store)
        self.inner: ASGIApp = self.door if mock is None else mock(self.door)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await (self.api if self.others is None else self.others)(scope, receive, send)
            return
        # 1. the request id and the context
        rid = request_id(scope["headers"])
        ctx = RequestContext(self.runtime, scope, rid.decode("ascii"), time.perf_counter())
        enter(ctx)
        extensions = scope.get("extensions")
        if extensions is None:
            extensions = scope["extensions"] = {}
        extensions[CONNEXION_CONTEXT] = {PARAMETER: ctx}
        method, path = scope["method"], scope["path"]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                ctx.status = message["status"]
                headers = message.get("headers", ())
                for k, _ in headers:
                    if k.lower() == HEADER:  # the app's own: replaced
                        headers = [(k, v) for k, v in headers if k.lower() != HEADER]
                        break
                message = {**message, "headers": [*headers, (b"X-Request-ID", rid)]}
            elif message["type"] == "http.response.body":
                ctx.sent += len(message.get("body", b""))
            await send(message)

        try:
            if path == metrics.PATH and self.metrics_token is not None:  # 2. metrics
                await metrics.answer(scope, send_with_id, self.metrics_token)
            elif path in probes.PATHS:  # 3. probes
                await probes.answer(path, method, self.ready, send_with_id)
            else:  # 4. the mock's layers, if any, then 5-7
                await self.inner(scope, receive, send_with_id)
        finally:  # 8. the access line and the metrics, once the answer is sent
            operation = operation_id(scope)
            if self.log and ACCESS.isEnabledFor(logging.INFO):
                log_access(line(ctx, method, path, operation))
            if self.observe is not None:
                seconds = time.perf_counter() - ctx.started
                self.observe(operation, path, ctx.status or 500, seconds)

    async def door(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stages 5 to 7 (after the mock's layers)."""
        ctx = request_context()
        ctx.scope = scope  # as the mock's layers pass it on (a profile drops headers)
        collapse_slashes(scope, self.roots)  # 5. paths
        if self.endpoint_case is not None:
            self.endpoint_case.fold(scope)
        held = hold_slots(scope)  # 6. limits, and the in-flight slots
        try:
            body = await self.limits.read(scope, receive, send)
            if body is False:
                return  # refused, answered
            if body is not True:
                ctx.raw = body
                receive = replay(body, receive)
            lane = self.lane  # 7. the direct route, or Connexion
            if lane is None or not await lane(scope, receive, send, ctx.started_response):
                await self.api(scope, receive, send)
        finally:
            release(held)
