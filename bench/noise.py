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


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # gone meanwhile


def tree(root: int) -> list[int]:
    """``root`` and every live process descended from it (``/proc/*/stat``
    parent ids): a server's ``--workers`` processes, PostgreSQL's backends."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (parts := _stat(int(entry.name))) is not None:
            children.setdefault(int(parts[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def tree_seconds(root: int) -> float:
    """CPU seconds of ``root``'s process tree: utime + stime of each live
    process plus cutime + cstime (its children that exited and were waited
    for: a backend that closed, a worker that was restarted), so a process
    that ends between two readings is counted once, in its parent."""
    total = 0
    for pid in tree(root):
        parts = _stat(pid)
        if parts is not None:
            total += sum(int(x) for x in parts[11:15])
    return total / HZ


def children_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


@dataclass
class Probe:
    """Open before a run, :meth:`foreign_pct` after it. ``pid``: the server
    under test, with all its processes (:func:`tree_seconds`); ``database``:
    the root of a database server's processes (PostgreSQL's postmaster),
    counted apart (:meth:`database_seconds`) and not as foreign."""

    pid: int
    database: int | None = None
    t0: float = 0.0
    busy0: float = 0.0
    own0: float = 0.0
    server0: float = 0.0
    database0: float = 0.0

    def __post_init__(self) -> None:
        self.t0, self.busy0 = time.monotonic(), busy_seconds()
        self.server0 = tree_seconds(self.pid)
        self.database0 = tree_seconds(self.database) if self.database else 0.0
        self.own0 = self.server0 + self.database0 + children_seconds()

    def server_seconds(self) -> float:
        """CPU seconds the server spent since the probe opened (all its
        processes): divided by the requests, the cost of one request,
        robust to other jobs."""
        return tree_seconds(self.pid) - self.server0

    def database_seconds(self) -> float:
        """CPU seconds the database server spent since the probe opened."""
        return tree_seconds(self.database) - self.database0 if self.database else 0.0

    def foreign_pct(self) -> float:
        wall = time.monotonic() - self.t0
        own = (
            tree_seconds(self.pid)
            + (tree_seconds(self.database) if self.database else 0.0)
            + children_seconds()
            - self.own0
        )
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
