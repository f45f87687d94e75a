"""The knobs of ``make bench`` and what a run shares: the wrk path, and the
problems and noisy runs seen so far.

Environment: ``BENCH_SECONDS`` (per run, default 5), ``BENCH_QUICK=1``
(no 1M step, 10k instead of 100k POSTs; ``BENCH_POST_USERS`` sets it),
``BENCH_CONNECTIONS`` (default 4), ``BENCH_ROUNDS`` (interleaved rounds per workload, the median kept; default 3),
``BENCH_QUIET_WAIT`` (seconds to wait for other jobs to go quiet before a
run; default 20), ``BENCH_NO_WRK=1`` (force the Python generator),
``BENCH_KEEP=1`` (keep the work folder with the databases and server logs),
``BENCH_WORK`` (that folder; default bench/results/work-<pid>),
``BENCH_GROUP_SIZE`` (members of the group of the group workload; 10,000).
"""

from __future__ import annotations

import itertools
import os

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
SEED_USERS = 1000
POST_USERS = int(os.environ.get("BENCH_POST_USERS", 10_000 if QUICK else 100_000))
PEER_POST_USERS = min(POST_USERS, 20_000)
SCALE_STEPS = (1_000, 100_000) if QUICK else (1_000, 100_000, 1_000_000)
WORKLOADS = {  # name -> servers that have it; the floor only has GET /Users/{id}
    "get": ("scimdock", "scim2-server", "floor"),
    "filter": ("scimdock", "scim2-server"),
    "list": ("scimdock", "scim2-server"),
    "patch": ("scimdock", "scim2-server"),
    "post": ("scimdock", "scim2-server"),
    "group_patch": ("scimdock", "scim2-server"),  # bench/groupload.py; one connection
}
GROUP_MEMBERS = int(os.environ.get("BENCH_GROUP_SIZE", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
QUIET_WAIT = float(os.environ.get("BENCH_QUIET_WAIT", "20"))
NOISY_PCT = 10.0
WRK: str | None = None  # set by run.main(); None means bench/pyload.py
PROBLEMS: list[str] = []  # non-2xx answers, socket errors, errors in server logs
NOISY: list[str] = []  # runs during which other work took CPU
RUN_IDS = itertools.count(1)
