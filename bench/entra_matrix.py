"""The Entra-like cycle across configurations (bench/entra_cycle.py): the
median round of each, and the ratios between them.

A configuration is a backend and a number of server processes
(``sqlite-1w``, ``postgresql-2w``...). Its figures are those of its median
round by overall req/s, with every round's req/s and CPU per request
beside. Ratios are row over column: req/s of the median rounds, and CPU
per request (scimdock's processes, and scimdock's plus PostgreSQL's), with
the range of the per-round req/s ratios (round *i* over round *i*, run one
after the other) so a reader sees how far the run's noise reaches.
"""

from __future__ import annotations

from typing import Any

from bench.report import ratio, table

JSON_KEY = "entra_cycle_backends"
#: The same for the fleet (``BENCH_ENTRA_TENANTS`` above 1).
FLEET_JSON_KEY = "entra_fleet_backends"
#: PostgreSQL with ``--workers 2`` against SQLite's one worker (``serve``
#: refuses ``--workers > 1`` on SQLite): req/s at least, CPU per request
#: (scimdock's processes plus PostgreSQL's) at most (docs/deployment.md).
PG_RPS_AT_LEAST, PG_CPU_AT_MOST = 0.8, 1.5


def name(backend: str, workers: int) -> str:
    return f"{backend}-{workers}w"


def _total_cpu(figures: dict[str, Any]) -> float:
    o = figures["overall"]
    return float(o["server_cpu_ms"] + o["database_cpu_ms"])


def combine(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """``configs``: each configuration's median round plus ``rounds_rps``,
    ``rounds_server_cpu_ms``, ``rounds_foreign_cpu_pct``; ``ratios``:
    ``{row: {column: {...}}}``."""
    configs: dict[str, Any] = {}
    for config, rounds in results.items():
        if not rounds:
            continue
        ordered = sorted(rounds, key=lambda r: r["overall"]["rps"])
        configs[config] = {
            **ordered[len(ordered) // 2],
            "rounds_rps": [r["overall"]["rps"] for r in rounds],
            "rounds_server_cpu_ms": [r["overall"]["server_cpu_ms"] for r in rounds],
            "rounds_database_cpu_ms": [r["overall"]["database_cpu_ms"] for r in rounds],
            "rounds_foreign_cpu_pct": [
                max(p["foreign_cpu_pct"] for p in r["phases"].values()) for r in rounds
            ],
        }
    ratios: dict[str, dict[str, Any]] = {}
    for row, a in configs.items():
        ratios[row] = {}
        for column, b in configs.items():
            if row == column:
                continue
            per_round = [x for x in map(ratio, a["rounds_rps"], b["rounds_rps"]) if x is not None]
            ratios[row][column] = {
                "rps": ratio(a["overall"]["rps"], b["overall"]["rps"]),
                "rps_rounds_min": min(per_round) if per_round else None,
                "rps_rounds_max": max(per_round) if per_round else None,
                "server_cpu": ratio(a["overall"]["server_cpu_ms"], b["overall"]["server_cpu_ms"]),
                "total_cpu": ratio(_total_cpu(a), _total_cpu(b)),
            }
    return {"configs": configs, "ratios": ratios}


def _cell(r: dict[str, Any] | None, key: str) -> str:
    if r is None:
        return "1"
    value = r[key]
    if value is None:
        return "-"
    if (
        key == "rps"
        and r["rps_rounds_min"] is not None
        and r["rps_rounds_min"] != r["rps_rounds_max"]
    ):
        return f"{value:.2f}x ({r['rps_rounds_min']:.2f}-{r['rps_rounds_max']:.2f})"
    return f"{value:.2f}x"


def print_matrix(summary: dict[str, Any]) -> None:
    configs, ratios = summary["configs"], summary["ratios"]
    names = list(configs)
    print("\n== Entra-like cycle, configurations side by side (median rounds)\n")
    rows = []
    for n in names:
        o = configs[n]["overall"]
        rows.append(
            [
                n,
                f"{o['rps']:.0f}",
                " ".join(f"{x:.0f}" for x in configs[n]["rounds_rps"]),
                f"{o['p50_ms']:.2f}",
                f"{o['p99_ms']:.2f}",
                f"{o['server_cpu_ms']:.2f}",
                f"{o['database_cpu_ms']:.2f}",
                str(o["errors"]),
                " ".join(f"{x:.0f}%" for x in configs[n]["rounds_foreign_cpu_pct"]),
                "PASS" if configs[n].get("pass") else "FAIL",
            ]
        )
    print(
        table(
            rows,
            [
                "configuration",
                "req/s",
                "rounds req/s",
                "p50 ms",
                "p99 ms",
                "scimdock CPU ms/req",
                "PostgreSQL CPU ms/req",
                "errors",
                "foreign CPU (max phase)",
                "verdict",
            ],
        )
    )
    print("\n-- by phase (median rounds): req/s, p50/p99 ms, scimdock+PostgreSQL CPU ms/req\n")
    phases = list(next(iter(configs.values()))["phases"]) if configs else []
    prow = []
    for n in names:
        cells = [n]
        for ph in phases:
            p = configs[n]["phases"][ph]
            cells.append(
                f"{p['rps']:.0f}  {p['p50_ms']:.1f}/{p['p99_ms']:.1f}  "
                f"{p['server_cpu_ms']:.2f}+{p['database_cpu_ms']:.2f}"
            )
        prow.append(cells)
    print(table(prow, ["configuration", *phases]))
    for key, title in (
        ("rps", "req/s, row / column (per-round range)"),
        ("server_cpu", "scimdock CPU per request, row / column"),
        ("total_cpu", "scimdock + PostgreSQL CPU per request, row / column"),
    ):
        print(f"\n-- {title}\n")
        grid = [[r, *(_cell(ratios[r].get(c), key) for c in names)] for r in names]
        print(table(grid, ["", *names]))
    print_targets(configs, ratios)
    pg = summary.get("postgresql")
    if pg:
        print(
            f"\n   PostgreSQL {pg['version']}: fsync={pg['fsync']}, synchronous_commit="
            f"{pg['synchronous_commit']}, full_page_writes={pg['full_page_writes']}, "
            f"shared_buffers={pg['shared_buffers']}; not pinned (shares both cores)"
        )
    print(
        f"   scimdock: its defaults (access log at info), per-tenant rate "
        f"{summary['rate_tenant']}; 1 worker on core 0, 2 workers on cores 0-1; "
        "clients on core 1"
    )


def print_targets(configs: dict[str, Any], ratios: dict[str, dict[str, Any]]) -> None:
    """PostgreSQL's ratios to SQLite's one worker, against their targets."""
    base = name("sqlite", 1)
    if base not in configs:
        return
    print(
        f"\n-- PostgreSQL against {base} (targets: req/s >= {PG_RPS_AT_LEAST:g}x, CPU <= "
        f"{PG_CPU_AT_MOST:g}x)\n"
    )
    for config in configs:
        if not config.startswith("postgresql"):
            continue
        r = ratios[config][base]
        rps, cpu = r["rps"], r["total_cpu"]
        met = (
            rps is not None and cpu is not None and rps >= PG_RPS_AT_LEAST and cpu <= PG_CPU_AT_MOST
        )
        print(
            f"   {config}: req/s {_cell(r, 'rps')}, CPU per request (scimdock + PostgreSQL) "
            f"{_cell(r, 'total_cpu')}: {'met' if met else 'NOT MET'}"
        )
