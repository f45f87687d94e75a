"""What the handlers run against: the store and the settings of this process.

The application factory (:func:`scimdock.app.create_app`) makes one
:class:`Runtime` per application; the front door hands it to each request
in its context (handlers.context), where the handlers read it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from limits import RateLimitItem, parse

from scimdock.core.clock import Clock
from scimdock.core.credentials import SYSTEM_RANDOM, TokenBytes
from scimdock.handlers.throttle import Throttle
from scimdock.store.base import Store

#: The defaults of the limits (docs/security.md, "Limits"): far above what an
#: identity provider sends (Microsoft asks a gallery app to sustain 25
#: requests a second per tenant), far below what guessing needs.
DEFAULT_AUTH_FAILURES = "20/minute"
DEFAULT_RATE_TENANT = "6000/minute"
DEFAULT_TENANT_CONCURRENCY = 32


@dataclass(frozen=True)
class Settings:
    """Server settings (see docs/configuration.md)."""

    #: Host suffix under which the first label names the tenant
    #: (``acme.localhost`` → ``acme``); hosts outside it carry no tenant.
    domain: str = "localhost"
    #: Largest page a list returns (``filter.maxResults``).
    max_results: int = 1000
    #: Accept the documented identity-provider deviations (docs/compatibility.md).
    lenient: bool = True
    #: Fixed public base URL (``https://acme.example.com/scim/v1``) for
    #: ``meta.location``; ``{tenant}`` in it stands for the tenant's name
    #: (``https://{tenant}.example.com/scim/v1``). By default the URL is
    #: built from the request.
    public_url: str | None = None
    docs_url: str = "https://github.com/scimdock/scimdock/tree/main/docs"
    #: SHA-256 of ``SCIMDOCK_ADMIN_TOKEN`` (the operator's admin token), or
    #: ``None``: the token itself is never kept (scimdock.config).
    admin_token_hash: bytes | None = None
    #: Largest request body in bytes (413 above it; ``bulk.maxPayloadSize``).
    max_body: int = 1024 * 1024
    #: Largest body of an upload, the mock's seed and snapshot (413 above
    #: it): the operations openapi/admin.yaml marks ``x-scimdock-upload``.
    max_upload: int = 64 * 1024 * 1024
    #: Longest string a request body may hold, in characters (400 above it).
    max_string: int = 65536
    #: Most elements an array of a request body may hold (400 above it).
    max_values: int = 10000
    #: Failed logins a client address may make in the moving window before
    #: it gets 429 (handlers.throttle); ``None``: no limit.
    auth_failures: RateLimitItem | None = field(
        default_factory=lambda: parse(DEFAULT_AUTH_FAILURES)
    )
    #: Requests a tenant may make in the moving window; ``None``: no limit.
    rate_tenant: RateLimitItem | None = field(default_factory=lambda: parse(DEFAULT_RATE_TENANT))
    #: Requests one key may make in the moving window; ``None``: no limit.
    rate_key: RateLimitItem | None = None
    #: Requests of one tenant in progress at once; ``None``: no limit.
    tenant_concurrency: int | None = DEFAULT_TENANT_CONCURRENCY
    #: Key of the HMAC that makes cursors tamper-evident (core.cursor): from
    #: ``SCIMDOCK_CURSOR_KEY``, else random (``serve`` shares one with its workers).
    cursor_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    #: Seconds a cursor stays valid (``cursorTimeout``, RFC 9865 §4).
    cursor_timeout: int = 3600


@dataclass(frozen=True)
class Runtime:
    store: Store
    settings: Settings
    #: Where new secrets' randomness comes from (core.credentials).
    random: TokenBytes = SYSTEM_RANDOM
    #: The counters of the limits of ``settings`` (handlers.throttle).
    throttle: Throttle = field(init=False)
    #: The tenant's behaviour profile (scimdock.mock.rules.profile), under ``scimdock
    #: mock`` only (scimdock.mock.profiles); ``None``: scimdock's own behaviour.
    profile: Any = None

    def __post_init__(self) -> None:
        s = self.settings
        throttle = Throttle(
            self.store.counters,
            auth_failures=s.auth_failures,
            rate_tenant=s.rate_tenant,
            rate_key=s.rate_key,
            tenant_concurrency=s.tenant_concurrency,
        )
        object.__setattr__(self, "throttle", throttle)

    @property
    def clock(self) -> Clock:
        """ "Now" for the handlers: the store's own clock, so an expiry the
        handlers check and the timestamps the store writes agree."""
        return self.store.clock


@contextmanager
def profiled(profile: Any, *, lenient: bool) -> Iterator[None]:
    """While the block runs (one request), the request's context carries a
    runtime with ``profile`` and, when not ``lenient``, strict settings;
    the store and the limits' counters stay the process's (scimdock.mock.profiles)."""
    from scimdock.handlers.context import request_context

    ctx = request_context()
    base = ctx.runtime
    scoped = replace(base, settings=replace(base.settings, lenient=lenient), profile=profile)
    object.__setattr__(scoped, "throttle", base.throttle)
    ctx.runtime = scoped
    try:
        yield
    finally:
        ctx.runtime = base
