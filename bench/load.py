"""Load generation: wrk with a Lua script per workload, pinned to core 1.

A run's script is ``CONFIG`` (the target's base path, token, ids, name
pattern, rendered as a Lua table) + ``lua/common.lua`` + ``lua/<workload>.lua``.
wrk measures latency from the request written to the response read, over
keep-alive connections on loopback; ``done()`` in common.lua prints the
figures as one JSON line. Without wrk, :mod:`bench.pyload` does the same
workloads with Python processes (slower: it is then the bottleneck sooner).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"
LOAD_CORE = "1"


@dataclass
class Result:
    """One measured run: throughput, latency (ms), and what went wrong."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    first_error: str = ""
    generator: str = "wrk"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lua_value(value: Any) -> str:
    """A Python value (str, int, bool, list, dict) as a Lua literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if not value.isascii():
            raise ValueError(f"ASCII only in Lua config: {value!r}")
        return json.dumps(value)  # ASCII JSON string escapes are valid Lua escapes
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(lua_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={lua_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Lua literal for {value!r}")


def script(workload: str, config: dict[str, Any]) -> str:
    """The full Lua script of ``workload`` with ``config``."""
    return "\n".join(
        (
            f"CONFIG = {lua_value(config)}",
            (LUA / "common.lua").read_text(),
            (LUA / f"{workload}.lua").read_text(),
        )
    )


def wrk(
    origin: str,
    workload: str,
    config: dict[str, Any],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    wrk_path: str = "wrk",
) -> Result:
    """Run wrk against ``origin`` for ``seconds`` and return its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(workload, config))
    try:
        out = subprocess.run(
            [
                "taskset",
                "-c",
                LOAD_CORE,
                wrk_path,
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                origin,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        Path(f.name).unlink()
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    raw = json.loads(line.removeprefix("BENCHJSON "))
    secs = raw["duration_us"] / 1e6
    return Result(
        requests=raw["requests"],
        seconds=round(secs, 2),
        rps=round(raw["requests"] / secs, 1),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=raw["socket_errors"],
        first_error=raw["first_error"],
    )


def run(
    origin: str,
    workload: str,
    config: dict[str, Any],
    *,
    seconds: float,
    connections: int,
    wrk_path: str | None,
) -> Result:
    """wrk when available, else the Python generator (see module docstring)."""
    if wrk_path:
        return wrk(
            origin, workload, config, seconds=seconds, connections=connections, wrk_path=wrk_path
        )
    from bench import pyload

    return pyload.run(origin, workload, config, seconds=seconds, connections=connections)
