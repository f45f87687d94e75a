"""The direct route taken from the front door, past Connexion's outer layers.

A request the direct route (:mod:`.direct`) takes still crosses, before
it, Connexion's application, its main middleware, its server-error
middleware, its exception middleware and Starlette's under it, the
Swagger UI pass and the direct middleware's own call: eight calls in, and
two wrappers around each message sent back, that decide nothing for it.
:class:`Lane` lets the front (scimdock.front, stage 7) hand such a
request straight to its operation's chain, doing what those layers do for
it:

* ``scope["app"]``, the main middleware (as its ``__call__`` sets it);
* the exception handlers in ``scope["starlette.exception_handlers"]``, and
  an exception the chain raises answered by the handler Starlette's
  exception middleware would choose (the app's, ``add_error_handler``),
  with the request Starlette would give it, or raised on when none is
  registered or the response has already started (as there: the front's
  context says whether it has);
* the Swagger UI pass: a path holding one of its markers is left to it.

Any other request, and every request until Connexion has built its stack
(its first), goes through Connexion as before: :meth:`Lane.__call__`
answers ``False`` without touching it. ``SCIMDOCK_TUNING=off`` has no lane.
tests/integration/test_tuning_equivalence.py compares the answers.
"""

from __future__ import annotations

from typing import Any

from scimdock.tuning.compat import (
    ASGIApp,
    ConnexionExceptionMiddleware,
    HTTPException,
    Receive,
    Scope,
    Send,
    StarletteRequest,
    is_async_callable,
    lookup_exception_handler,
    run_in_threadpool,
)
from scimdock.tuning.direct import DirectMiddleware
from scimdock.tuning.middleware import SwaggerUIPassMiddleware

__all__ = ["Lane"]


class Lane:
    """``app``: the Connexion application (``AsyncApp``) the front calls."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.main: Any = None
        self.direct: DirectMiddleware | None = None
        self.handlers: tuple[dict[Any, Any], dict[int, Any]] = ({}, {})

    def _ready(self) -> bool:
        """Whether Connexion has built its stack; its parts found once."""
        main = self.app.middleware
        stack = main.middleware_stack
        if stack is None:
            return False
        for part in stack:
            if isinstance(part, DirectMiddleware):
                self.direct = part
            elif isinstance(part, ConnexionExceptionMiddleware):
                self.handlers = (part._exception_handlers, part._status_handlers)
        self.main = main
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send, started: Any) -> bool:
        """Answer the request on its direct route and say ``True``, or say
        ``False`` and leave it untouched. ``started()``: whether the
        response has started (the front's context knows)."""
        if self.main is None and not self._ready():
            return False
        direct = self.direct
        if direct is None:
            return False
        path = scope["path"]
        if any(marker in path for marker in SwaggerUIPassMiddleware.MARKERS):
            return False
        route = direct.routed(scope)
        if route is None:
            return False
        scope["app"] = self.main
        scope["starlette.exception_handlers"] = self.handlers
        await _handled(route.chain, self.handlers, scope, receive, send, started)
        return True


async def _handled(
    app: ASGIApp,
    handlers: tuple[dict[Any, Any], dict[int, Any]],
    scope: Scope,
    receive: Receive,
    send: Send,
    started: Any,
) -> None:
    """``app``, an exception it raises answered as Starlette's
    ``wrap_app_handling_exceptions`` answers it (compat pins it)."""
    try:
        await app(scope, receive, send)
    except Exception as exc:
        by_type, by_status = handlers
        handler = None
        if isinstance(exc, HTTPException):
            handler = by_status.get(exc.status_code)
        if handler is None:
            handler = lookup_exception_handler(by_type, exc)
        if handler is None:
            raise
        if started():
            raise RuntimeError("Caught handled exception, but response already started.") from exc
        request = StarletteRequest(scope, receive, send)
        if is_async_callable(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if response is not None:
            await response(scope, receive, send)
        exc.__traceback__ = None
