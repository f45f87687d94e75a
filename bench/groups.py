"""Groups at directory scale: the cost of a membership change must not grow
with the group.

Measures, over HTTP against one scimdock process (production settings), the
median latency of PATCH add-one-member (Entra's form) and of
``GET /Groups/{id}?excludedAttributes=members`` on a group of 10 members and
a group of ``BENCH_GROUP_MEMBERS`` (default 100,000), requests to the two
groups interleaved so that drift hits both alike, and prints the ratio
large/small (target ≤ 2 for both). Users and member rows are bulk-loaded
through the store. Run by ``make bench`` after bench/run.py; alone:
``.venv/bin/python bench/groups.py``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import scimdock, tenant_token  # noqa: E402
from scimdock.core.membership import Member  # noqa: E402
from scimdock.core.query import build_query  # noqa: E402
from scimdock.core.schema import USER  # noqa: E402
from scimdock.store.blocking import BlockingStore  # noqa: E402
from scimdock.store.sqlite import SqliteStore  # noqa: E402

LARGE = int(os.environ.get("BENCH_GROUP_MEMBERS", "100000"))
ROUNDS = int(os.environ.get("BENCH_GROUP_ROUNDS", "300"))
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def seed(db: Path, spare: int) -> tuple[str, str, list[str]]:
    """Users, a 10-member and a LARGE-member group; returns their ids and
    the ids of users in neither group (to be added one by one)."""
    store = BlockingStore(SqliteStore(db, synchronous="NORMAL"))
    tenant = store.get_tenant("bench")
    assert tenant is not None
    store.create_users(
        tenant.id,
        [
            {"userName": f"user{i}@example.com", "displayName": f"User {i}"}
            for i in range(LARGE + spare)
        ],
    )
    query, _ = build_query(
        USER,
        filter=None,
        sort_by=None,
        sort_order=None,
        start_index=None,
        count=LARGE + spare,
        max_results=LARGE + spare,
    )
    ids = [r.id for r in store.search(tenant.id, "User", query)[1]]
    small = store.create(
        tenant.id, "Group", {"displayName": "small"}, tuple(Member(u) for u in ids[:10])
    )
    large = store.create(
        tenant.id, "Group", {"displayName": "large"}, tuple(Member(u) for u in ids[:LARGE])
    )
    store.close()
    return small.id, large.id, ids[LARGE:]


def median_ms(fn: Callable[[str], None], small: str, large: str) -> tuple[float, float]:
    for gid in (small, large):  # warm-up
        fn(gid)
    took: dict[str, list[float]] = {small: [], large: []}
    for _ in range(ROUNDS // 2):
        for gid in (small, large):
            start = time.perf_counter()
            fn(gid)
            took[gid].append(time.perf_counter() - start)
    return statistics.median(took[small]) * 1000, statistics.median(took[large]) * 1000


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-groups-"))
    try:
        db = tmp / "groups.db"
        token = tenant_token(db, "bench")
        t0 = time.perf_counter()
        small, large, spare_ids = seed(db, spare=ROUNDS + 10)
        print(
            f"groups: seeded {LARGE + len(spare_ids):,} users and groups of 10 and {LARGE:,}"
            f" members in {time.perf_counter() - t0:.1f} s"
        )
        server = scimdock(db, token, tmp)
        spare = iter(spare_ids)
        try:
            http = httpx.Client(
                base_url=server.origin + server.base,
                headers={"Authorization": server.auth},
                timeout=60,
            )

            def add_one(gid: str) -> None:
                r = http.patch(
                    f"/Groups/{gid}",
                    json={
                        "schemas": [PATCH_OP],
                        "Operations": [
                            {"op": "Add", "path": "members", "value": [{"value": next(spare)}]}
                        ],
                    },
                )
                assert r.status_code == 204, r.text

            def get_lean(gid: str) -> None:
                r = http.get(f"/Groups/{gid}", params={"excludedAttributes": "members"})
                assert r.status_code == 200 and "members" not in r.json(), r.text

            print(f"{'workload':34s} {'10 members':>12s} {f'{LARGE:,} members':>16s} {'ratio':>7s}")
            for name, fn in (
                ("PATCH add one member", add_one),
                ("GET excludedAttributes=members", get_lean),
            ):
                ms_small, ms_large = median_ms(fn, small, large)
                print(
                    f"{name:34s} {ms_small:9.2f} ms {ms_large:13.2f} ms"
                    f" {ms_large / ms_small:6.2f}×  (target ≤ 2)"
                )
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
