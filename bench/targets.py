"""The performance targets of docs/performance.md ("Targets"), judged on one
run's figures.

The rate targets are stated on requests/s and read on the median of the
interleaved rounds. Beside each: the CPU ratio, and the range of the
per-round ratios (round *i* of scimdock over round *i* of the peer, run one
after the other), so a reader can see how far this run's noise reaches
before trusting a verdict near the line.
"""

from __future__ import annotations

from typing import Any

from bench.report import ratio

MIB_PER_MB = 1_000_000 / 2**20  # the RSS target is in MB; RSS is read in MiB


def _rounds(entry: dict[str, Any], peer: str) -> str:
    """``min–max`` of the per-round req/s ratios, or ``""`` with one round."""
    servers = entry["servers"]
    mine = servers.get("scimdock", {}).get("rounds_rps")
    theirs = servers.get(peer, {}).get("rounds_rps")
    if not mine or not theirs or len(mine) < 2:
        return ""
    pairs = [r for r in map(ratio, mine, theirs) if r is not None]
    return f", rounds {min(pairs):.2f}-{max(pairs):.2f}x" if pairs else ""


def _rate(
    result: dict[str, Any], workload: str, key: str, peer: str, label: str, floor: float
) -> dict[str, Any] | None:
    entry = result["workloads"].get(workload)
    if entry is None or entry.get(key) is None:
        return None
    value = entry[key]
    cpu = entry.get("cpu_" + key)
    figure = f"{value:.2f}x" + (f" (CPU {cpu:.2f}x)" if cpu else "") + _rounds(entry, peer)
    return {"target": f"{label} >= {floor}x", "figure": figure, "met": value >= floor}


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target the run measured: ``target``, ``figure``, ``met``."""
    rows = [
        _rate(
            result,
            "get",
            "ratio_vs_scim2_server",
            "scim2-server",
            "GET /Users/{id} vs scim2-server",
            3.0,
        ),
        _rate(result, "get", "ratio_vs_floor", "floor", "GET /Users/{id} vs the floor", 0.4),
        _rate(
            result,
            "post",
            "ratio_vs_scim2_server",
            "scim2-server",
            "POST /Users vs scim2-server",
            2.5,
        ),
    ]
    cold = result["cold_start"]["scimdock"]
    rows.append({"target": "cold start <= 1.5 s", "figure": f"{cold:.2f} s", "met": cold <= 1.5})
    if result["scale"]["largest"] >= 1_000_000:
        rss = result["rss_mib"]["scimdock_largest"]
        rows.append(
            {
                "target": "RSS with 1,000,000 users <= 200 MB",
                "figure": f"{rss / MIB_PER_MB:.0f} MB",
                "met": rss / MIB_PER_MB <= 200,
            }
        )
    return [row for row in rows if row is not None]


def at_most(seconds: float, target: float) -> str:
    """The verdict on a time goal, as the mock's benches print it."""
    return f"target <= {target:g} s: {'met' if seconds <= target else 'NOT met'}"
