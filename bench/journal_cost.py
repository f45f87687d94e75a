"""The mock journal's price on GET (docs/mock.md): ``scimdock serve`` as
users run it against the same server with ``SCIMDOCK_JOURNAL=1000`` (every
SCIM request and its answer recorded, as ``scimdock mock`` does), side by
side in interleaved rounds by bench/ab.py. Target: GET req/s with the
journal on at least 85 % of without (the median of the rounds), with the
CPU per request ratio beside it.

Run: ``.venv/bin/python bench/journal_cost.py`` (``make bench`` runs it);
``BENCH_JOURNAL_ROUNDS`` (5) and ``BENCH_JOURNAL_SECONDS`` (3) lengthen it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.85
JOURNAL = "journal=import os; os.environ['SCIMDOCK_JOURNAL'] = '1000'"


def main() -> int:
    rounds = os.environ.get("BENCH_JOURNAL_ROUNDS", "5")
    seconds = os.environ.get("BENCH_JOURNAL_SECONDS", "3")
    command = [sys.executable, str(ROOT / "bench" / "ab.py"), "-w", "get", "-r", rounds]
    command += ["-s", seconds, "tuned", JOURNAL]
    print("journal cost: bench/ab.py, serve as shipped vs SCIMDOCK_JOURNAL=1000", flush=True)
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr[-3000:])
    return out.returncode


if __name__ == "__main__":
    raise SystemExit(main())
