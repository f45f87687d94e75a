"""``make bench``: scimdock against peers measured in the same run.

Steps (bench/steps.py; each server one uvicorn process on core 0, the load
on core 1):

1. Cold start: spawn to first 200 of Entra's Test Connection, median of 3.
2. Workloads over keep-alive HTTP with wrk, each against each server that
   supports it, interleaved server by server: GET /Users/{id}, filter
   userName eq, list of 100, PATCH (Entra's form), POST, and PATCH add one
   member to a 10,000-member group (bench/groupload.py). 1,000 users are
   POSTed first into scimdock and scim2-server alike.
3. Creating N users through POST /Users with 4 concurrent Python clients
   (wall time), on a fresh scimdock database and a fresh scim2-server.
4. Scale: 1k, 100k, 1M users bulk-loaded with ``create_users`` into one
   tenant; at each step a fresh server, filter latency with one connection
   (median of the rounds), GET and list-100 latency, RSS after that warm-up,
   database bytes per user.

The knobs (``BENCH_*`` variables) are in bench/settings.py; the output is a
table on stdout and bench/results/latest.json (bench/report.py).
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import deps, report, servers, steps, targets  # noqa: E402
from bench import settings as S  # noqa: E402
from bench.measure import log  # noqa: E402


def machine() -> dict[str, Any]:
    """What ran the benchmark: cores, CPU model, versions."""
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        "wrk": deps.version([S.WRK, "-v"]) if S.WRK else None,
        **{pkg: version(pkg) for pkg in ("connexion", "uvicorn", "starlette", "scim2-server")},
    }


def main() -> int:
    deps.ensure_python_packages()
    S.WRK = deps.ensure_wrk()
    if S.WRK is None:
        log("wrk not available: falling back to the Python load generator (bench/pyload.py)")
    work = Path(os.environ.get("BENCH_WORK", report.RESULTS / f"work-{os.getpid()}"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        db = work / "main.db"
        token = servers.tenant_token(db, "bench")
        log("cold start")
        cold = steps.cold_start(db, token, work)
        log("workloads")
        loads, rss = steps.workloads(db, token, work)
        log("create via POST")
        created = steps.create_via_post(work)
        log("scale")
        sc = steps.scale(work)
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    largest = sc["steps"][str(sc["largest"])]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "settings": {
            "seconds": S.SECONDS,
            "connections": S.CONNECTIONS,
            "quick": S.QUICK,
            "generator": "wrk" if S.WRK else "python",
            "seed_users": S.SEED_USERS,
            "rounds": S.ROUNDS,
            "quiet_wait": S.QUIET_WAIT,
            "group_members": S.GROUP_MEMBERS,
        },
        "workloads": loads,
        "scale": sc,
        "cold_start": cold,
        "create_via_post": created,
        "rss_mib": {**rss, "scimdock_largest": largest["rss_mib"]},
        "db_bytes_per_user": largest["bytes_per_user"],
        "problems": S.PROBLEMS,
        "noisy": S.NOISY,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    result["targets"] = targets.judge(result)
    report.print_report(result)
    print(f"\nwritten: {report.write_json(result)}  ({result['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
