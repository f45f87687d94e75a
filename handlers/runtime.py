"""What the handlers run against: the store and the settings of this process.

The application factory (:func:`scimdock.app.create_app`) installs one
:class:`Runtime` before serving; handlers read it with :func:`current`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scimdock.core.clock import Clock
from scimdock.core.credentials import SYSTEM_RANDOM, TokenBytes
from scimdock.store.base import Store


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
    #: Longest string a request body may hold, in characters (400 above it).
    max_string: int = 65536
    #: Most elements an array of a request body may hold (400 above it).
    max_values: int = 10000


@dataclass(frozen=True)
class Runtime:
    store: Store
    settings: Settings
    #: Where new secrets' randomness comes from (core.credentials).
    random: TokenBytes = SYSTEM_RANDOM

    @property
    def clock(self) -> Clock:
        """ "Now" for the handlers: the store's own clock, so an expiry the
        handlers check and the timestamps the store writes agree."""
        return self.store.clock


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("handlers.runtime.install() was not called")
    return _current
