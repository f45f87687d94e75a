"""A SCIM client team's test suite against the ``scim_mock`` fixture
(docs/mock.md, "From pytest, in CI"): tests/integration/sample_client_suite.py,
100 tests, one of them 10,000 GETs, run by pytest in a process of its own as
the team would run it (the fixture's mock started by the first test).
Target: at most 15 s of wall time (the median of the rounds), with the CPU
of pytest and the mock beside it and the load average (the machine is shared).

Run: ``.venv/bin/python bench/sample_suite.py`` (``make bench`` runs it);
``BENCH_SAMPLE_ROUNDS`` (3) sets the rounds.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.targets import at_most  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "integration" / "sample_client_suite.py"
TARGET_SECONDS = 15.0
TESTS = 100


def one_round(folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds (pytest and the mock it starts) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.returncode != 0 or not re.search(rf"\b{TESTS} passed\b", run.stdout):
        sys.stderr.write(run.stdout[-3000:] + run.stderr[-3000:])
        raise RuntimeError(f"the sample suite did not pass {TESTS} tests")
    return wall, cpu


def main() -> int:
    rounds = int(os.environ.get("BENCH_SAMPLE_ROUNDS", "3"))
    with tempfile.TemporaryDirectory() as folder:
        # Its own folder, as a team's repository: no conftest of ours, the
        # fixture found through the installed package's entry point.
        shutil.copy(SUITE, Path(folder) / "test_sample_suite.py")
        load = os.getloadavg()[0]
        runs = [one_round(Path(folder)) for _ in range(rounds)]
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    figure = f"{wall:.1f} s of wall time (median of {rounds}; {at_most(wall, TARGET_SECONDS)})"
    print(f"sample suite: {TESTS} tests through the scim_mock fixture in {figure},", flush=True)
    print(f"  {cpu:.1f} s of CPU (pytest and the mock); load average {load:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
