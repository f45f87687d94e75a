"""What the handlers run against: the store and the settings
(:mod:`scimdock.settings`) of this process.

The application factory (:func:`scimdock.app.create_app`) makes one
:class:`Runtime` per application; the front door hands it to each request
in its context (handlers.context), where the handlers read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from scimdock.core.clock import Clock
from scimdock.core.credentials import SYSTEM_RANDOM, TokenBytes
from scimdock.handlers.throttle import Throttle
from scimdock.settings import Settings
from scimdock.store.base import Store


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
