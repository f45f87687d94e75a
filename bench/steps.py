"""The steps of ``make bench`` (see bench/run.py): each starts its servers,
measures, stops them, and returns its figures as plain data."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench import floor, groupload, load, noise, pyload, report, seed, servers
from bench import settings as S
from bench.measure import check_log, log, measure, median_run
from bench.servers import Server


def cold_start(db: Path, token: str, work: Path, runs: int = 3) -> dict[str, Any]:
    """Seconds from spawning each server to its first 200 (the Test
    Connection query), median of ``runs``."""
    out: dict[str, Any] = {"runs": runs, "probe": "GET /Users?filter=userName eq (Test Connection)"}
    starters = {
        "scimdock": lambda: servers.scimdock(db, token, work),
        "scim2-server": lambda: servers.scim2_server(work),
    }
    for name, start in starters.items():
        times = []
        for _ in range(runs):
            noise.wait_quiet(S.QUIET_WAIT)
            s = start()
            times.append(s.started)
            s.stop()
        out[name], out[f"{name}_all"] = round(statistics.median(times), 3), times
        log(f"  cold start {name}: {out[name]:.2f} s")
    return out


def workloads(db: Path, token: str, work: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Each workload against each server that has it (settings.WORKLOADS),
    rounds interleaved, the median kept; ratios of req/s and of CPU per
    request. Also the RSS of each server after the read workloads. The
    group workload is bench/groupload.py's."""
    running: dict[str, Server] = {}
    group_users = groupload.load_scimdock(db)  # before the server starts
    try:
        running["scimdock"] = servers.scimdock(db, token, work)
        running["scim2-server"] = servers.scim2_server(work)
        ids = {
            name: seed.post_users(s.port, s.base, s.auth, 1, S.SEED_USERS + 1)
            for name, s in running.items()
        }
        # The floor serves the documents scimdock answers, by the same ids.
        sd = running["scimdock"]
        floor.prepare(work / "floor.db", sd.port, sd.base, sd.auth, ids["scimdock"])
        running["floor"] = servers.floor(work, work / "floor.db", ids["scimdock"][0])
        ids["floor"] = ids["scimdock"]
        common = {"name_fmt": seed.NAME_FMT, "names": S.SEED_USERS, "prefix": f"w{os.getpid()}"}
        out: dict[str, Any] = {}
        rss: dict[str, float] = {}
        for workload, names in S.WORKLOADS.items():
            if workload == "patch":  # RSS after the read workloads, 1,000 users each
                rss = {
                    "scimdock_1k": running["scimdock"].rss_mib(),
                    "scim2-server_1k": running["scim2-server"].rss_mib(),
                    "floor": running["floor"].rss_mib(),
                }
            runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
            if workload == "group_patch":
                _group_runs(
                    running,
                    names,
                    runs,
                    groupload.prepare({n: running[n] for n in names}, group_users),
                )
            else:
                for round_ in range(S.ROUNDS):  # interleaved: drift hits every server alike
                    for n in names:
                        runs[n].append(
                            measure(
                                running[n],
                                workload,
                                {**common, "ids": ids[n]},
                                seconds=S.SECONDS,
                                connections=S.CONNECTIONS,
                                warmup=1.0 if round_ == 0 else 0,
                            )
                        )
            results = {n: median_run(r) for n, r in runs.items()}
            peers = {"scim2_server": results["scim2-server"]}
            if workload == "get":  # the floor has GET /Users/{id} only
                peers["floor"] = results["floor"]
            out[workload] = {"servers": results}
            for peer, r in peers.items():  # > 1: scimdock faster / cheaper
                out[workload][f"ratio_vs_{peer}"] = report.ratio(
                    results["scimdock"]["rps"], r["rps"]
                )
                out[workload][f"cpu_ratio_vs_{peer}"] = report.ratio(
                    r["server_cpu_ms"], results["scimdock"]["server_cpu_ms"]
                )
        return out, rss
    finally:
        for s in running.values():
            s.stop()
            check_log(s)


def _group_runs(
    running: dict[str, Server],
    names: tuple[str, ...],
    runs: dict[str, list[dict[str, Any]]],
    prep: dict[str, dict[str, Any]],
) -> None:
    """The group workload (bench/groupload.py): one connection, each run
    (and the warm-up) adding members from its own slice of spare users."""
    for n in names:
        p = prep[n]
        load.run(
            running[n].origin,
            "group_patch",
            {
                "base": running[n].base,
                "auth": p["auth"],
                "group": p["group"],
                "ids": p["slices"][0],
            },
            seconds=1.0,
            connections=1,
            wrk_path=S.WRK,
        )
    for round_ in range(S.ROUNDS):
        for n in names:
            p, slice_ = prep[n], prep[n]["slices"][round_ + 1]
            r = measure(
                running[n],
                "group_patch",
                {"auth": p["auth"], "group": p["group"], "ids": slice_},
                seconds=S.SECONDS,
                connections=1,
                warmup=0,
            )
            if r["requests"] > len(slice_):
                S.PROBLEMS.append(
                    f"{n} group_patch: {r['requests']} requests for {len(slice_)}"
                    " spare users: some PATCHes re-added a member"
                )
            runs[n].append(r)


