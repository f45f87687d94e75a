"""Limits on abuse: failed logins per client address, request rates per
tenant and per key, and requests in flight per tenant (docs/security.md,
"Limits").

Each refusal is a 429 Too Many Requests with ``Retry-After`` (RFC 6585 §4,
RFC 9110 §10.2.3) and a SCIM Error body (RFC 7644 §3.12). The counting is
the ``limits`` library's moving window over its in-memory storage: per
server process (several processes each count on their own).

- Failed logins: only failures are throttled. A credential is always
  checked first, and a valid one is never refused by this limit: identity
  providers send every customer's requests from shared address ranges, so
  one customer's expired token must not lock out the others. A failure (an
  unknown key id, a wrong secret, a malformed token) counts against its
  client address and, where the token names an existing key, against that
  key; once either has ``auth_failures`` failures inside the moving window,
  a further failure is answered 429 with ``Retry-After`` instead of 401,
  until the oldest failure leaves the window. What a failure costs the
  server stays one SHA-256 and a key lookup. Each failed credential counts
  once per window: a client that keeps retrying the one token it was given
  (expired, revoked, mistyped) is misconfigured, not guessing, and keeps
  getting the 401 that says so; a guesser's every new credential counts.
- Rates: each authenticated request counts against its tenant's window
  and its key's; over either, 429.
- In flight: at most ``tenant_concurrency`` requests of one tenant at once;
  the slot is taken after authentication and given back (:func:`release`)
  when the response has been sent, errors included.
  429 rather than 503: the server is not overloaded (RFC 9110 §15.6.4),
  this one tenant is sending too many requests (RFC 6585 §4), and every
  other tenant is served.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

if TYPE_CHECKING:  # Connexion is loaded only where a 429 is raised: the
    # command line reads Settings (handlers.runtime) without loading it.
    from connexion.exceptions import ProblemException

#: The ASGI scope key under which :func:`hold_slots` keeps the tenants
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
        #: One hit per window: whether a credential has failed already.
        self._once = (
            None if auth_failures is None else type(auth_failures)(1, auth_failures.multiples)
        )
        #: The rates each authenticated request counts against, as
        #: ``(item, kind)``: set once, so a request with none pays nothing.
        self._rates = tuple(
            (item, kind) for item, kind in ((rate_tenant, "tenant"), (rate_key, "key")) if item
        )
        self._in_flight: dict[int, int] = {}
        #: Plain counters of refusals by reason (for metrics).
        self.refused: Counter[str] = Counter()

    # --- failed logins, per client address and per key ---------------------
    def failed(
        self, address: str | None, key_id: str | None, credential: str
    ) -> ProblemException | None:
        """Count the failed login of ``credential`` (the token as sent) from
        ``address`` (and against the existing key ``key_id``, if the token
        named one), unless it failed there already inside the window.
        ``None`` while both counts are within ``auth_failures`` (answer
        401), else the 429 to answer instead. A failure past the limit is
        not counted: the window frees as its oldest failure leaves it,
        whatever the client keeps sending."""
        item, once = self.auth_failures, self._once
        if item is None or once is None:
            return None
        seen = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        over = [
            (kind, name)
            for kind, name in (("auth", _addr(address)), ("auth-key", key_id))
            if name is not None
            and not (
                self._limiter.hit(item, kind, name)
                if self._limiter.hit(once, "seen", kind, name, seen)
                else self._limiter.test(item, kind, name)
            )
        ]
        if not over:
            return None
        self.refused["auth_failures"] += 1
        return too_many(
            "Too many failed authentication attempts: check the credential, then try again later",
            max(self._wait(item, kind, name) for kind, name in over),
        )

    # --- authenticated requests -------------------------------------------
    def admit(self, scope: Any, tenant_id: int, key_id: str) -> None:
        """Count the request against its tenant's and key's rates, then take
        one of the tenant's in-flight slots; 429 when over any of them. A
        refused request counts against nothing."""
        if not self._rates:
            self._enter(scope, tenant_id)
            return
        rates = [
            (item, kind, str(tenant_id) if kind == "tenant" else key_id)
            for item, kind in self._rates
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
        count = self._in_flight.get(tenant_id, 0)
        if count >= cap:
            self.refused["concurrency"] += 1
            raise too_many(
                f"This tenant already has {cap} requests in progress: wait for one to finish",
                BUSY_RETRY,
            )
        self._in_flight[tenant_id] = count + 1
        held.append((self, tenant_id))

    def leave(self, tenant_id: int) -> None:
        count = self._in_flight.get(tenant_id, 0) - 1
        if count > 0:
            self._in_flight[tenant_id] = count
        else:
            self._in_flight.pop(tenant_id, None)

    def in_flight(self, tenant_id: int) -> int:
        return self._in_flight.get(tenant_id, 0)

    def _wait(self, item: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the moving window has room again."""
        reset = self._limiter.get_window_stats(item, *identifiers).reset_time
        return math.ceil(reset - time.time())


def _addr(address: str | None) -> str:
    return address or "-"


def hold_slots(scope: Any) -> list[tuple[Throttle, int]]:
    """The list, kept in the request's ``scope``, of the in-flight slots
    :meth:`Throttle.admit` takes for it; hand it to :func:`release` once
    the response has been sent or the request has failed or been
    cancelled (the front door, scimdock.front, outside everything else)."""
    held: list[tuple[Throttle, int]] = []
    scope[SLOTS] = held
    return held


def release(held: list[tuple[Throttle, int]]) -> None:
    """Give back the slots of :func:`hold_slots`."""
    for throttle, tenant_id in held:
        throttle.leave(tenant_id)
