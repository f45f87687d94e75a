"""Limits on abuse: failed logins per client address, request rates per
tenant and per key, and requests in flight per tenant (docs/security.md,
"Limits").

Each refusal is a 429 Too Many Requests with ``Retry-After`` (RFC 6585 §4,
RFC 9110 §10.2.3) and a SCIM Error body (RFC 7644 §3.12). The counting is
the ``limits`` library's moving window over its in-memory storage: per
server process (several processes each count on their own).

- Failed logins: a client address with ``auth_failures`` failures (an
  unknown key id, a wrong secret, a malformed token) inside the moving
  window gets 429 for every further attempt, a valid credential included,
  until the oldest failure leaves the window. Checked before any secret is
  compared, so a locked-out guesser learns nothing.
- Rates: each authenticated request counts against its tenant's window
  and its key's; over either, 429.
- In flight: at most ``tenant_concurrency`` requests of one tenant at once;
  the slot is taken after authentication and given back by
  :class:`ReleaseSlots` when the response has been sent, errors included.
  429 rather than 503: the server is not overloaded (RFC 9110 §15.6.4),
  this one tenant is sending too many requests (RFC 6585 §4), and every
  other tenant is served.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:  # Connexion is loaded only where a 429 is raised: the
    # command line reads Settings (handlers.runtime) without loading it.
    from connexion.exceptions import ProblemException

#: The ASGI scope key under which :class:`ReleaseSlots` keeps the tenants
#: whose in-flight slot the request holds.
SLOTS = "scimdock.slots"
#: When a tenant over its in-flight cap may try again, in seconds.
BUSY_RETRY = 1


def too_many(detail: str, retry_after: int) -> ProblemException:
    """A 429 with ``Retry-After`` (RFC 6585 §4); leaves as a SCIM Error
    (handlers.errors.problem)."""
    from connexion.exceptions import ProblemException

    return ProblemException(
        status=429,
        title="Too Many Requests",
        detail=detail,
        headers={"Retry-After": str(max(1, retry_after))},
    )


class Throttle:
    """The counters of one server process."""

    def __init__(
        self,
        *,
        auth_failures: RateLimitItem | None,
        rate_tenant: RateLimitItem | None,
        rate_key: RateLimitItem | None,
        tenant_concurrency: int | None,
    ) -> None:
        self.auth_failures = auth_failures
        self.rate_tenant = rate_tenant
        self.rate_key = rate_key
        self.tenant_concurrency = tenant_concurrency
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._in_flight: Counter[int] = Counter()
        #: Plain counters of refusals by reason (for metrics).
        self.refused: Counter[str] = Counter()

    # --- failed logins, per client address ----------------------------------
    def check_address(self, address: str | None) -> None:
        """429 if ``address`` has used up its failures in the window."""
        item = self.auth_failures
        if item is None or self._limiter.test(item, "auth", _addr(address)):
            return
        self.refused["auth_failures"] += 1
        raise too_many(
            "Too many failed authentication attempts from this address: try again later",
            self._wait(item, "auth", _addr(address)),
        )

    def failed(self, address: str | None) -> None:
        """Count one failed login of ``address``."""
        if self.auth_failures is not None:
            self._limiter.hit(self.auth_failures, "auth", _addr(address))

    # --- authenticated requests -------------------------------------------
    def admit(self, scope: Any, tenant_id: int, key_id: str) -> None:
        """Count the request against its tenant's and key's rates, then take
        one of the tenant's in-flight slots; 429 when over any of them. A
        refused request counts against nothing."""
        rates = [
            (item, kind, name)
            for item, kind, name in (
                (self.rate_tenant, "tenant", str(tenant_id)),
                (self.rate_key, "key", key_id),
            )
            if item is not None
        ]
        for item, kind, name in rates:
            if not self._limiter.test(item, kind, name):
                self.refused[f"rate_{kind}"] += 1
                raise too_many(
                    f"Request rate limit of this {kind} reached ({item}): slow down",
                    self._wait(item, kind, name),
                )
        self._enter(scope, tenant_id)
        for item, kind, name in rates:
            self._limiter.hit(item, kind, name)

    def _enter(self, scope: Any, tenant_id: int) -> None:
        held = scope.get(SLOTS)
        cap = self.tenant_concurrency
        if cap is None or held is None:
            return
        if self._in_flight[tenant_id] >= cap:
            self.refused["concurrency"] += 1
            raise too_many(
                f"This tenant already has {cap} requests in progress: wait for one to finish",
                BUSY_RETRY,
            )
        self._in_flight[tenant_id] += 1
        held.append((self, tenant_id))

    def leave(self, tenant_id: int) -> None:
        self._in_flight[tenant_id] -= 1
        if self._in_flight[tenant_id] <= 0:
            del self._in_flight[tenant_id]

    def in_flight(self, tenant_id: int) -> int:
        return self._in_flight[tenant_id]

    def _wait(self, item: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the moving window has room again."""
        reset = self._limiter.get_window_stats(item, *identifiers).reset_time
        return math.ceil(reset - time.time())


def _addr(address: str | None) -> str:
    return address or "-"


class ReleaseSlots:
    """ASGI middleware around the whole application: gives back the
    in-flight slots a request took (:meth:`Throttle.admit`) once its
    response has been sent or it has failed or been cancelled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[tuple[Throttle, int]] = []
        scope[SLOTS] = held
        try:
            await self.app(scope, receive, send)
        finally:
            for throttle, tenant_id in held:
                throttle.leave(tenant_id)