def create_via_post(work: Path, clients: int = 4) -> dict[str, Any]:
    """Wall time of POSTing ``settings.POST_USERS`` users with ``clients`` processes
    into a fresh scimdock database, and the rate of a fresh scim2-server on
    ``settings.PEER_POST_USERS`` of them (the peer's in-memory create is O(1); the
    ratio compares rates)."""
    db = work / "post.db"
    token = servers.tenant_token(db, "post")
    out: dict[str, Any] = {"users": S.POST_USERS, "clients": clients}
    for name, users, start in (
        ("scimdock", S.POST_USERS, lambda: servers.scimdock(db, token, work)),
        ("scim2-server", S.PEER_POST_USERS, lambda: servers.scim2_server(work)),
    ):
        s = start()
        try:
            noise.wait_quiet(S.QUIET_WAIT)
            probe = noise.Probe(s.process.pid)
            cfg = {"base": s.base, "auth": s.auth, "prefix": "p"}
            r = pyload.run(
                s.origin,
                "post",
                cfg,
                seconds=3600,
                connections=clients,
                limit_per_connection=users // clients,
            )
            foreign = probe.foreign_pct()
        finally:
            s.stop()
            check_log(s)
        if r.non2xx:
            S.PROBLEMS.append(f"{name} create-via-POST: {r.non2xx} non-2xx; {r.first_error[:200]}")
        out[name] = {
            "users": r.requests,
            "seconds": r.seconds,
            "rps": r.rps,
            "p50_ms": r.p50_ms,
            "p99_ms": r.p99_ms,
            "foreign_cpu_pct": foreign,
        }
        log(
            f"  {r.requests:,} POSTs {name}: {r.seconds:.1f} s ({r.rps:.0f}/s, "
            f"p99 {r.p99_ms:.1f} ms, foreign CPU {foreign}%)"
        )
    out["ratio_rate"] = report.ratio(out["scimdock"]["rps"], out["scim2-server"]["rps"])
    return out


def scale(work: Path) -> dict[str, Any]:
    """Latency with one connection as one tenant grows (settings.SCALE_STEPS),
    bulk-loaded through ``Store.create_users``; RSS and bytes per user."""
    db = work / "scale.db"
    token = servers.tenant_token(db, "scale")
    seed.check_docs()
    steps: dict[str, Any] = {}
    loaded = 0
    for users in S.SCALE_STEPS:
        t0 = time.perf_counter()
        seed.bulk_load(db, "scale", loaded + 1, users + 1)
        load_seconds = time.perf_counter() - t0
        log(f"  bulk-loaded {users - loaded:,} users in {load_seconds:.1f} s")
        added, loaded = users - loaded, users
        size = seed.checkpoint(db)
        s = servers.scimdock(db, token, work)
        try:
            cfg = {"name_fmt": seed.NAME_FMT, "names": users, "ids": seed.sample_ids(db, "scale")}
            filters = [
                measure(
                    s, "filter", cfg, seconds=S.SECONDS, connections=1, warmup=1.0 if i == 0 else 0
                )
                for i in range(S.ROUNDS)
            ]
            run = {"filter": median_run(filters)}
            run |= {
                w: measure(s, w, cfg, seconds=S.SECONDS, connections=1) for w in ("get", "list")
            }
            steps[str(users)] = {
                **run,
                "rss_mib": s.rss_mib(),
                "db_bytes": size,
                "bytes_per_user": round(size / users, 1),
                "load_seconds": round(load_seconds, 2),
                "load_users_per_s": round(added / load_seconds),
            }
        finally:
            s.stop()
            check_log(s)
    first, last = steps[str(S.SCALE_STEPS[0])], steps[str(S.SCALE_STEPS[-1])]
    return {
        "steps": steps,
        "largest": S.SCALE_STEPS[-1],
        "connections": 1,
        "filter_p50_ratio": report.ratio(last["filter"]["p50_ms"], first["filter"]["p50_ms"]),
        "filter_p99_ratio": report.ratio(last["filter"]["p99_ms"], first["filter"]["p99_ms"]),
        "filter_cpu_ratio": report.ratio(
            last["filter"]["server_cpu_ms"], first["filter"]["server_cpu_ms"]
        ),
    }
