"""One request's context: what the handlers run against, built once.

The front door (:mod:`scimdock.front`) makes a :class:`RequestContext` for
each request before anything else runs: the process's
:class:`~scimdock.handlers.runtime.Runtime` (store, settings, clock,
limits), the request id and the ASGI scope. Authentication
(:mod:`handlers.security`, :mod:`handlers.admin.security`) fills in who is
asking: the tenant, the key and its schema tag, or the admin caller. The
front puts the parsed body in once it has read and folded it
(:mod:`scimdock.front.names`). A mock profile (scimdock.mock.profiles) may swap
the runtime for one with that profile and its settings, once, before any
handler runs.

The handlers receive it as the ``ctx`` parameter: Connexion passes each
entry of its request context to a handler that names it (the front puts
``ctx`` there), tuned or not. Code below a handler gets it as an argument.
:func:`request_context` reads it where no parameter reaches (the mock's
layers in front of Connexion); it is the front's context variable, set
once per request.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from scimdock.core.clock import Clock
from scimdock.handlers.runtime import Runtime
from scimdock.settings import Settings
from scimdock.store.base import Store

#: The name of the handlers' parameter (and of Connexion's context entry).
PARAMETER = "ctx"


class RequestContext:
    """See the module docstring. ``tenant_id`` is ``None`` until a SCIM
    key authenticates (discovery, the admin API, the probes)."""

    __slots__ = (
        "runtime",
        "scope",
        "request_id",
        "started",
        "tenant_id",
        "tenant",
        "key_id",
        "schema_tag",
        "caller",
        "raw",
        "parsed",
        "body",
        "types",
        "base_url",
        "status",
        "sent",
    )

    def __init__(self, runtime: Runtime, scope: Any, request_id: str, started: float) -> None:
        self.runtime = runtime
        self.scope = scope
        self.request_id = request_id
        self.started = started
        self.tenant_id: int | None = None
        self.tenant: str | None = None
        self.key_id: str | None = None
        self.schema_tag: int | None = None
        #: The admin API's caller (handlers.admin.auth.Caller), once authenticated.
        self.caller: Any = None
        #: The request body's bytes, read once (scimdock.front.limits).
        self.raw: bytes | None = None
        #: Whether :attr:`body` holds the body parsed and folded once
        #: (scimdock.front.names): a JSON ``null`` is a body too.
        self.parsed = False
        self.body: Any = None
        #: The tenant's resource types, once read (handlers.extensions).
        self.types: Any = None
        #: ``meta.location``'s base, once worked out (handlers.http.base_url).
        self.base_url: str | None = None
        #: The response's status and body bytes sent (the access line).
        self.status = 0
        self.sent = 0

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def clock(self) -> Clock:
        """The store's clock (handlers.runtime.Runtime.clock)."""
        return self.runtime.store.clock

    @property
    def profile(self) -> Any:
        """The tenant's mock profile, or ``None`` (scimdock.mock.rules.profile)."""
        return self.runtime.profile

    def authenticated(self, key_id: str, tenant_id: int, tenant: str, schema_tag: Any) -> None:
        """Who is asking: a SCIM key of ``tenant`` (handlers.security)."""
        self.key_id = key_id
        self.tenant_id = tenant_id
        self.tenant = tenant
        self.schema_tag = schema_tag

    def started_response(self) -> bool:
        """Whether the response has started (its status has been sent)."""
        return self.status != 0

    def tenant_required(self) -> int:
        """The authenticated key's tenant (every SCIM resource operation)."""
        tenant = self.tenant_id
        if tenant is None:
            raise RuntimeError("no SCIM key has authenticated this request")
        return tenant


_CONTEXT: ContextVar[RequestContext | None] = ContextVar("scimdock_request", default=None)


def enter(ctx: RequestContext) -> None:
    """Make ``ctx`` this request's (the front, once per request; each
    request runs in its own task, whose copy of the variable this sets)."""
    _CONTEXT.set(ctx)


def request_context() -> RequestContext:
    """This request's context, where no ``ctx`` parameter reaches."""
    ctx = _CONTEXT.get()
    if ctx is None:
        raise RuntimeError("no request: scimdock.front makes a context for each")
    return ctx
