"""scimdock.mock.rules.verify: a verdict on a journal, with a one-line summary and its
reasons in plain words."""

from __future__ import annotations

from typing import Any

from scimdock.mock.rules.verify import verify


def entry(
    seq: int, method: str, path: str, status: int | None = 200, **body: Any
) -> dict[str, Any]:
    return {
        "seq": seq,
        "method": method,
        "path": path,
        "query": "",
        "status": status,
        "applied": status is not None and status < 300,
        "request": {"headers": {}, "body": body or None},
    }


JOURNAL = [
    entry(1, "GET", "/Users"),
    entry(2, "POST", "/Users", 201, userName="ann"),
    entry(3, "POST", "/Users", 409, userName="ann"),
]


def test_a_count_that_holds_and_one_that_does_not() -> None:
    passed = verify(JOURNAL, {"method": "POST", "resource": {"userName": "ann"}})
    assert (
        passed["ok"]
        and passed["summary"] == 'passed: 2 request(s) POST to any path with userName "ann"'
    )
    assert passed["matches"] == [2, 3] and passed["reasons"] == []
    failed = verify(JOURNAL, {"method": "POST", "count": {"atMost": 1}})
    assert failed["summary"] == "failed: expected at most 1 POST to any path, found 2 (seq 2, 3)"
    assert failed["nearest"][0] == {
        "seq": 1,
        "method": "GET",
        "path": "/Users",
        "status": 200,
        "reasons": ["the method is GET, not POST"],
    }


def test_order_and_nothing_unexpected() -> None:
    steps = [{"method": "GET"}, {"method": "POST", "applied": True}]
    assert verify(JOURNAL, {"inOrder": steps})["inOrder"] == [1, 2]
    backwards = verify(JOURNAL, {"inOrder": steps[::-1]})
    assert backwards["reasons"] == [
        "GET to any path (seq 1) was not sent after POST to any path, carried out (seq 2)"
    ]
    extra = verify(JOURNAL, {"inOrder": steps, "noUnexpected": True})
    assert extra["unexpected"] == [3]
    assert extra["reasons"] == ["1 unexpected request(s): POST /Users (seq 3)"]
    assert extra["nearest"] == []  # no matcher of its own: nothing to be near
