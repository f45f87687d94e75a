"""The server's settings (docs/configuration.md): what ``scimdock serve``
and ``scimdock mock`` read from the command line and ``SCIMDOCK_*``
(:mod:`scimdock.config`) and hand to the application
(:func:`scimdock.app.create_app`), which the handlers read through their
runtime (handlers.runtime, handlers.context)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from limits import RateLimitItem, parse

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
