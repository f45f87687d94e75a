"""One measured run against one server, and what the driver keeps of it."""

from __future__ import annotations

import time
from typing import Any

from bench import load, noise
from bench import settings as S
from bench.servers import Server


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def measure(
    server: Server,
    workload: str,
    config: dict[str, Any],
    *,
    seconds: float,
    connections: int,
    warmup: float = 1.0,
) -> dict[str, Any]:
    """An optional discarded warm-up, a wait for a quiet machine, then the
    measured run: wrk's figures plus the server's CPU time per request and
    the foreign CPU share (bench/noise.py). Failures and noise are recorded
    in ``settings.PROBLEMS`` / ``settings.NOISY``."""
    cfg = {
        "base": server.base,
        "auth": server.auth,
        **config,
        "prefix": f"{config.get('prefix', 'u')}r{next(S.RUN_IDS)}t",
    }  # fresh userNames per run
    if warmup:
        load.run(
            server.origin,
            workload,
            {**cfg, "prefix": cfg["prefix"] + "w"},
            seconds=warmup,
            connections=connections,
            wrk_path=S.WRK,
        )
    noise.wait_quiet(S.QUIET_WAIT)
    probe = noise.Probe(server.process.pid)
    r = load.run(
        server.origin, workload, cfg, seconds=seconds, connections=connections, wrk_path=S.WRK
    ).as_dict()
    r["foreign_cpu_pct"] = probe.foreign_pct()
    r["server_cpu_ms"] = round(1000 * probe.server_seconds() / max(r["requests"], 1), 3)
    if r["non2xx"] or r["socket_errors"]:
        S.PROBLEMS.append(
            f"{server.name} {workload}: {r['non2xx']} non-2xx, "
            f"{r['socket_errors']} socket errors; first: {r['first_error'][:200]}"
        )
    if r["foreign_cpu_pct"] > S.NOISY_PCT:
        S.NOISY.append(f"{server.name} {workload}: {r['foreign_cpu_pct']}% foreign CPU")
    log(
        f"  {workload:7} {server.name:15} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
        f"p99 {r['p99_ms']:7.2f} ms  CPU/req {r['server_cpu_ms']:.2f} ms  "
        f"foreign CPU {r['foreign_cpu_pct']:4.1f}%"
    )
    return r


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by req/s (the middle one of three), with every round's req/s."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return {**ordered[len(ordered) // 2], "rounds_rps": [r["rps"] for r in runs]}


def check_log(server: Server) -> None:
    """Record a server whose log (stderr) shows a traceback or an error."""
    text = server.log.read_text(errors="replace") if server.log.exists() else ""
    if "Traceback" in text or "ERROR" in text:
        S.PROBLEMS.append(f"{server.name} log has errors ({server.log}): {text[-500:]!r}")
