"""Sustained load as Entra ID applies it: an initial provisioning
cycle and an incremental one, replayed against a fresh scimdock by 4
concurrent clients over keep-alive HTTP on loopback.

Phases, each timed on its own (request shapes and their sources:
bench/entra_shapes.py; clients: bench/entra_client.py):

1. users: per user, ``GET /Users?filter=userName eq "<name>"`` (200, no
   result) then ``POST /Users`` with Entra's full body;
2. groups: per group, ``GET /Groups?excludedAttributes=members&filter=
   displayName eq "<name>"`` then ``POST /Groups`` (with the ADSCIM schema);
3. members: ``PATCH /Groups/{id}`` ``Add`` ``members``, one member per request
   (each user into ``BENCH_ENTRA_GROUPS_PER_USER`` groups, 2 by default),
   each client working group by group;
4. incremental: for 20 % of the users a match query then a ``PATCH`` of
   ``Replace`` operations (givenName, formatted, displayName, the work email,
   the enterprise department); for 5 % a match query then
   ``PATCH active "False"``; for 1 % a group match query then a ``PATCH``
   ``Remove`` ``members`` of that one user.

Every answer is checked as Entra would (status; a match query must give 200
with 0 results before a create and exactly the user after): any other answer
is an error. Afterwards the end state is checked (deactivated users, one
group's members). Target: zero errors and at least 250 requests/s overall,
10x the 25 requests/s per tenant that Microsoft requires of a gallery app's
SCIM endpoint (Microsoft Learn, "User provisioning requirements for
Microsoft Entra App Gallery": "Support at least 25 requests per second per
tenant so that users and groups are provisioned and deprovisioned without
delay"; the gallery checklist of "Tutorial: Develop and plan provisioning
for a SCIM endpoint in Microsoft Entra ID" says the same).

The cycle runs in three configurations, each on a fresh database: SQLite
with one server process, and PostgreSQL (a throwaway durable cluster the
bench starts, bench/pg.py) with one and with ``serve --workers 2`` (which
``serve`` refuses on SQLite: docs/deployment.md); rounds
interleaved configuration by configuration, the median round (by overall
req/s) kept, ratios between the configurations printed
(bench/entra_matrix.py). Server as in bench/servers.py (scimdock's defaults,
access log included; one worker on core 0, two on cores 0-1); clients on
core 1; PostgreSQL unpinned. CPU per request is the server's, all its
processes summed, with PostgreSQL's own beside it.

Knobs: ``BENCH_ENTRA_USERS`` (2,000 per configuration and round, the
``BENCH_QUICK`` size, so ``make bench`` stays short; 10,000 is the full
cycle), ``BENCH_ENTRA_CONFIGS`` (``sqlite:1,postgresql:1,postgresql:2``),
``BENCH_ENTRA_ROUNDS`` (``BENCH_ROUNDS``, 3),
``BENCH_ENTRA_GROUPS`` (50), ``BENCH_ENTRA_GROUPS_PER_USER`` (2),
``BENCH_ENTRA_MEMBERS_PER_PATCH`` (1), ``BENCH_ENTRA_CLIENTS`` (4, per tenant),
``BENCH_ENTRA_TENANTS`` (1; a fleet: ``20`` tenants with ``BENCH_ENTRA_CLIENTS=2``
and ``BENCH_ENTRA_GROUPS=10``, the users shared out, every tenant's clients at once),
``BENCH_QUIET_WAIT``, ``BENCH_KEEP=1``. Output: tables and verdicts on
stdout; in bench/results/latest.json the SQLite one-worker figures under
``entra_cycle`` (as before) and all of them under ``entra_cycle_backends``.
Run: ``.venv/bin/python bench/entra_cycle.py`` (``make bench`` runs it).
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import entra_matrix as M  # noqa: E402
from bench import entra_report as R  # noqa: E402
from bench import noise, pg, servers  # noqa: E402
from bench import settings as S  # noqa: E402
from bench.entra_client import Client, PhaseRun, Shard, Task, run_phase  # noqa: E402
from bench.measure import log  # noqa: E402

USERS = int(os.environ.get("BENCH_ENTRA_USERS", "2000"))
GROUPS = int(os.environ.get("BENCH_ENTRA_GROUPS", "50"))
GROUPS_PER_USER = min(GROUPS, int(os.environ.get("BENCH_ENTRA_GROUPS_PER_USER", "2")))
MEMBERS_PER_PATCH = int(os.environ.get("BENCH_ENTRA_MEMBERS_PER_PATCH", "1"))
CLIENTS = int(os.environ.get("BENCH_ENTRA_CLIENTS", "4"))
#: Tenants, each with CLIENTS clients and USERS / TENANTS users (a fleet).
TENANTS = int(os.environ.get("BENCH_ENTRA_TENANTS", "1"))
UPDATE_PCT, DISABLE_PCT, REMOVE_PCT = 20, 5, 1


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{cpu} x{os.cpu_count()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def shard(tasks: list[Task], n: int) -> list[list[Task]]:
    return [tasks[k::n] for k in range(n)]


def groups_of(i: int) -> list[int]:
    """The groups user ``i`` is in, spread evenly."""
    return [(i + k * GROUPS // GROUPS_PER_USER) % GROUPS for k in range(GROUPS_PER_USER)]


def plan(users: dict[int, str], groups: dict[int, str]) -> tuple[list[list[Task]], list[Task]]:
    """The membership shards (each client works group by group) and the
    incremental tasks (shuffled, fixed seed)."""
    per_group: dict[int, list[str]] = {g: [] for g in groups}
    for i, uid in sorted(users.items()):
        for g in groups_of(i):
            per_group[g].append(uid)
    adds: list[Task] = [
        ("members_add", groups[g], uids[k : k + MEMBERS_PER_PATCH])
        for g, uids in per_group.items()
        for k in range(0, len(uids), MEMBERS_PER_PATCH)
    ]
    size = -(-len(adds) // CLIENTS)  # group by group, in equal contiguous parts
    member_shards = [adds[k : k + size] for k in range(0, len(adds), size)]
    rng = random.Random(5)
    picked = rng.sample(sorted(users), (UPDATE_PCT + DISABLE_PCT + REMOVE_PCT) * len(users) // 100)
    n_upd, n_dis = UPDATE_PCT * len(users) // 100, DISABLE_PCT * len(users) // 100
    incremental: list[Task] = [("user_update", i, users[i]) for i in picked[:n_upd]]
    incremental += [("user_disable", i, users[i]) for i in picked[n_upd : n_upd + n_dis]]
    incremental += [
        ("members_remove", groups_of(i)[0], groups[groups_of(i)[0]], [users[i]])
        for i in picked[n_upd + n_dis :]
    ]
    rng.shuffle(incremental)
    return member_shards, incremental


def verify(
    server: servers.Server,
    auth: str,
    run: str,
    users: dict[int, str],
    groups: dict[int, str],
    incremental: list[Task],
) -> list[str]:
    """The end state Entra expects: who is deactivated, who is in group 0."""
    c = Client(server.origin, server.base, auth, run)
    problems: list[str] = []
    if 0 not in groups:
        return ["group 0 was not created"]
    disabled = sum(1 for t in incremental if t[0] == "user_disable")
    found = c.call("check", "GET", "/Users?filter=active+eq+false&count=0", None, (200,))
    if found is None or found["totalResults"] != disabled:
        problems.append(
            f"deactivated users: {found and found['totalResults']}, expected {disabled}"
        )
    removed = {t[3][0] for t in incremental if t[0] == "members_remove" and t[1] == 0}
    expected = {uid for i, uid in users.items() if 0 in groups_of(i)} - removed
    group = c.call("check", "GET", f"/Groups/{groups[0]}", None, (200,))
    got = {m["value"] for m in (group or {}).get("members", [])}
    if got != expected:
        problems.append(f"group 0 has {len(got)} members, expected {len(expected)}")
    return problems + c.first_errors


def measured(
    server: servers.Server,
    database: int | None,
    shards: list[Shard],
    name: str,
    phases: dict[str, Any],
    runs: list[PhaseRun],
) -> PhaseRun:
    probe = noise.Probe(server.process.pid, database)
    r = run_phase(server.origin, server.base, shards)
    phases[name] = R.phase_figures(
        r, probe.server_seconds(), probe.foreign_pct(), probe.database_seconds()
    )
    runs.append(r)
    p = phases[name]
    log(
        f"  {name:12} {p['requests']:7,} requests {p['seconds']:6.1f} s {p['rps']:6.0f} req/s  "
        f"p50 {p['p50_ms']:.2f} ms  p99 {p['p99_ms']:.2f} ms  errors {p['errors']}  "
        f"CPU/req {p['server_cpu_ms']:.2f}+{p['database_cpu_ms']:.2f} ms  "
        f"foreign CPU {p['foreign_cpu_pct']}%"
    )
    return r


def made_by(run: PhaseRun, tenant: str, what: str) -> dict[int, str]:
    """What one tenant's clients created in a phase: number to id."""
    return {n: uid for r, kind, n, uid in run.results if r == tenant and kind == what}


