"""The order the collected tests are handed out in under pytest-xdist's
``--dist worksteal``: the long ones (marked ``runs_long``) first, one at
the front of each worker's share, round robin.

worksteal (``xdist/scheduler/worksteal.py``, read in pytest-xdist 3.8)
splits the collected list into one contiguous share per worker, the first
``len // workers`` items to the first, and so on; each worker runs its
share from the front, and an idle worker steals the back half of the
longest queue left. A long test near the end of the list (schemathesis's
two runs, collected last, about 1.5 to 2 minutes each) is stolen last and
runs at the very end while the other worker has nothing left to do. At
the front of each share, the long tests start at once, one per worker,
and the short ones fill in round them. If pytest-xdist ever splits
differently, only this order loses its point: every test still runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def shares(count: int, workers: int) -> list[int]:
    """The sizes of worksteal's first shares of ``count`` tests among
    ``workers`` idle workers (each gets what is left over those still
    waiting, rounded down)."""
    sizes: list[int] = []
    left = count
    for waiting in range(workers, 0, -1):
        sizes.append(left // waiting)
        left -= sizes[-1]
    return sizes


def long_first(items: list[T], is_long: Callable[[T], bool], workers: int) -> list[T]:
    """``items`` reordered: the long ones at the fronts of the ``workers``
    shares, round robin; the others in their order, filling the shares.
    Without workers (``workers`` < 2), simply the long ones first."""
    long = [item for item in items if is_long(item)]
    rest = [item for item in items if not is_long(item)]
    if workers < 2:
        return long + rest
    ordered: list[T] = []
    for share, size in enumerate(shares(len(items), workers)):
        mine = long[share::workers]
        fill = max(0, size - len(mine))
        ordered += mine + rest[:fill]
        rest = rest[fill:]
    return ordered + rest
