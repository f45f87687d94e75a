"""What the mock keeps in memory, per tenant: the journal (a ring buffer
of the last N SCIM exchanges) and the fault rules.

One process holds them (``scimdock mock`` runs one); under ``serve
--workers N`` each worker would keep its own, so the journal is meant for
a single process. Installed by scimdock.worker when switched on; the admin
operations answer 404 with a SCIM Error while they are off.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from scimdock.core.errors import NotFound
from scimdock.mock.rules.faultrules import STARTED, FaultRule, first_fault
from scimdock.mock.rules.profile import DEFAULT, Profile
from scimdock.store.base import Actor, Store

#: Entries a listener may fall behind by before it misses some.
LISTENER_BACKLOG = 1000


class _Pending:
    """A journal entry, built once, when first wanted, and numbered ``seq``."""

    __slots__ = ("_build", "_made", "seq")

    def __init__(self, seq: int, entry: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self.seq = seq
        self._made: dict[str, Any] | None = None
        self._build: Callable[[], dict[str, Any]] | None = None
        if callable(entry):
            self._build = entry
        else:
            self._made = entry
            entry["seq"] = seq

    def made(self) -> dict[str, Any]:
        if self._made is None:
            assert self._build is not None
            self._made = self._build()
            self._made["seq"] = self.seq
            self._build = None
        return self._made


class Journal:
    """The last ``size`` exchanges of each tenant, oldest first; ``seq``
    numbers every entry of the process, in order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rings: dict[int, deque[dict[str, Any]]] = {}
        self._seq = itertools.count(1)
        self._listeners: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}

    def add(self, tenant_id: int, entry: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """Append an entry, or the call that builds it when first read (the
        request that made it does not wait for the building)."""
        item = _Pending(next(self._seq), entry)
        ring = self._rings.get(tenant_id)
        if ring is None:
            ring = self._rings[tenant_id] = deque(maxlen=self.size)
        ring.append(item)
        for queue in self._listeners.get(tenant_id, ()):
            if queue.qsize() < LISTENER_BACKLOG:
                queue.put_nowait(item.made())

    def entries(self, tenant_id: int) -> list[dict[str, Any]]:
        return [item.made() for item in self._rings.get(tenant_id, ())]

    def clear(self, tenant_id: int) -> int:
        """Forget the tenant's entries; how many there were."""
        ring = self._rings.pop(tenant_id, None)
        return 0 if ring is None else len(ring)

    @contextmanager
    def listening(self, tenant_id: int) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of the tenant's new entries while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.setdefault(tenant_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._listeners[tenant_id].discard(queue)


class FaultBook:
    """Each tenant's fault rules, in the order given (the first that
    matches and triggers acts), and its scenarios' states."""

    def __init__(self, draw: random.Random | None = None) -> None:
        self._rules: dict[int, list[FaultRule]] = {}
        self._states: dict[int, dict[str, str]] = {}
        self._random = draw or random.Random()

    def any(self) -> bool:
        """Whether any tenant has a rule (else no request pays for a lookup)."""
        return any(self._rules.values())

    def has(self, tenant_id: int) -> bool:
        return bool(self._rules.get(tenant_id))

    def rules(self, tenant_id: int) -> list[FaultRule]:
        return list(self._rules.get(tenant_id, ()))

    def replace(self, tenant_id: int, rules: list[FaultRule]) -> None:
        self._rules[tenant_id] = list(rules)
        self._states.pop(tenant_id, None)

    def add(self, tenant_id: int, rule: FaultRule) -> None:
        self._rules.setdefault(tenant_id, []).append(rule)

    def clear(self, tenant_id: int) -> None:
        self._rules.pop(tenant_id, None)
        self._states.pop(tenant_id, None)

    def pick(
        self, tenant_id: int, request: dict[str, Any]
    ) -> tuple[FaultRule, dict[str, Any]] | None:
        rules = self._rules.get(tenant_id)
        if not rules:
            return None
        states = self._states.setdefault(tenant_id, {})
        return first_fault(rules, request, self._random.random(), states)

    def index(self, tenant_id: int, rule: FaultRule) -> int:
        return next(i for i, r in enumerate(self._rules.get(tenant_id, ())) if r is rule)

    def scenarios(self, tenant_id: int) -> dict[str, str]:
        """Each scenario its rules name, and its state."""
        states = self._states.get(tenant_id, {})
        names = {r.spec["scenario"] for r in self._rules.get(tenant_id, ()) if "scenario" in r.spec}
        return {name: states.get(name, STARTED) for name in sorted(names | set(states))}

    def set_scenario(self, tenant_id: int, name: str, state: str) -> None:
        self._states.setdefault(tenant_id, {})[name] = state

    def reset_scenarios(self, tenant_id: int) -> None:
        """Every scenario back to ``Started``."""
        self._states.pop(tenant_id, None)


class ProfileBook:
    """Each tenant's behaviour profile (scimdock.mock.rules.profile) but its userName
    choice, which the store keeps (:func:`set_profile`); the default where
    none was set. :meth:`any` is false while no profile changes what the
    wire sees: then no request pays for a lookup."""

    def __init__(self) -> None:
        self._profiles: dict[int, Profile] = {}
        self._active = False

    def any(self) -> bool:
        return self._active

    def get(self, tenant_id: int) -> Profile:
        return self._profiles.get(tenant_id, DEFAULT)

    def set(self, tenant_id: int, profile: Profile) -> None:
        profile = replace(profile, userNameCaseExact=False)
        if profile == DEFAULT:
            self._profiles.pop(tenant_id, None)
        else:
            self._profiles[tenant_id] = profile  # kept for its name too
        self._active = any(not p.is_default() for p in self._profiles.values())


async def set_profile(store: Store, tenant_id: int, profile: Profile, actor: Actor) -> None:
    """Give the tenant ``profile``: its userName choice in the store, which
    re-keys the tenant's users (:class:`Conflict` naming two that would
    collide, and then nothing changes), the rest in this process's book."""
    await store.set_user_name_case_exact(tenant_id, profile.userNameCaseExact, actor=actor)
    profiles().set(tenant_id, profile)


async def profile_of(store: Store, tenant_id: int) -> Profile:
    """The tenant's profile, with the userName choice as the store has it."""
    tenant = await store.get_tenant_by_id(tenant_id)
    exact = tenant is not None and tenant.user_name_case_exact
    return replace(profiles().get(tenant_id), userNameCaseExact=exact)


_journal: Journal | None = None
_profiles: ProfileBook | None = None
_faults: FaultBook | None = None
#: The tenant of requests that name none (no credential, no tenant host): the mock's own.
_fallback: int | None = None


def install(journal: Journal | None, faults: FaultBook | None, fallback: int | None) -> None:
    global _journal, _faults, _fallback
    _journal, _faults, _fallback = journal, faults, fallback


def installed() -> tuple[Journal | None, FaultBook | None, int | None]:
    return _journal, _faults, _fallback


def journal() -> Journal:
    """The journal, or 404 (RFC 7644 §3.12) when it is off."""
    if _journal is None:
        raise NotFound("The request journal is off: start 'scimdock mock', or set SCIMDOCK_JOURNAL")
    return _journal


def faults() -> FaultBook:
    """The fault rules, or 404 when faults are off."""
    if _faults is None:
        raise NotFound("Fault injection is off: start 'scimdock mock', or set SCIMDOCK_FAULTS")
    return _faults


def install_profiles(book: ProfileBook | None) -> None:
    global _profiles
    _profiles = book


def profiles() -> ProfileBook:
    """The profiles, or 404 outside the mock."""
    if _profiles is None:
        raise NotFound("Behaviour profiles are a 'scimdock mock' feature")
    return _profiles
