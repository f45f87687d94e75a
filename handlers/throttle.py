"""Limits on abuse: failed logins per client address, request rates per
tenant and per key, and requests in flight per tenant (docs/security.md,
"Limits").

Each refusal is a 429 Too Many Requests with ``Retry-After`` (RFC 6585 §4,
RFC 9110 §10.2.3) and a SCIM Error body (RFC 7644 §3.12). Every count is
shared by every server process on the database (several ``serve``,
``--workers``), through the store's counters (store.counters).

- Windows: a limit of N per window W counts each window in
  :data:`SLICES` slices and admits while the hits of the current slice and
  the :data:`SLICES` before it stay within N. That span is longer than W,
  so no interval of length W ever counts more than N; a hit leaves the
  count at most W/:data:`SLICES` later than in an exact moving window.
- Failed logins: only failures are throttled. A credential is always
  checked first, and a valid one is never refused by this limit: identity
  providers send every customer's requests from shared address ranges, so
  one customer's expired token must not lock out the others. A failure (an
  unknown key id, a wrong secret, a malformed token) counts against its
  client address and, where the token names an existing key, against that
  key; once either has ``auth_failures`` failures inside the window,
  a further failure is answered 429 with ``Retry-After`` instead of 401,
  until the oldest failure leaves the window. Each failed credential counts
  once per window: a client that keeps retrying the one token it was given
  (expired, revoked, mistyped) is misconfigured, not guessing, and keeps
  getting the 401 that says so; a guesser's every new credential counts.
  Each failure is counted in the database (a round trip or two per kind).
- Rates: each authenticated request counts against its tenant's window
  and its key's; over either, 429. A process takes permits from the shared
  count in batches (:func:`batch`, a two-hundredth of the limit) and hands
  them out from memory: one round trip per batch, not per request. A
  permit is counted in the slice it was taken in and may be used later,
  so an interval of the window's length can hold, beyond the limit, the
  permits the processes held unused at its start: a batch each at most.
  Permits taken and never used are admitted less, a batch each at most.
- In flight: at most ``tenant_concurrency`` requests of one tenant at once
  (handlers.slots); the slot is taken after authentication and given back
  (:func:`release`) when the response has been sent, errors included.
  429 rather than 503: the server is not overloaded (RFC 9110 §15.6.4),
  this one tenant is sending too many requests (RFC 6585 §4), and every
  other tenant is served.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem

from scimdock.handlers.slots import LEASE_SECONDS, Slots
from scimdock.store.counters import Counters

if TYPE_CHECKING:  # Connexion is loaded only where a 429 is raised: the
    # command line reads Settings (scimdock.settings) without loading it.
    from connexion.exceptions import ProblemException

#: The ASGI scope key under which :func:`hold_slots` keeps the tenants
#: whose in-flight slot the request holds.
SLOTS = "scimdock.slots"
#: When a tenant over its in-flight cap may try again, in seconds.
BUSY_RETRY = 1
#: How many slices a window is counted in (see the module's text).
SLICES = 20
_log = logging.getLogger(__name__)


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


def batch(item: RateLimitItem) -> int:
    """Permits a process takes at once from a rate's shared count."""
    return max(1, item.amount // 200)


@dataclass
class _Budget:
    """A process's permits of one rate."""

    left: int = 0
    #: Until when (epoch seconds) a refill is known to be refused, and
    #: when the first counted hit leaves the window (for ``Retry-After``).
    closed_until: float = 0.0
    frees_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Throttle:
    """The limits of one server process, counted in ``counters``."""

    def __init__(
        self,
        counters: Counters,
        *,
        auth_failures: RateLimitItem | None,
        rate_tenant: RateLimitItem | None,
        rate_key: RateLimitItem | None,
        tenant_concurrency: int | None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.counters = counters
        self.auth_failures = auth_failures
        self.rate_tenant = rate_tenant
        self.rate_key = rate_key
        self.tenant_concurrency = tenant_concurrency
        self._now = now
        #: The rates each authenticated request counts against, as
        #: ``(item, kind)``: set once, so a request with none pays nothing.
        self._rates = tuple(
            (item, kind) for item, kind in ((rate_tenant, "tenant"), (rate_key, "key")) if item
        )
        self._budgets: dict[str, _Budget] = {}
        self.slots = (
            None if tenant_concurrency is None else Slots(counters, tenant_concurrency, now)
        )
        self._chores: asyncio.Task[None] | None = None
        #: Plain counters of refusals by reason (for metrics).
        self.refused: Counter[str] = Counter()

    # --- failed logins, per client address and per key ---------------------
    async def failed(
        self, address: str | None, key_id: str | None, credential: str
    ) -> ProblemException | None:
        """Count the failed login of ``credential`` (the token as sent) from
        ``address`` (and against the existing key ``key_id``, if the token
        named one), unless it failed there already inside the window.
        ``None`` while both counts are within ``auth_failures`` (answer
        401), else the 429 to answer instead. A failure past the limit is
        not counted: the window frees as its oldest failure leaves it,
        whatever the client keeps sending."""
        item = self.auth_failures
        if item is None:
            return None
        self._keep_up()
        seen = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        window = item.get_expiry()
        frees: list[float] = []
        for kind, name in (("auth", address or "-"), ("auth-key", key_id)):
            if name is None:
                continue
            now = self._now()
            once = await self.counters.take(
                f"seen:{kind}:{name}:{seen}", 0, 1, 1, _ms(now + window), _ms(now)
            )
            part, until = _slice(item, now)
            grant = await self.counters.take(
                f"{kind}:{name}", part, once.granted, item.amount, until, _ms(now)
            )
            over = grant.granted == 0 if once.granted else grant.held >= item.amount
            if over:
                frees.append(now + window if grant.frees_at is None else grant.frees_at / 1000)
        if not frees:
            return None
        self.refused["auth_failures"] += 1
        return too_many(
            "Too many failed authentication attempts: check the credential, then try again later",
            _seconds(max(frees) - self._now(), window),
        )

    # --- authenticated requests -------------------------------------------
    async def admit(self, scope: Any, tenant_id: int, key_id: str) -> None:
        """Count the request against its tenant's and key's rates, then take
        one of the tenant's in-flight slots; 429 when over any of them. A
        refused request counts against nothing."""
        if not self._rates and self.slots is None:
            return
        self._keep_up()
        taken: list[_Budget] = []
        try:
            for item, kind in self._rates:
                name = f"rate:{kind}:{tenant_id if kind == 'tenant' else key_id}"
                budget, wait = await self._permit(item, name)
                if wait is not None:
                    self.refused[f"rate_{kind}"] += 1
                    raise too_many(
                        f"Request rate limit of this {kind} reached ({item}): slow down", wait
                    )
                taken.append(budget)
            await self._enter(scope, tenant_id)
        except BaseException:
            for budget in taken:  # not used: back to the process's budget
                budget.left += 1
            raise

    async def _permit(self, item: RateLimitItem, name: str) -> tuple[_Budget, int | None]:
        """One permit of the rate ``name`` from this process's budget, taken
        from the shared count when the budget is empty: the budget, and
        ``None``, or the seconds to wait when none is left."""
        budget = self._budgets.get(name)
        if budget is None:
            budget = self._budgets[name] = _Budget()
        if budget.left <= 0:
            now = self._now()
            if now < budget.closed_until:
                return budget, _seconds(budget.frees_at - now, item.get_expiry())
            async with budget.lock:
                if budget.left <= 0:
                    wait = await self._refill(item, name, budget)
                    if wait is not None:
                        return budget, wait
        budget.left -= 1
        return budget, None

    async def _refill(self, item: RateLimitItem, name: str, budget: _Budget) -> int | None:
        now = self._now()
        part, until = _slice(item, now)
        grant = await self.counters.take(name, part, batch(item), item.amount, until, _ms(now))
        budget.left = grant.granted
        if grant.granted:
            return None
        window = item.get_expiry()
        budget.frees_at = now + window if grant.frees_at is None else grant.frees_at / 1000
        # Room comes back when the first hit leaves, or earlier when another
        # process gives permits back, at the end of a slice: look again then.
        budget.closed_until = min(budget.frees_at, (part + 1) * window / SLICES)
        return _seconds(budget.frees_at - now, window)

    async def _enter(self, scope: Any, tenant_id: int) -> None:
        held = scope.get(SLOTS)
        slots = self.slots
        if slots is None or held is None:
            return
        if not await slots.enter(tenant_id):
            self.refused["concurrency"] += 1
            raise too_many(
                f"This tenant already has {slots.cap} requests in progress: wait for one to finish",
                BUSY_RETRY,
            )
        held.append((self, tenant_id))

    def leave(self, tenant_id: int) -> None:
        if self.slots is not None:
            self.slots.leave(tenant_id)

    def in_flight(self, tenant_id: int) -> int:
        return 0 if self.slots is None else self.slots.in_flight(tenant_id)

    async def close(self) -> None:
        """Stop the upkeep and give back the in-flight slots this process
        holds spare (at shutdown: else they wait for the lease to expire)."""
        if self._chores is not None:
            self._chores.cancel()
        if self.slots is not None:
            await self.slots.close()

    # --- upkeep ------------------------------------------------------------
    def _keep_up(self) -> None:
        """Run :meth:`_upkeep` on this event loop (started on first use)."""
        task = self._chores
        loop = asyncio.get_running_loop()
        if task is None or task.done() or task.get_loop() is not loop:
            self._chores = loop.create_task(self._upkeep())

    async def _upkeep(self) -> None:
        """Every third of a lease's life: renew this process's leases and
        drop every expired row (the once-per-window marks of failed
        credentials have names of their own, which no take cleans)."""
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)  # the renewal period, not a wait for an event
            try:
                if self.slots is not None:
                    await self.slots.renew()
                await self.counters.sweep(_ms(self._now()))
            except Exception:  # the database away: the next round tries again
                _log.warning("could not renew the limits' leases", exc_info=True)


def _slice(item: RateLimitItem, now: float) -> tuple[int, int]:
    """The slice ``now`` falls in, and when that slice's hits leave the
    count (ms since the epoch): after :data:`SLICES` more slices."""
    length = item.get_expiry() / SLICES
    part = int(now // length)
    return part, _ms((part + SLICES + 1) * length)


def _ms(moment: float) -> int:
    return int(moment * 1000)


def _seconds(wait: float, window: float) -> int:
    """Whole seconds for ``Retry-After``: at least 1, at most the window."""
    return max(1, min(math.ceil(wait), math.ceil(window)))


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
