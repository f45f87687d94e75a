"""Commit-then-fail (docs/mock.md, "Faults and stubs"): a rule with
``"when": "after"`` lets the server carry the request out, then hits its
answer. The retry test every provisioning client needs: after a create
whose answer was lost, does it look the user up, or create it again?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from test_mock import mock

from conftest import wait_until
from scimdock.mock.testing import ScimMock

__all__ = ["mock"]  # the fixture, shared with test_mock.py
pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def scim(mock: ScimMock, timeout: float = 10) -> httpx.Client:
    return httpx.Client(
        base_url=mock.url, headers={"Authorization": f"Bearer {mock.token}"}, timeout=timeout
    )


def journal_when(
    mock: ScimMock, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The journal once ``done`` holds of it: an exchange whose connection
    was dropped is recorded when the server has seen it go, which the
    client may learn of first. As it is then if ``done`` never holds within
    10 s (the test's assertions then say what is missing)."""
    seen: list[list[dict[str, Any]]] = []

    def read() -> bool:
        seen.append(mock.journal())
        return done(seen[-1])

    try:
        wait_until(read, 10, "the journal to hold the exchange", every=0.02)
    except TimeoutError:
        pass
    return seen[-1]


def naive_create(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """A client that sends a create again when its answer is lost."""
    for _ in range(3):
        try:
            return client.post(path, json=body)
        except httpx.TransportError:
            continue
    raise AssertionError("three lost answers")


def careful_create(
    client: httpx.Client, path: str, body: dict[str, Any], key: str
) -> dict[str, Any]:
    """A client that, when the answer to a create is lost, looks the
    resource up before creating it again (RFC 7644 §3.4.2.2)."""
    try:
        return dict(client.post(path, json=body).json())
    except httpx.TransportError:
        found = client.get(path, params={"filter": f'{key} eq "{body[key]}"'}).json()
        if found["totalResults"]:
            return dict(found["Resources"][0])
        return dict(client.post(path, json=body).json())


def test_a_retried_create_after_commit_then_drop_is_caught_by_verify(mock: ScimMock) -> None:
    mock.fault(method="POST", path="/Users", drop="reset", when="after", times=1)
    ann = {"schemas": [USER], "userName": "ann@example.com"}
    with scim(mock) as client:
        # The first create was committed though its answer was lost: the
        # second is refused as a duplicate (userName is unique, RFC 7643 §4.1.1).
        again = naive_create(client, "/Users", ann)
        assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
        [made] = client.get("/Users").json()["Resources"]
    entries = journal_when(mock, lambda e: len(e) == 3)
    first, second, _ = entries
    assert first["status"] is None and first["fault"]["drop"] == "reset"
    assert first["applied"] is True and first["appliedStatus"] == 201
    assert first["resourceIds"] == [made["id"]]  # the user made, though its answer was lost
    assert first["request"]["body"] == ann  # journaled with its body
    assert (second["status"], second["applied"], second["fault"]) == (409, False, None)
    verdict = mock.verify(
        method="POST",
        path="/Users",
        resource={"userName": "ann@example.com"},
        count={"exactly": 1},
    )
    assert verdict["ok"] is False and verdict["matched"] == 2
    assert verdict["summary"] == (
        'failed: expected exactly 1 POST /Users with userName "ann@example.com", '
        f"found 2 (seq {first['seq']}, {second['seq']})"
    )
    assert verdict["reasons"] == [verdict["summary"][len("failed: ") :]]
    # One of the two was carried out.
    assert mock.verify(method="POST", applied=True, count={"exactly": 1})["ok"]


def test_a_retried_group_create_after_commit_then_empty(mock: ScimMock) -> None:
    mock.fault(method="POST", path="/Groups", drop="empty", when="after", times=1)
    team = {"schemas": [GROUP], "displayName": "Engineering"}
    with scim(mock) as client:
        assert naive_create(client, "/Groups", team).status_code == 409
        assert client.get("/Groups").json()["totalResults"] == 1
    journal_when(mock, lambda e: len(e) == 3)
    verdict = mock.verify(method="POST", path="/groups", count={"exactly": 1})
    assert not verdict["ok"] and verdict["matched"] == 2


def test_a_client_that_looks_up_first_passes_verify(mock: ScimMock) -> None:
    mock.fault(method="POST", path="/Users", drop="reset", when="after", times=1)
    ann = {"schemas": [USER], "userName": "ann@example.com"}
    with scim(mock) as client:
        made = careful_create(client, "/Users", ann, "userName")
    assert made["userName"] == "ann@example.com"
    journal_when(mock, lambda e: len(e) == 2)
    create = {"method": "POST", "path": "/Users", "resource": {"userName": "ann@example.com"}}
    lookup = {"method": "GET", "path": "/Users", "query": {"filter": {"contains": "ann@"}}}
    verdict = mock.verify(**create, count={"exactly": 1})
    assert verdict["ok"], verdict["summary"]
    ordered = mock.verify(inOrder=[create, lookup], noUnexpected=True)
    assert ordered["ok"], ordered["reasons"]
    assert ordered["summary"] == "passed" and len(ordered["inOrder"]) == 2


def test_commit_then_error_timeout_and_delay(mock: ScimMock) -> None:
    mock.call(
        "PUT",
        "/faults",
        {
            "rules": [
                {"method": "POST", "path": "/Users", "status": 500, "when": "after", "times": 1},
                {"method": "PUT", "path": "/Users/*", "drop": "timeout", "when": "after"},
                {"method": "DELETE", "path": "/Users/*", "latencyMs": 200, "when": "after"},
            ]
        },
    )
    with scim(mock, timeout=1) as client:
        failed = client.post("/Users", json={"schemas": [USER], "userName": "bob"})
        assert failed.status_code == 500 and failed.json()["status"] == "500"
        [bob] = client.get("/Users").json()["Resources"]  # made nonetheless
        with pytest.raises(httpx.ReadTimeout):
            client.put(f"/Users/{bob['id']}", json={"schemas": [USER], "userName": "robert"})
        assert client.get(f"/Users/{bob['id']}").json()["userName"] == "robert"
        slow = time.monotonic()
        assert client.delete(f"/Users/{bob['id']}").status_code == 204
        assert time.monotonic() - slow >= 0.2  # the delay is what is tested
    entries = journal_when(mock, lambda e: len(e) == 5)
    [post] = [e for e in entries if e["method"] == "POST"]
    [put] = [e for e in entries if e["method"] == "PUT"]
    [delete] = [e for e in entries if e["method"] == "DELETE"]
    assert (post["status"], post["appliedStatus"], post["applied"]) == (500, 201, True)
    assert (put["status"], put["appliedStatus"], put["applied"]) == (None, 200, True)
    assert put["request"]["body"]["userName"] == "robert"
    assert (delete["status"], delete["applied"]) == (204, True)
    assert delete["fault"]["when"] == "after"


def test_before_faults_are_not_applied(mock: ScimMock) -> None:
    mock.fault(method="POST", path="/Users", drop="reset", times=1)
    with scim(mock) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/Users", json={"schemas": [USER], "userName": "cy"})
        assert client.get("/Users").json()["totalResults"] == 0
    [entry, _] = journal_when(mock, lambda e: len(e) == 2)
    assert entry["applied"] is False and entry["appliedStatus"] is None
    assert entry["request"]["body"]["userName"] == "cy"
    assert mock.verify(applied=False, count={"exactly": 1})["ok"]
