"""The servers under test, each pinned to core 0 (with ``--workers 2``,
scimdock's processes to cores 0 and 1).

* scimdock: ``python -m scimdock --db DB serve`` with its defaults, as users
  run it: auth and request validation on, response validation off,
  ``synchronous=FULL``, ``--log-level info`` with its JSON access line per
  request. One setting differs: the per-tenant rate limit (6,000 a
  minute by default) is off (``SCIMDOCK_RATE_TENANT=off``), because one
  bench tenant sends thousands a second; the bench measures the server,
  not the limit (the key's rate and the in-flight cap keep their defaults).
* scim2-server: :mod:`bench.peer_scim2` under ``uvicorn`` (in-memory).
* floor: :mod:`bench.floor` under ``uvicorn`` (a bare ASGI app: token
  hash, one SQLite read, the document and its ETag).

All use uvicorn's defaults (uvloop + httptools when installed, one worker,
log level ``info``: the peers write uvicorn's access log, scimdock its own).
Each server's stdout (the access log) goes to ``<name>-<port>.out`` and its
stderr to ``<name>-<port>.log`` in the work folder.
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

from bench import noise

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SERVER_CORE = "0"
#: scimdock's per-tenant rate in the bench (see above); SCIMDOCK_RATE_TENANT.
BENCH_RATE_TENANT = "off"
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
        """Resident set size of the server's processes, MiB (/proc VmRSS)."""
        kib = 0
        for pid in noise.tree(self.process.pid):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib += int(line.split()[1])
        return round(kib / 1024, 1)

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
    cores: str = SERVER_CORE,
) -> Server:
    log = logdir / f"{name}-{port}.log"
    t0 = time.perf_counter()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SCIMDOCK_")}
    with open(logdir / f"{name}-{port}.out", "wb") as out, open(log, "wb") as err:
        proc = subprocess.Popen(
            ["taskset", "-c", cores, *argv],
            cwd=ROOT,
            env={**inherited, **env},
            stdout=out,
            stderr=err,
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


def scimdock(
    db: Path | str,
    token: str,
    logdir: Path,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> Server:
    """scimdock with its defaults (the module docstring); ``db`` a SQLite
    path or a ``postgresql://`` URL; ``env`` overrides settings (A/B
    experiments); ``workers`` above 1: ``serve --workers``, on cores 0-1."""
    port = free_port()
    return _spawn(
        "scimdock",
        [PY, "-m", "scimdock", "--db", str(db), "serve", "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        # One tenant at full speed is far over the default request rate
        # (docs/security.md, "Limits"): the bench measures the server, not the limit.
        {"SCIMDOCK_RATE_TENANT": BENCH_RATE_TENANT, **(env or {})},
        port,
        "/scim/v1",
        f"Bearer {token}",
        "/scim/v1" + TEST_CONNECTION,
        logdir,
        SERVER_CORE if workers == 1 else f"0-{min(workers, os.cpu_count() or 1) - 1}",
    )


def _uvicorn(
    name: str, app: str, base: str, probe: str, logdir: Path, env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    return _spawn(
        name,
        [PY, "-m", "uvicorn", app, "--port", str(port)],
        {"BENCH_PEER_TOKEN": PEER_TOKEN, **(env or {})},
        port,
        base,
        f"Bearer {PEER_TOKEN}",
        probe,
        logdir,
    )


def scim2_server(logdir: Path) -> Server:
    return _uvicorn("scim2-server", "bench.peer_scim2:app", "/v2", "/v2" + TEST_CONNECTION, logdir)


def floor(logdir: Path, db: Path, probe_id: str) -> Server:
    """bench/floor.py on ``db`` (:func:`bench.floor.prepare` filled it)."""
    return _uvicorn(
        "floor",
        "bench.floor:app",
        "/scim/v1",
        f"/scim/v1/Users/{probe_id}",
        logdir,
        {"BENCH_FLOOR_DB": str(db)},
    )
