"""CPU per store operation on PostgreSQL, the store alone (no HTTP): what
psycopg and the store cost this process per key lookup, user created,
user read, member added and user updated, 20 tenants at once through one
:class:`~scimdock.store.postgres.PostgresStore` on uvloop, as a server
worker runs them. A throwaway cluster (tests/postgres_cluster.py); only
this process's CPU is counted (``getrusage``), so other jobs on the
machine change it little. Not part of ``make bench``: run
``.venv/bin/python bench/pg_store_cost.py`` (``BENCH_STORE_OPS``: operations
per tenant and kind, 100), from two checkouts in turn to compare them
(docs/deployment.md, "Speed").
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvloop  # noqa: E402

from scimdock.core import credentials  # noqa: E402
from scimdock.core.membership import AddMembers, GroupChange, Member  # noqa: E402
from scimdock.store.postgres import PostgresStore  # noqa: E402
from tests.postgres_cluster import PostgresCluster  # noqa: E402
from tests.store_contract.support import user  # noqa: E402

OPS = int(os.environ.get("BENCH_STORE_OPS", "100"))
TENANTS = 20
Op = Callable[[int, int, int], Awaitable[object]]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _measure(url: str) -> None:
    store = PostgresStore(url)
    tenants = [(await store.create_tenant(f"t{k}")).id for k in range(TENANTS)]
    for k, tenant in enumerate(tenants):
        await store.add_key(tenant, f"key{k}", credentials.hash_secret("s"), "")
    groups = {t: await store.create(t, "Group", {"displayName": "g"}) for t in tenants}
    made: dict[int, list[str]] = {t: [] for t in tenants}

    async def key(k: int, t: int, i: int) -> object:
        return await store.get_key(f"key{k}", last_use=False)

    async def create(k: int, t: int, i: int) -> object:
        made[t].append((await store.create(t, "User", user(f"u{i}@example.com"))).id)
        return None

    async def read(k: int, t: int, i: int) -> object:
        return await store.get(t, "User", made[t][i])

    async def add(k: int, t: int, i: int) -> object:
        change = GroupChange(groups[t].doc, (AddMembers((Member(made[t][i]),), "members"),))
        return await store.update(t, "Group", groups[t].id, lambda r: change)

    async def patch(k: int, t: int, i: int) -> object:
        return await store.update(t, "User", made[t][i], lambda r: {**r.doc, "title": f"t{i}"})

    async def each_tenant(op: Op) -> None:
        async def one(k: int, t: int) -> None:
            for i in range(OPS):
                await op(k, t, i)

        await asyncio.gather(*(one(k, t) for k, t in enumerate(tenants)))

    kinds: list[tuple[str, Op]] = [
        ("key lookup", key),
        ("user created", create),
        ("user read", read),
        ("member added", add),
        ("user updated", patch),
    ]
    try:
        for name, op in kinds:
            cpu, wall = _cpu(), time.perf_counter()
            await each_tenant(op)
            cpu, wall = _cpu() - cpu, time.perf_counter() - wall
            n = OPS * TENANTS
            print(f"{name:13} {cpu / n * 1000:6.3f} ms CPU per operation  {n / wall:6.0f} per s")
    finally:
        await store.close()


def main() -> None:
    cluster = PostgresCluster()
    try:
        uvloop.run(_measure(cluster.url()))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
