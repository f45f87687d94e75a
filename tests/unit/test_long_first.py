"""tests/long_first.py: under pytest-xdist's own worksteal scheduler, each
worker's first test is a long one, and every test is handed out once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from xdist.scheduler import WorkStealingScheduling

from tests.long_first import long_first, shares


class _Config:
    """What the scheduler reads of pytest's configuration: ``-n WORKERS``."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def getvalue(self, name: str) -> Any:
        assert name == "tx", name
        return [f"{self.workers}*popen"]


class _Worker:
    """A worker as the scheduler drives it: the tests it is sent, in order."""

    shutting_down = False

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent += indices


@pytest.mark.parametrize(("count", "workers", "long"), [(2122, 2, 4), (490, 2, 4), (101, 3, 5)])
def test_each_worker_starts_with_a_long_test(count: int, workers: int, long: int) -> None:
    names = [f"t{i}" for i in range(count)]
    marked = set(names[count - long :])  # collected last, as the fuzz tests are
    order = long_first(names, lambda name: name in marked, workers)
    assert sorted(order) == sorted(names)
    assert [n for n in order if n not in marked] == [n for n in names if n not in marked]
    scheduler = WorkStealingScheduling(_Config(workers))
    nodes = [_Worker(f"gw{n}") for n in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, order)
    scheduler.schedule()
    assert [len(node.sent) for node in nodes] == shares(count, workers)
    firsts = [order[node.sent[0]] for node in nodes]
    assert set(firsts) <= marked and len(set(firsts)) == workers


def test_without_workers_the_long_tests_simply_go_first() -> None:
    assert long_first([1, 2, 3, 4], lambda n: n % 2 == 0, 1) == [2, 4, 1, 3]
