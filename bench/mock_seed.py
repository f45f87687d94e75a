"""The mock's deterministic data at its documented size (docs/mock.md,
"Snapshots"): 10,000 users, each with its id, put back over HTTP with one
``PUT /admin/v1/tenants/mock/snapshot`` to a running ``scimdock mock``.
Target: at most 5 s (the median of the rounds).

Beside it, ``scimdock mock --seed`` of the same document as a file,
started and stopped, against a mock without a seed. And its peer in the same run: the same document through the same
check (scimdock.mock.rules.seedfile.plan) and the store's bulk path
(``Store.create_users``, one transaction, one statement) in this process,
without HTTP, JSON or the reset; the ratio says what the service around
the store costs.

Run: ``.venv/bin/python bench/mock_seed.py`` (``make bench`` runs it);
``BENCH_MOCK_SEED_ROUNDS`` (3) sets the rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import body  # noqa: E402
from bench.targets import at_most  # noqa: E402

TARGET_SECONDS = 5.0
USERS = 10_000


def document() -> dict[str, Any]:
    """A snapshot of :data:`USERS` users with their ids (bench/seed.py's shape)."""
    users = []
    for i in range(USERS):
        user = body(i)
        del user["schemas"]
        users.append({"id": f"bench-{i:05d}", **user})
    return {"users": users}


def over_http(doc: dict[str, Any], rounds: int) -> list[float]:
    """Seconds of each ``PUT /snapshot`` of ``doc`` to one mock."""
    from scimdock.mock.testing import ScimMock

    mock = ScimMock()
    try:
        admin = httpx.Client(
            base_url=f"{mock.admin_url}/tenants/{mock.tenant}",
            headers={"Authorization": f"Bearer {mock.admin_token}"},
            timeout=300,
        )
        times = []
        with admin:
            for _ in range(rounds):
                start = time.perf_counter()
                answer = admin.put("/snapshot", json=doc)
                times.append(time.perf_counter() - start)
                if answer.status_code != 200 or len(answer.json()["users"]) != USERS:
                    raise RuntimeError(f"PUT /snapshot answered {answer.status_code}")
        return times
    finally:
        mock.stop()


def starts(doc: dict[str, Any]) -> tuple[float, float]:
    """Seconds until ``scimdock mock --seed FILE`` of ``doc`` serves, and
    until a mock without a seed does (its peer)."""
    from scimdock.mock.testing import ScimMock

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.json"
        path.write_text(json.dumps(doc))
        times = []
        for args in (("--seed", str(path)), ()):
            start = time.perf_counter()
            ScimMock(*args).stop()
            times.append(time.perf_counter() - start)
    return times[0], times[1]


def in_process(doc: dict[str, Any], rounds: int) -> list[float]:
    """Seconds of the check and the bulk insert of ``doc``, each round into
    a new tenant of one SQLite file (as the mock's throwaway one)."""
    from scimdock.mock.handlers.data import user_rows
    from scimdock.mock.rules.seedfile import plan
    from scimdock.store.blocking import BlockingStore
    from scimdock.store.sqlite import SqliteStore

    times = []
    with tempfile.TemporaryDirectory() as folder:
        store = BlockingStore(SqliteStore(Path(folder) / "bench.db"))
        try:
            for n in range(rounds):
                tenant = store.create_tenant(f"bench{n}")
                start = time.perf_counter()
                docs, given, _ = user_rows(plan(doc))
                store.create_users(tenant.id, docs, given=given)
                times.append(time.perf_counter() - start)
        finally:
            store.close()
    return times


def main() -> int:
    rounds = int(os.environ.get("BENCH_MOCK_SEED_ROUNDS", "3"))
    doc = document()
    load = os.getloadavg()[0]
    http = statistics.median(over_http(doc, rounds))
    floor = statistics.median(in_process(doc, rounds))
    figure = f"PUT /snapshot over HTTP {http:.2f} s (median of {rounds};"
    peer = f"the check and the store's bulk path in-process {floor:.2f} s: {http / floor:.2f}x"
    print(f"mock seed: {USERS:,} users with their ids, {figure} {at_most(http, TARGET_SECONDS)});")
    seeded, bare = starts(doc)
    print(f"  {peer}; load average {load:.1f}", flush=True)
    print(
        f"  scimdock mock --seed of it started and stopped in {seeded:.2f} s, without {bare:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
