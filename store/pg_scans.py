"""A cap on each tenant's lists and searches running at once in one
process of the PostgreSQL store: the noisy neighbour's bound.

A list or a search is the one request whose cost the client chooses (a
filter of ``co`` comparisons over long values reads every value of every
row, up to the query budget). On PostgreSQL each runs in a backend process
of its own, so a tenant sending such searches from several connections
keeps as many of the database's cores busy, and every other tenant's
requests, however cheap, wait for a core (on the 2-core bench machine,
tenant A's GET p99 rose 7x while B searched from two connections). With
the cap, a tenant's further lists wait in this process, in order, for one
of its own to end; other tenants' requests find a core.

Written here rather than taken from a library: it is an
:class:`asyncio.Semaphore` per tenant, dropped when no request holds or
waits for it, so the map holds only tenants with lists under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: Lists and searches of one tenant that run at once in one process.
SCANS_PER_TENANT = 1


class TenantScans:
    """The per-tenant semaphores of one store."""

    def __init__(self, per_tenant: int = SCANS_PER_TENANT) -> None:
        self.per_tenant = per_tenant
        self._gates: dict[int, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def turn(self, tenant_id: int) -> AsyncIterator[None]:
        """Hold one of ``tenant_id``'s places for the block, waiting for it."""
        gate = self._gates.get(tenant_id)
        if gate is None:
            gate = self._gates[tenant_id] = (asyncio.Semaphore(self.per_tenant), [0])
        semaphore, users = gate
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._gates[tenant_id]
