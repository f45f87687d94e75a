"""Other work on the machine, which skews a benchmark: measured, waited out
(up to a limit), and reported with each run; and the server's own CPU time
per request, which other jobs barely change.

*Foreign CPU* is the CPU time the whole machine spent (``/proc/stat``)
minus what the server under test and our children (wrk, Python clients)
spent, as a share of all cores over the run. A few percent is the kernel
and the idle servers; more means another job ran at the same time.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / HZ


def process_seconds(pid: int) -> float:
    """utime + stime of one process."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / HZ


def children_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


@dataclass
class Probe:
    """Open before a run, :meth:`foreign_pct` after it."""

    pid: int
    t0: float = 0.0
    busy0: float = 0.0
    own0: float = 0.0
    server0: float = 0.0

    def __post_init__(self) -> None:
        self.t0, self.busy0 = time.monotonic(), busy_seconds()
        self.server0 = process_seconds(self.pid)
        self.own0 = self.server0 + children_seconds()

    def server_seconds(self) -> float:
        """CPU seconds the server spent since the probe opened: divided by
        the requests, the cost of one request, robust to other jobs."""
        return process_seconds(self.pid) - self.server0

    def foreign_pct(self) -> float:
        wall = time.monotonic() - self.t0
        own = process_seconds(self.pid) + children_seconds() - self.own0
        foreign = busy_seconds() - self.busy0 - own
        return round(max(0.0, 100 * foreign / (wall * NCPU)), 1)


def wait_quiet(max_wait: float, threshold_pct: float = 5.0) -> float:
    """Wait (at most ``max_wait`` s) until the machine is nearly idle over
    one second; return the last busy share in percent."""
    deadline = time.monotonic() + max_wait
    while True:
        b0 = busy_seconds()
        time.sleep(1.0)
        pct = 100 * (busy_seconds() - b0) / NCPU
        if pct <= threshold_pct or time.monotonic() >= deadline:
            return round(pct, 1)