def cycle(
    server: servers.Server, database: int | None, tenants: list[tuple[str, str]]
) -> dict[str, Any]:
    """Every phase for every tenant at once (``tenants``: each one's
    ``Authorization`` and run name), CLIENTS clients per tenant."""
    for path in (servers.TEST_CONNECTION, "/Groups?filter=displayName+eq+%22no-such-group%22"):
        status, body = servers.get(server, server.base + path)  # Entra's Test Connection
        assert status == 200 and b'"totalResults":0' in body.replace(b" ", b""), (status, body)
    phases: dict[str, Any] = {}
    runs: list[PhaseRun] = []
    per_tenant = max(1, USERS // len(tenants))

    def each(tasks: list[Task]) -> list[Shard]:
        return [(auth, run, part) for auth, run in tenants for part in shard(tasks, CLIENTS)]

    creates: list[Task] = [("user_create", i) for i in range(per_tenant)]
    made = measured(server, database, each(creates), "users", phases, runs)
    users = {run: made_by(made, run, "user") for _, run in tenants}
    made = measured(
        server, database, each([("group_create", g) for g in range(GROUPS)]), "groups", phases, runs
    )
    groups = {run: made_by(made, run, "group") for _, run in tenants}
    plans = {run: plan(users[run], groups[run]) for _, run in tenants}
    member_shards = [(auth, run, part) for auth, run in tenants for part in plans[run][0]]
    measured(server, database, member_shards, "members", phases, runs)
    incremental = [
        (auth, run, part) for auth, run in tenants for part in shard(plans[run][1], CLIENTS)
    ]
    measured(server, database, incremental, "incremental", phases, runs)
    problems = [
        p
        for auth, run in tenants
        for p in verify(server, auth, run, users[run], groups[run], plans[run][1])
    ]
    return {"phases": phases, "overall": R.overall(phases, runs), "problems": problems}


def one_cycle(
    backend: str, workers: int, cluster: pg.BenchCluster | None, work: Path, run: str
) -> dict[str, Any]:
    """A fresh database and server, one full cycle, the server stopped."""
    if backend == "postgresql":
        assert cluster is not None
        db: str = cluster.new_database()
        database: int | None = cluster.postmaster()
    else:
        db, database = str(work / f"{run}.db"), None
    tokens = [servers.tenant_token(db, f"entra{k}") for k in range(TENANTS)]  # type: ignore[arg-type]
    token = tokens[0]
    quiet = noise.wait_quiet(S.QUIET_WAIT)
    log(f"{backend}, {workers} worker(s), {run}: machine {quiet}% busy before the start")
    server = servers.scimdock(db, token, work, workers=workers)
    try:
        figures = cycle(
            server, database, [(f"Bearer {t}", f"{run}t{k}") for k, t in enumerate(tokens)]
        )
    finally:
        server.stop()
    text = server.log.read_text(errors="replace")
    if "Traceback" in text or "ERROR" in text:
        figures["problems"].append(f"server log has errors: {text[-500:]!r}")
    figures["overall"]["errors"] += len(figures["problems"])
    figures["quiet_pct_before"] = quiet
    return figures


def configs() -> list[tuple[str, int]]:
    text = os.environ.get("BENCH_ENTRA_CONFIGS", "sqlite:1,postgresql:1,postgresql:2")
    out = []
    for item in text.split(","):
        backend, _, workers = item.strip().partition(":")
        out.append((backend, int(workers or "1")))
    return out


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-entra-"))
    wanted = configs()
    rounds = int(os.environ.get("BENCH_ENTRA_ROUNDS", str(S.ROUNDS)))
    started = time.perf_counter()
    cluster = pg.start() if any(b == "postgresql" for b, _ in wanted) else None
    if cluster is None:
        wanted = [(b, w) for b, w in wanted if b != "postgresql"]
    results: dict[str, list[dict[str, Any]]] = {M.name(b, w): [] for b, w in wanted}
    log(
        f"entra cycle: {USERS:,} users, {TENANTS} tenant(s) with {GROUPS} groups and {CLIENTS}"
        " clients each; "
        f"{', '.join(results)}; {rounds} round(s) interleaved"
    )
    try:
        for k in range(rounds):
            for backend, workers in wanted:
                run = f"r{os.getpid()}k{k}{backend[0]}{workers}"
                results[M.name(backend, workers)].append(
                    one_cycle(backend, workers, cluster, work, run)
                )
        postgresql = {"version": cluster.version(), **cluster.settings()} if cluster else None
    finally:
        if cluster is not None:
            cluster.stop()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    settings = {
        "users": USERS,
        "groups": GROUPS,
        "groups_per_user": GROUPS_PER_USER,
        "members_per_patch": MEMBERS_PER_PATCH,
        "clients": CLIENTS,
        "tenants": TENANTS,
        "quick": S.QUICK,
        "rounds": rounds,
        "update_pct": UPDATE_PCT,
        "disable_pct": DISABLE_PCT,
        "remove_pct": REMOVE_PCT,
    }
    date, wall = time.strftime("%Y-%m-%d %H:%M:%S %Z"), round(time.perf_counter() - started, 1)
    matrix = M.combine(results)
    ok = True
    for config, figures in matrix["configs"].items():
        result = {
            "date": date,
            "machine": machine(),
            "config": config,
            "settings": settings,
            **figures,
            "target_rps": R.TARGET_RPS,
        }
        result["pass"] = R.verdict(result)[0]
        ok = ok and result["pass"]
        figures["pass"] = result["pass"]
        R.print_report(result)
        if config == M.name("sqlite", 1) and TENANTS == 1:
            R.write_json({**result, "wall_seconds": wall})
    summary = {
        "date": date,
        "machine": machine(),
        "settings": settings,
        "postgresql": postgresql,
        "rate_tenant": servers.BENCH_RATE_TENANT,
        **matrix,
        "wall_seconds": wall,
    }
    M.print_matrix(summary)
    key = M.JSON_KEY if TENANTS == 1 else M.FLEET_JSON_KEY
    print(f"\nwritten: {R.write_json(summary, key)} (key {key!r})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
