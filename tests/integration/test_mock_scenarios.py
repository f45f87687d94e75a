"""Scenarios (docs/mock.md, "Faults and stubs"): a rule's sequence of
answers, named scenario states as WireMock has them, and verify's
``inOrder`` and ``noUnexpected`` with their reasons in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from test_mock import mock, scim

from scimdock.mock.testing import ScimMock
from tests.unit.test_mock_docs import examples

__all__ = ["mock"]  # the fixture, shared with test_mock.py
pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ANN = {"schemas": [USER], "userName": "ann@example.com"}
LOOKUP = {"method": "GET", "path": "/Users", "query": {"filter": {"contains": "ann@example.com"}}}
CREATE = {"method": "POST", "path": "/Users", "resource": {"userName": "ann@example.com"}}


def test_a_sequence_429_then_500_then_through(mock: ScimMock) -> None:
    mock.fault(
        method="POST", path="/Users", sequence=[{"status": 429, "retryAfter": 1}, {"status": 500}]
    )
    with scim(mock) as client:
        first = client.post("/Users", json=ANN)
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        assert client.post("/Users", json=ANN).status_code == 500
        assert client.post("/Users", json=ANN).status_code == 201
        assert client.post("/Users", json=ANN).status_code == 409  # the real server's answer
    steps = [(e["status"], e["fault"] and e["fault"]["step"]) for e in mock.journal()]
    assert steps == [(429, 0), (500, 1), (201, None), (409, None)]
    assert mock.verify(**CREATE, applied=True, count={"exactly": 1})["ok"]


def test_named_states_script_a_slow_replica(mock: ScimMock) -> None:
    """The doc's scenario: after the create, the first lookup finds
    nothing and the next finds the user."""
    [rules] = examples("rules")
    mock.call("PUT", "/faults", {"rules": rules})
    assert mock.scenarios() == {"replica": "Started"}
    find = {"filter": 'userName eq "ann@example.com"'}
    with scim(mock) as client:
        assert client.get("/Users", params=find).json()["totalResults"] == 0  # truly none
        assert client.post("/Users", json=ANN).status_code == 201
        assert mock.scenarios() == {"replica": "created"}
        assert client.get("/Users", params=find).json()["totalResults"] == 0  # the stub
        assert mock.scenarios() == {"replica": "visible"}
        assert client.get("/Users", params=find).json()["totalResults"] == 1
        mock.call("PUT", "/scenarios/replica", {"state": "created"})
        assert client.get("/Users", params=find).json()["totalResults"] == 0
        mock.call("DELETE", "/scenarios")
    assert mock.scenarios() == {"replica": "Started"}


def create_then_look_up(client: httpx.Client) -> Any:
    """A client that creates first and looks up after, and reads groups too."""
    client.post("/Users", json=ANN)
    client.get("/Users", params={"filter": 'userName eq "ann@example.com"'})
    return client.get("/Groups")


def test_verify_in_order_and_no_unexpected_say_why(mock: ScimMock) -> None:
    with scim(mock) as client:
        create_then_look_up(client)
    seqs = [e["seq"] for e in mock.journal()]
    verdict = mock.verify(inOrder=[LOOKUP, CREATE], noUnexpected=True)
    assert verdict["ok"] is False
    assert verdict["reasons"] == [
        f'POST /Users with userName "ann@example.com" (seq {seqs[0]}) was not sent after'
        f' GET /Users with filter containing "ann@example.com" (seq {seqs[1]})',
        f"1 unexpected request(s): GET /Groups (seq {seqs[2]})",
    ]
    assert verdict["summary"] == "failed: " + verdict["reasons"][0] + " (and 1 more)"
    assert verdict["inOrder"] == [seqs[1]] and verdict["unexpected"] == [seqs[2]]
    assert "{" not in verdict["summary"]  # plain words, not a Python repr
    # The same journal in the order it happened passes; GET /Groups allowed.
    allowed = [LOOKUP, CREATE, {"method": "GET", "path": "/Groups"}]
    passed = mock.verify(inOrder=[CREATE, LOOKUP], noUnexpected=allowed)
    assert passed["ok"] and passed["summary"] == "passed" and passed["unexpected"] == []
    missing = mock.verify(inOrder=[CREATE, {"method": "DELETE"}])
    assert missing["reasons"] == [
        "no DELETE to any path was sent, expected after POST /Users with userName"
        f' "ann@example.com" (seq {seqs[0]})'
    ]


def test_the_same_rules_from_a_file_at_start(tmp_path: Path) -> None:
    """A rule is data: the sequence and commit-then-fail of the admin API,
    from a YAML file given to ``--faults``."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- method: POST\n"
        "  path: /users\n"
        "  sequence:\n"
        "    - {status: 503, retryAfter: 1, when: after}\n"
        "    - {drop: reset}\n"
    )
    server = ScimMock("--faults", str(rules), env={"TMPDIR": str(tmp_path)})
    try:
        with scim(server) as client:
            assert client.post("/Users", json=ANN).status_code == 503
            with pytest.raises(httpx.TransportError):
                client.post("/Users", json=ANN)
            assert client.post("/Users", json=ANN).status_code == 409
        entries = server.journal(method="POST")
        assert [(e["status"], e["applied"]) for e in entries] == [
            (503, True),
            (None, False),
            (409, False),
        ]
    finally:
        server.stop()
