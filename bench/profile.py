"""Where scimdock's time goes: py-spy samples a running server under wrk load.

Usage: ``.venv/bin/python bench/profile.py [get|post|patch|filter|list ...]``
(installs py-spy into the venv if missing; needs ptrace, i.e. root or
``kernel.yama.ptrace_scope=0``). Not part of ``make bench``.

For each workload: a fresh scimdock on 1,000 POSTed users, wrk with 4
connections for ``BENCH_SECONDS`` (default 10) while ``py-spy record --idle``
samples the server at 250 Hz without pausing it (wall clock: time blocked in fsync or waiting
for the next request counts too). Each sample goes to the first category
found walking from the leaf frame up (self time by layer), and to every
category on its stack (inclusive time). Raw stacks stay in
``bench/results/profile-<workload>.txt`` (collapsed format, for flame graphs).
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load, report, seed, servers  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROOT = Path(__file__).resolve().parent.parent


def _line(text: str) -> int:
    """The line of store/sqlite_engine.py holding ``text`` (py-spy names frames by line)."""
    lines = (ROOT / "store" / "sqlite_engine.py").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


COMMIT = 'execute("COMMIT")'
_COMMIT_THREAD = r"_work \(.*store/group_commit\.py"
_GROUP_COMMIT = r"_commit \(.*store/group_commit\.py"
_GROUP_EXECUTE = r"_execute \(.*store/group_commit\.py"
# (category, regex on "function (file:line)"), the first match wins.
CATEGORIES = [
    (
        "idle: waiting for requests",
        r"\(asyncio/(runners|base_events)\.py|\(uvicorn/(main|server)\.py",
    ),
    ("SQLite COMMIT (fsync) on the loop", rf"_write \(.*store/sqlite_engine\.py:{_line(COMMIT)}\)"),
    ("store: SQLite queries", r"\(store/"),
    ("auth: key lookup + hash", r"\(handlers/security\.py|\(core/credentials\.py"),
    ("SCIM core (render, project, patch, validate)", r"\(core/"),
    ("handlers", r"\(handlers/"),
    ("Connexion request validation", r"connexion/validators|jsonschema|referencing"),
    ("Connexion security", r"connexion/security"),
    ("Connexion parameter handling (decorators)", r"connexion/decorators|connexion/uri_parsing"),
    ("Connexion other middleware", r"connexion/"),
    ("Starlette", r"starlette/"),
    ("uvicorn / HTTP parsing", r"uvicorn/|httptools"),
    ("asyncio / other", r"."),
]


def record(workload: str, work: Path) -> Path:
    db = work / f"{workload}.db"
    token = servers.tenant_token(db, "prof")
    server = servers.scimdock(db, token, work)
    out = report.RESULTS / f"profile-{workload}.txt"
    try:
        ids = seed.post_users(server.port, server.base, server.auth, 1, 1001)
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--idle",
                "--nonblocking",
                "-r",
                "250",
                "-d",
                str(int(SECONDS)),
                "-f",
                "raw",
                "-o",
                str(out),
                "-p",
                str(server.process.pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        cfg = {
            "base": server.base,
            "auth": server.auth,
            "ids": ids,
            "names": 1000,
            "name_fmt": seed.NAME_FMT,
            "prefix": "prof",
        }
        r = load.wrk(server.origin, workload, cfg, seconds=SECONDS, connections=4)
        spy.wait(SECONDS + 30)
        print(
            f"\n== {workload}: {r.rps:.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms"
            f" (under py-spy), {r.non2xx} non-2xx"
        )
    finally:
        server.stop()
    return out


def summarize(path: Path, top: int = 15) -> None:
    """Print shares of the busy (not idle) samples: by layer, file, function."""
    layers: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    files: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    busy = idle = committing = executing = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n, frames = int(count), stack.split(";")
        if any(re.search(_COMMIT_THREAD, f) for f in frames):
            # store.group_commit's thread: it runs the writes and their COMMIT
            # off the event loop.
            committing += n if any(re.search(_GROUP_COMMIT, f) for f in frames) else 0
            executing += n if any(re.search(_GROUP_EXECUTE, f) for f in frames) else 0
            continue
        layer = next(
            (c for f in reversed(frames) for c, rx in CATEGORIES[:-1] if re.search(rx, f)),
            CATEGORIES[-1][0],
        )
        if layer.startswith("idle"):
            idle += n
            continue
        busy += n
        layers[layer] += n
        for cat in {c for f in frames for c, rx in CATEGORIES[1:-1] if re.search(rx, f)}:
            inclusive[cat] += n
        leaf = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frames[-1])
        function, file = (leaf.group(1), leaf.group(2)) if leaf else (frames[-1], "?")
        files[file] += n
        functions[f"{function} ({file})"] += n
    pct = lambda n: f"{100 * n / max(busy, 1):5.1f}%"  # noqa: E731
    print(
        f"   event loop thread: {busy + idle} samples, {idle} idle; shares of the {busy}"
        f" busy samples. Commit thread (off the loop): {executing} samples running"
        f" writes, {committing} in COMMIT"
    )
    print(f"   {'layer (leaf-first self time)':46} {'self':>6} {'incl.':>6}")
    for cat, n in layers.most_common():
        print(f"   {cat:46} {pct(n)} {pct(inclusive[cat])}")
    for title, counter in (("files", files), ("functions", functions)):
        print(f"   top {top} {title} (self):")
        for name, n in counter.most_common(top):
            print(f"   {pct(n)}  {name[:100]}")


def main() -> int:
    workloads = sys.argv[1:] or ["get", "post"]
    if not (Path(sys.executable).parent / "py-spy").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
    report.RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=report.RESULTS) as tmp:
        for workload in workloads:
            summarize(record(workload, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
