"""The stdout table and ``bench/results/latest.json`` of one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _x(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "-"


def _rps(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2f}"  # the peer's group PATCH: ~0.4/s


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def workloads_table(workloads: dict[str, Any]) -> str:
    rows = []
    for name, entry in workloads.items():
        for server, r in entry["servers"].items():
            mine = server == "scimdock"
            rows.append(
                [
                    name if mine else "",
                    server,
                    _rps(r["rps"]),
                    f"{r['p50_ms']:.2f}",
                    f"{r['p99_ms']:.2f}",
                    f"{r['server_cpu_ms']:.2f}",
                    str(r["non2xx"] + r["socket_errors"]),
                    _x(entry.get("ratio_vs_scim2_server")) if mine else "",
                    _x(entry.get("cpu_ratio_vs_scim2_server")) if mine else "",
                    _x(entry.get("ratio_vs_floor")) if mine else "",
                    _x(entry.get("cpu_ratio_vs_floor")) if mine else "",
                ]
            )
    return table(
        rows,
        [
            "workload",
            "server",
            "req/s",
            "p50 ms",
            "p99 ms",
            "CPU ms/req",
            "errors",
            "vs scim2-server",
            "(CPU)",
            "vs floor",
            "(CPU)",
        ],
    )


def scale_table(scale: dict[str, Any]) -> str:
    rows = []
    for users, step in scale["steps"].items():
        f, g, lst = step["filter"], step["get"], step["list"]
        rows.append(
            [
                f"{int(users):,}",
                f"{f['p50_ms']:.2f}",
                f"{f['p99_ms']:.2f}",
                f"{f['server_cpu_ms']:.2f}",
                f"{g['p50_ms']:.2f}",
                f"{lst['p50_ms']:.2f}",
                f"{step['rss_mib']:.0f}",
                f"{step['bytes_per_user']:.0f}",
                f"{step['load_seconds']:.1f}",
            ]
        )
    return table(
        rows,
        [
            "users",
            "filter p50",
            "filter p99",
            "filter CPU",
            "get p50",
            "list100 p50",
            "RSS MiB",
            "DB B/user",
            "bulk load s",
        ],
    )


def print_report(result: dict[str, Any]) -> None:
    s = result["settings"]
    print(
        f"\n== scimdock benchmark  {result['date']}  {result['machine']['cpu']} "
        f"x{result['machine']['nproc']}"
    )
    print(
        f"   servers on core 0, {s['generator']} on core 1, {s['connections']} connections, "
        f"{s['seconds']} s per run{'  (QUICK)' if s['quick'] else ''}"
    )
    if s["generator"] != "wrk":
        print("   NOTE: wrk unavailable: the Python load generator was used (lower ceiling)")
    print(
        f"\n-- throughput and latency, median of {s['rounds']} interleaved rounds. Ratios:"
        " scimdock req/s / peer req/s (> 1: scimdock faster);\n   (CPU) = peer CPU per request"
        " / scimdock's (> 1: scimdock cheaper; less sensitive to other jobs; excludes fsync waits);\n"
        "   'vs floor' divides by bench/floor.py's GET /Users/{id} (a bare ASGI app:\n"
        "   token hash, one SQLite read, the document and its ETag);\n"
        f"   group_patch: PATCH add one member to a group of "
        f"{s.get('group_members', 10000):,} members, 1 connection\n"
    )
    print(workloads_table(result["workloads"]))
    sc = result["scale"]
    print("\n-- at scale: one tenant, bulk-loaded; 1 connection, latency in ms\n")
    print(scale_table(sc))
    for key, label in (
        ("filter_p50_ratio", "p50"),
        ("filter_p99_ratio", "p99"),
        ("filter_cpu_ratio", "CPU/request"),
    ):
        if sc.get(key) is not None:
            verdict = "ok" if sc[key] <= 1.5 else "ABOVE TARGET"
            print(
                f"   filter {label} {sc['largest']:,}/1,000 = {sc[key]:.2f}x  "
                f"(target <= 1.5: {verdict})"
            )
    cs, c = result["cold_start"], result["create_via_post"]
    mine, peer, rss = c["scimdock"], c["scim2-server"], result["rss_mib"]
    print("\n-- other figures (last column: peer / scimdock, > 1 means scimdock is better)\n")
    rows = [
        [
            f"cold start to first 200, s (median of {cs['runs']})",
            *(f"{cs[k]:.2f}" for k in ("scimdock", "scim2-server")),
            "",
            _x(ratio(cs["scim2-server"], cs["scimdock"])),
        ],
        [
            "RSS with 1,000 users after warm-up, MiB",
            f"{rss['scimdock_1k']:.0f}",
            f"{rss['scim2-server_1k']:.0f}",
            f"{rss['floor']:.0f}",
            _x(ratio(rss["scim2-server_1k"], rss["scimdock_1k"])),
        ],
        [
            f"RSS with {sc['largest']:,} users after warm-up, MiB",
            f"{rss['scimdock_largest']:.0f}",
            "",
            "",
            "",
        ],
        [
            f"create {mine['users']:,} users via POST, {c['clients']} clients, s",
            f"{mine['seconds']:.1f}",
            "",
            "",
            "",
        ],
        [
            f"  POST rate, users/s (peer on {peer['users']:,} users)",
            f"{mine['rps']:.0f}",
            f"{peer['rps']:.0f}",
            "",
            _x(ratio(mine["rps"], peer["rps"])),
        ],
        ["database bytes per user", f"{result['db_bytes_per_user']:.0f}", "", "", ""],
    ]
    print(table(rows, ["figure", "scimdock", "scim2-server", "floor", "ratio"]))
    if result.get("targets"):
        print("\n-- targets (rates on req/s, the median of the rounds)\n")
        print(
            table(
                [
                    [t["target"], t["figure"], "met" if t["met"] else "NOT MET"]
                    for t in result["targets"]
                ],
                ["target", "this run", "verdict"],
            )
        )
    for title, items in (
        ("problems seen", result["problems"]),
        ("noisy runs (other jobs took > 10% CPU; figures less reliable)", result["noisy"]),
    ):
        if items:
            print(f"\n-- {title}")
            for item in items:
                print(f"   {item}")


def write_json(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
