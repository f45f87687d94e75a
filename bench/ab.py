"""A/B: scimdock variants side by side, CPU per request first.

Usage::

    .venv/bin/python bench/ab.py [-w get,filter,post] [-r 5] [-s 4] [-c 4] VARIANT ...

A variant is ``stock`` (scimdock.tuning switched off: Connexion as shipped),
``tuned`` (all of it), ``tuned-<part>`` (all but one part of
:data:`scimdock.tuning.PARTS`), ``NAME=DIR``: another checkout of scimdock
(a ``git worktree`` of an older commit) served on this venv's libraries,
``NAME=CODE``: Python run in the server process before ``scimdock serve``
starts (e.g. to wrap ``uvicorn.run``), or a peer of ``make bench``:
``scim2-server``, or ``floor`` (bench/floor.py, on the documents of the
first scimdock variant; GET only).
Each variant is its own server (same flags as ``make bench`` but the log
level: ``info`` unless ``-l`` says otherwise, so each request writes its
access line as in production; pinned to core 0) on its own database with 1,000 POSTed users; rounds are
interleaved, the variant order rotating, and the median kept. The server's
CPU time per request is the figure to read on a shared machine; req/s is
printed too, each with its ratio to the first variant. ``--postgresql``: each
variant on a database of its own in a throwaway durable cluster (bench/pg.py)
instead of SQLite; ``-e NAME=VALUE``: a server setting for every variant. Not
part of ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import floor, report, seed, servers  # noqa: E402
from bench import settings as S  # noqa: E402
from bench.instructions import package_tree  # noqa: E402
from bench.measure import check_log, measure  # noqa: E402

# Runs in the server process: argv[1] is the variant's code, the rest the CLI's.
LAUNCH = (
    "import sys; sys.path.insert(0, {root!r}); code = sys.argv.pop(1); exec(code); "
    "from scimdock.cli import main; raise SystemExit(main(sys.argv[1:]))"
)
#: The peers of ``make bench`` a variant may name.
PEERS = ("scim2-server", "floor")
SKIP = (
    "import functools, scimdock.tuning as t; "
    "t.options = functools.partial(t.options, skip={parts!r})"
)


def variant_code(spec: str) -> tuple[str, str]:
    """``(name, code)`` of a variant given on the command line."""
    from scimdock import tuning

    if spec in PEERS:
        return spec, ""
    if "=" in spec:
        name, code = spec.split("=", 1)
        if Path(code).is_dir():  # a checkout: its package first on sys.path
            tree = package_tree(code, Path(tempfile.mkdtemp(prefix=f"ab-{name}-")))
            return name, f"sys.path.insert(0, {tree!r})"
        return name, code
    if spec == "stock":
        return spec, SKIP.format(parts=set(tuning.PARTS))
    if spec == "tuned":
        return spec, ""
    if spec.startswith("tuned-") and spec[6:] in tuning.PARTS:
        return spec, SKIP.format(parts={spec[6:]})
    raise SystemExit(f"unknown variant {spec!r}; parts: {', '.join(tuning.PARTS)}")


def _tenant_token(code: str, db: Path) -> str:
    """A tenant with SCIM on and its key, made by the variant's own
    command line (a checkout's migrations make its database)."""

    def cli(*args: str) -> str:
        argv = ["-c", LAUNCH.format(root=str(servers.ROOT)), code, "--db", str(db), *args]
        out = subprocess.run(
            [servers.PY, *argv], capture_output=True, text=True, cwd=servers.ROOT, timeout=120
        )
        if out.returncode:
            raise RuntimeError(f"scimdock {' '.join(args)}: {out.stderr}")
        return out.stdout

    cli("tenant", "create", "ab")
    cli("tenant", "enable-scim", "ab")
    return str(json.loads(cli("key", "create", "--tenant", "ab", "--json"))["token"])


def start(
    name: str,
    code: str,
    work: Path,
    log_level: str = "info",
    cluster: Any = None,
    env: dict[str, str] | None = None,
) -> tuple[servers.Server, list[str]]:
    if name == "scim2-server":
        peer = servers.scim2_server(work)
        return peer, seed.post_users(peer.port, peer.base, peer.auth, 1, S.SEED_USERS + 1)
    db = work / f"{name}.db" if cluster is None else cluster.new_database()
    token = _tenant_token(code, db)
    port = servers.free_port()
    server = servers._spawn(
        name,
        [
            servers.PY,
            "-c",
            LAUNCH.format(root=str(servers.ROOT)),
            code,
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--log-level",
            log_level,
        ],
        # scimdock's defaults, as bench/servers.py runs it (access log included).
        {"SCIMDOCK_RATE_TENANT": servers.BENCH_RATE_TENANT, **(env or {})},
        port,
        "/scim/v1",
        f"Bearer {token}",
        "/scim/v1" + servers.TEST_CONNECTION,
        work,
    )
    return server, seed.post_users(server.port, server.base, server.auth, 1, S.SEED_USERS + 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("variants", nargs="+")
    p.add_argument("-w", "--workloads", default="get,filter,post")
    p.add_argument("-r", "--rounds", type=int, default=5)
    p.add_argument("-s", "--seconds", type=float, default=4.0)
    p.add_argument("-q", "--quiet-wait", type=float, default=5.0)
    p.add_argument("-c", "--connections", type=int, default=S.CONNECTIONS)
    p.add_argument(
        "-l",
        "--log-level",
        default="info",
        help="the servers' --log-level; info (the default, as users run it) logs every request",
    )
    p.add_argument("--postgresql", action="store_true")
    p.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    cluster = None
    if args.postgresql:
        from bench import pg

        cluster = pg.start()
        if cluster is None:
            return 1
    S.QUIET_WAIT = args.quiet_wait
    specs = [variant_code(v) for v in args.variants]
    workloads = args.workloads.split(",")
    common = {"name_fmt": seed.NAME_FMT, "names": S.SEED_USERS, "prefix": f"ab{os.getpid()}"}
    results: dict[str, dict[str, list[dict]]] = {w: {n: [] for n, _ in specs} for w in workloads}
    running: dict[str, tuple[servers.Server, list[str]]] = {}
    report.RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=report.RESULTS) as tmp:
        try:
            for name, code in specs:
                if name == "floor":
                    continue
                running[name] = start(name, code, Path(tmp), args.log_level, cluster, env)
                print(f"{name}: cold start {running[name][0].started:.2f} s", flush=True)
            if "floor" in (n for n, _ in specs):  # on the first scimdock's documents
                first, ids = next(running[n] for n, _ in specs if n not in PEERS)
                db = Path(tmp) / "floor.db"
                floor.prepare(db, first.port, first.base, first.auth, ids)
                running["floor"] = (servers.floor(Path(tmp), db, ids[0]), ids)
            for round_ in range(args.rounds):
                order = specs[round_ % len(specs) :] + specs[: round_ % len(specs)]
                for w in workloads:
                    for name, _ in order:
                        if name == "floor" and w != "get":
                            continue
                        server, ids = running[name]
                        results[w][name].append(
                            measure(
                                server,
                                w,
                                {**common, "ids": ids},
                                seconds=args.seconds,
                                connections=args.connections,
                                warmup=1.0 if round_ == 0 else 0,
                            )
                        )
        finally:
            for server, _ in running.values():
                server.stop()
                check_log(server)
            if cluster is not None:
                cluster.stop()
    base = specs[0][0]
    print(
        f"\nmedians of {args.rounds} rounds, {args.connections} connections; ratios ="
        f" {base} / variant (req/s: > 1, {base} is faster; CPU: > 1, {base} is cheaper)"
    )
    for w in workloads:
        cpu0 = statistics.median(r["server_cpu_ms"] for r in results[w][base])
        rps0 = statistics.median(r["rps"] for r in results[w][base])
        for name, _ in specs:
            runs = results[w][name]
            if not runs:
                continue
            cpu = statistics.median(r["server_cpu_ms"] for r in runs)
            rps = statistics.median(r["rps"] for r in runs)
            foreign = max(r["foreign_cpu_pct"] for r in runs)
            print(
                f"  {w:7} {name:14} {rps:7.0f} req/s ({rps0 / rps:5.2f}x)"
                f"  CPU {cpu:6.3f} ms/req ({cpu / cpu0:5.2f}x)  max foreign CPU {foreign:4.1f}%"
                f"  all req/s {[round(r['rps']) for r in runs]}"
            )
    for problem in S.PROBLEMS:
        print(f"  PROBLEM: {problem}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
