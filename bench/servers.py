"""The servers under test, each one uvicorn process pinned to core 0.

* scimdock: ``python -m scimdock --db DB serve`` as in production (auth and
  request validation on, response validation off, ``synchronous=FULL``).
* scim2-server: :mod:`bench.peer_scim2` under ``uvicorn`` (in-memory).
* bare: :mod:`bench.bare` under ``uvicorn`` (one trivial Connexion route).

All three use uvicorn's defaults (uvloop + httptools when installed, one
worker) and log at ``warning``, so no access log is written.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SERVER_CORE = "0"
PEER_TOKEN = "bench-peer-token"


@dataclass
class Server:
    """A running server: where it listens and how to call it."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    base: str  # SCIM root path: /scim/v1 or /v2
    auth: str  # Authorization header value
    log: Path
    started: float = field(default=0.0)  # seconds from spawn to the first 200

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> float:
        """Resident set size of the server process, MiB (/proc VmRSS)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(db: Path, *args: str) -> str:
    """Run the real ``scimdock`` CLI; return its stdout."""
    out = subprocess.run(
        [PY, "-m", "scimdock", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"scimdock {' '.join(args)}: {out.stderr}")
    return out.stdout


def tenant_token(db: Path, name: str) -> str:
    """Create tenant ``name`` with SCIM on and a key; return the Bearer token."""
    cli(db, "tenant", "create", name)
    cli(db, "tenant", "enable-scim", name)
    return str(json.loads(cli(db, "key", "create", "--tenant", name, "--json"))["token"])


def _spawn(
    name: str,
    argv: list[str],
    env: dict[str, str],
    port: int,
    base: str,
    auth: str,
    probe: str,
    logdir: Path,
) -> Server:
    log = logdir / f"{name}-{port}.log"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, *argv],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),
    )
    server = Server(name, proc, port, base, auth, log)
    server.started = wait_ready(server, probe, t0)
    return server


def wait_ready(server: Server, path: str, t0: float, timeout: float = 60) -> float:
    """Poll ``path`` every 5 ms until 200; seconds since ``t0``."""
    while time.perf_counter() - t0 < timeout:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {server.log.read_text()[-2000:]}")
        try:
            if get(server, path)[0] == 200:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer 200 on {path} in {timeout} s")


def get(server: Server, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": server.auth})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


TEST_CONNECTION = "/Users?filter=userName%20eq%20%22no-such-user%22"


def scimdock(db: Path, token: str, logdir: Path, env: dict[str, str] | None = None) -> Server:
    """scimdock as in production; ``env`` overrides settings (A/B experiments)."""
    port = free_port()
    return _spawn(
        "scimdock",
        [
            PY,
            "-m",
            "scimdock",
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        # One tenant at full speed is far over the default request rate
        # (docs/security.md, "Limits"): the bench measures the server, not the limit.
        {
            "SCIMDOCK_VALIDATE_RESPONSES": "0",
            "SCIMDOCK_SYNCHRONOUS": "FULL",
            "SCIMDOCK_RATE_TENANT": "off",
            **(env or {}),
        },
        port,
        "/scim/v1",
        f"Bearer {token}",
        "/scim/v1" + TEST_CONNECTION,
        logdir,
    )


def _uvicorn(name: str, app: str, base: str, probe: str, logdir: Path) -> Server:
    port = free_port()
    return _spawn(
        name,
        [PY, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"],
        {"BENCH_PEER_TOKEN": PEER_TOKEN},
        port,
        base,
        f"Bearer {PEER_TOKEN}",
        probe,
        logdir,
    )


def scim2_server(logdir: Path) -> Server:
    return _uvicorn("scim2-server", "bench.peer_scim2:app", "/v2", "/v2" + TEST_CONNECTION, logdir)


def bare(logdir: Path) -> Server:
    return _uvicorn("bare-connexion", "bench.bare:app", "/scim/v1", "/scim/v1/Users/x", logdir)
