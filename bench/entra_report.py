"""Figures, table, verdict and JSON of the Entra-like cycle (bench/entra_cycle.py)."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bench.entra_client import PhaseRun
from bench.report import RESULTS, table

TARGET_RPS = 250.0  # 10x the 25 requests/s per tenant Microsoft asks of gallery apps
JSON_KEY = "entra_cycle"


def latency(values: list[float]) -> dict[str, float]:
    """p50, p99 and max in ms."""
    if not values:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(values)
    q = (
        statistics.quantiles(ordered, n=100, method="inclusive")
        if len(ordered) > 1
        else ordered * 99
    )
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def phase_figures(
    run: PhaseRun, server_cpu_s: float, foreign_pct: float, database_cpu_s: float = 0.0
) -> dict[str, Any]:
    everything = [x for v in run.latencies.values() for x in v]
    n = run.requests
    return {
        "requests": n,
        "seconds": round(run.seconds, 2),
        "rps": round(n / run.seconds, 1),
        **latency(everything),
        "errors": run.errors,
        "first_errors": run.first_errors,
        "server_cpu_ms": round(1000 * server_cpu_s / max(n, 1), 3),
        "database_cpu_ms": round(1000 * database_cpu_s / max(n, 1), 3),
        "client_cpu_ms": round(1000 * run.client_cpu_seconds / max(n, 1), 3),
        "foreign_cpu_pct": foreign_pct,
        "kinds": {k: {"requests": len(v), **latency(v)} for k, v in sorted(run.latencies.items())},
    }


def overall(phases: dict[str, dict[str, Any]], runs: list[PhaseRun]) -> dict[str, Any]:
    n = sum(p["requests"] for p in phases.values())
    seconds = sum(p["seconds"] for p in phases.values())
    client = sum(r.client_cpu_seconds for r in runs)
    return {
        "requests": n,
        "seconds": round(seconds, 2),
        "rps": round(n / seconds, 1),
        **latency([x for r in runs for v in r.latencies.values() for x in v]),
        "errors": sum(p["errors"] for p in phases.values()),
        # all server processes' CPU over all requests, and the database's
        "server_cpu_ms": round(
            sum(p["server_cpu_ms"] * p["requests"] for p in phases.values()) / max(n, 1), 3
        ),
        "database_cpu_ms": round(
            sum(p["database_cpu_ms"] * p["requests"] for p in phases.values()) / max(n, 1), 3
        ),
        "client_cpu_ms": round(1000 * client / max(n, 1), 3),
        # one core runs all clients: its ceiling is 1 s of CPU per second
        "client_ceiling_rps": round(n / client) if client else None,
    }


def verdict(result: dict[str, Any]) -> tuple[bool, str]:
    o = result["overall"]
    ok = o["rps"] >= TARGET_RPS and o["errors"] == 0
    return ok, (
        f"{'PASS' if ok else 'FAIL'}: {o['rps']:.0f} req/s overall (target >= "
        f"{TARGET_RPS:.0f}, {o['rps'] / 25:.1f}x Microsoft's 25 req/s), "
        f"{o['errors']} errors (target 0), p99 {o['p99_ms']:.1f} ms"
    )


def print_report(result: dict[str, Any]) -> None:
    s = result["settings"]
    print(
        f"\n== Entra-like provisioning cycle, {result.get('config', '')}  {result['date']}"
        f"  {result['machine']}"
    )
    print(
        f"   {s['users']:,} users, {s['groups']} groups, {s['groups_per_user']} groups per user,"
        f" {s['members_per_patch']} member(s) per PATCH; {s['clients']} clients on core 1;"
        f" the median of {len(result.get('rounds_rps', [0]))} round(s) by req/s\n"
    )
    rows = [
        [
            name,
            f"{p['requests']:,}",
            f"{p['seconds']:.1f}",
            f"{p['rps']:.0f}",
            f"{p['p50_ms']:.2f}",
            f"{p['p99_ms']:.2f}",
            str(p["errors"]),
            f"{p['server_cpu_ms']:.2f}",
            f"{p.get('database_cpu_ms', 0):.2f}",
            f"{p['foreign_cpu_pct']:.0f}%",
        ]
        for name, p in result["phases"].items()
    ]
    o = result["overall"]
    rows.append(
        [
            "overall",
            f"{o['requests']:,}",
            f"{o['seconds']:.1f}",
            f"{o['rps']:.0f}",
            f"{o['p50_ms']:.2f}",
            f"{o['p99_ms']:.2f}",
            str(o["errors"]),
            f"{o['server_cpu_ms']:.2f}",
            f"{o['database_cpu_ms']:.2f}",
            "",
        ]
    )
    print(
        table(
            rows,
            [
                "phase",
                "requests",
                "s",
                "req/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "server CPU ms/req",
                "database CPU ms/req",
                "foreign CPU",
            ],
        )
    )
    print("\n-- by request kind\n")
    kinds = [
        [k, f"{v['requests']:,}", f"{v['p50_ms']:.2f}", f"{v['p99_ms']:.2f}", f"{v['max_ms']:.1f}"]
        for p in result["phases"].values()
        for k, v in p["kinds"].items()
    ]
    print(table(kinds, ["request", "count", "p50 ms", "p99 ms", "max ms"]))
    print(
        f"\n   load generator: {o['client_cpu_ms']:.3f} ms CPU per request on its core "
        f"(ceiling ~{o['client_ceiling_rps'] or 0:,} req/s)"
    )
    for problem in result["problems"]:
        print(f"   PROBLEM: {problem}")
    print("\n" + verdict(result)[1])


def write_json(result: dict[str, Any], key: str = JSON_KEY) -> str:
    """Merge under ``key`` into bench/results/latest.json (other keys kept)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[key] = result
    path.write_text(json.dumps(data, indent=2) + "\n")
    return str(path)
