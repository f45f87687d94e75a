"""A tenant's requests in flight, capped across every process on the
database (handlers.throttle; store.counters).

Each process leases slots from the tenant's shared pool (``busy:tenant:<id>``)
in a row of its own, and counts its requests against its lease in memory:
a request that finds a free slot in the lease touches no database. The
lease grows when a request finds none (one take, refused with 429 when the
pool is full), with :attr:`Slots.spare` slots more for the next requests
(an eighth of the cap: none under a cap below 8). Slots freed beyond that
go back :data:`GIVE_BACK_SECONDS` after the first response that freed them,
all together: one write however many responses end meanwhile, and at most
that long before another process can have them. A lease expires
:data:`LEASE_SECONDS` after the process last renewed it
(:meth:`Slots.renew`, every third of that): the slots of a process that
died come back by then. A process whose renewal fails (the database away)
may see its lease expire under requests still running; their slots are
then counted nowhere until they end, and the cap can be passed by as many
for that while.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from scimdock.store.counters import Counters

#: How long a process's lease outlives its last renewal, in seconds.
LEASE_SECONDS = 15
#: How long freed slots stay in the lease before they go back, in seconds.
GIVE_BACK_SECONDS = 0.5
PREFIX = "busy:tenant:"
_log = logging.getLogger(__name__)


@dataclass
class _Lease:
    leased: int = 0  #: slots the shared pool counts for this process
    busy: int = 0  #: requests holding one
    due: bool = False  #: a give-back is scheduled
    #: Held while the lease changes in the database: a take waits for a
    #: give-back under way, so it never finds the pool full of its own slots.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Slots:
    """The leases of one process."""

    def __init__(self, counters: Counters, cap: int, now: Callable[[], float]) -> None:
        self.counters, self.cap, self._now = counters, cap, now
        self.spare = cap // 8
        #: This process's row in every pool: never a slice number (store.counters).
        self.holder = secrets.randbits(60) | 1 << 61
        self._leases: dict[int, _Lease] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _until(self) -> tuple[int, int]:
        now = self._now()
        return int((now + LEASE_SECONDS) * 1000), int(now * 1000)

    async def enter(self, tenant_id: int) -> bool:
        """Take one of the tenant's slots: ``False`` when the pool is full."""
        lease = self._leases.get(tenant_id)
        if lease is None:
            lease = self._leases[tenant_id] = _Lease()
        if lease.busy >= lease.leased:
            async with lease.lock:
                if lease.busy >= lease.leased:
                    want = lease.busy + 1 + self.spare - lease.leased
                    until, now = self._until()
                    name = f"{PREFIX}{tenant_id}"
                    grant = await self.counters.take(name, self.holder, want, self.cap, until, now)
                    lease.leased += grant.granted
                if lease.busy >= lease.leased:
                    return False
        lease.busy += 1
        return True

    def leave(self, tenant_id: int) -> None:
        """Give a slot back to the lease; what the lease holds beyond
        :attr:`spare` free slots goes back to the pool a little later."""
        lease = self._leases[tenant_id]
        lease.busy -= 1
        if lease.due or lease.leased - lease.busy <= self.spare:
            return
        lease.due = True
        asyncio.get_running_loop().call_later(GIVE_BACK_SECONDS, self._spawn, tenant_id)

    def _spawn(self, tenant_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._give_back(tenant_id))
        self._tasks.add(task)  # a reference until done: the loop keeps only weak ones
        task.add_done_callback(self._tasks.discard)

    async def _give_back(self, tenant_id: int) -> None:
        lease = self._leases.get(tenant_id)
        if lease is None:
            return
        lease.due = False
        async with lease.lock:
            extra = lease.leased - lease.busy - self.spare
            if extra <= 0:
                return
            lease.leased -= extra
            try:
                await self.counters.give_back(f"{PREFIX}{tenant_id}", self.holder, extra)
            except Exception:  # still counted: kept, and tried again by the next renewal
                lease.leased += extra
                _log.warning("could not give back in-flight slots", exc_info=True)

    async def settle(self) -> None:
        """Give back now what is due (as the scheduled give-backs will)."""
        for tenant_id, lease in list(self._leases.items()):
            if lease.leased - lease.busy > self.spare:
                await self._give_back(tenant_id)
        await asyncio.gather(*self._tasks)

    async def close(self) -> None:
        """Give every slot not in use back (the process stops serving)."""
        self.spare = 0
        await self.settle()

    def in_flight(self, tenant_id: int) -> int:
        lease = self._leases.get(tenant_id)
        return 0 if lease is None else lease.busy

    async def renew(self) -> None:
        """Give back what is due, forget idle tenants, then move every lease
        of this process :data:`LEASE_SECONDS` on (one statement for all)."""
        await self.settle()
        for tenant_id, lease in list(self._leases.items()):
            if not (lease.leased or lease.busy or lease.due or lease.lock.locked()):
                del self._leases[tenant_id]
        if self._leases:
            until, _ = self._until()
            await self.counters.renew(PREFIX, self.holder, until)
