"""A SCIM client team's test suite, as it would use the ``scim_mock``
fixture: 100 tests against one session's mock, each with its tenant
clean, set by markers and fixture parameters, one test sending 10,000
requests. tests/integration/test_pytest_plugin.py runs it with pytester
(its name keeps pytest from collecting it here)."""

from __future__ import annotations

import http.client
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from scimdock.mock.testing import ScimMock, ScimMockBadRequest, ScimMockNotFound

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OFF = {"op": "replace", "path": "active", "value": False}


class Client:
    """The team's SCIM client: provisions and deprovisions, looks a user up
    before creating it, and retries after a 429 or a lost answer."""

    def __init__(self, mock: ScimMock) -> None:
        self.http = httpx.Client(
            base_url=mock.url, headers={"Authorization": f"Bearer {mock.token}"}, timeout=10
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """The answer, sent again after a 429 or, for a request that is
        safe to repeat (RFC 9110 §9.2.2), a lost answer."""
        for _ in range(5):
            try:
                answer = self.http.request(method, path, **kw)
            except httpx.TransportError:
                if method == "POST":
                    raise
                continue
            if answer.status_code != 429:
                return answer
        raise AssertionError(f"{method} {path}: no answer after five tries")

    def find(self, user_name: str) -> dict[str, Any] | None:
        page = self.send("GET", "/Users", params={"filter": f'userName eq "{user_name}"'})
        found = page.json()["Resources"]
        return found[0] if found else None

    def provision(self, user_name: str) -> dict[str, Any]:
        found = self.find(user_name)
        if found is not None:
            return found
        try:
            made = self.send("POST", "/Users", json={"schemas": [USER], "userName": user_name})
            if made.status_code in (200, 201):
                return dict(made.json())
        except httpx.TransportError:
            pass  # the answer was lost: was the user made?
        again = self.find(user_name)
        assert again is not None, f"{user_name} was not made"
        return again

    def deprovision(self, user_name: str) -> int:
        user = self.find(user_name)
        assert user is not None
        body = {"schemas": [PATCH], "Operations": [OFF]}
        return self.send("PATCH", f"/Users/{user['id']}", json=body).status_code


NAMES = [f"user{i:02d}@example.com" for i in range(70)]


@pytest.mark.parametrize("name", NAMES)
def test_provisioning_looks_up_then_creates(scim_mock: ScimMock, name: str) -> None:
    with Client(scim_mock) as client:
        assert client.provision(name)["userName"] == name
    lookup = {"method": "GET", "path": "/Users", "query": {"filter": {"contains": name}}}
    create = {"method": "POST", "path": "/Users", "resource": {"userName": name}}
    scim_mock.assert_called(inOrder=[lookup, create], noUnexpected=True)


@pytest.mark.parametrize("name", NAMES[:22])
@pytest.mark.scim_mock(
    faults=[{"method": "POST", "path": "/Users", "drop": "reset", "when": "after", "times": 1}]
)
def test_a_lost_create_is_not_sent_twice(scim_mock: ScimMock, name: str) -> None:
    with Client(scim_mock) as client:
        assert client.provision(name)["userName"] == name
    scim_mock.assert_called(method="POST", path="/Users", count={"exactly": 1})


ANN = {"users": [{"userName": "ann"}]}


@pytest.mark.parametrize(
    ("scim_mock", "answer"),
    [
        ({"seed": ANN, "profile": "patch-no-content"}, 204),
        ({"seed": ANN, "profile": {"patchResponse": "resource"}}, 200),
        ({"seed": ANN, "faults": [{"method": "PATCH", "status": 429, "times": 2}]}, 200),
    ],
    indirect=["scim_mock"],
)
def test_deprovisioning_under_each_profile(scim_mock: ScimMock, answer: int) -> None:
    with Client(scim_mock) as client:
        assert client.deprovision("ann") == answer
    scim_mock.assert_called(method="PATCH", patch=[OFF], status=answer, count={"exactly": 1})


@pytest.mark.scim_mock(seed={"users": [{"userName": "kept"}]})
def test_a_seed_is_the_tests_alone_1(scim_mock: ScimMock) -> None:
    with Client(scim_mock) as client:
        client.provision("made-here")
        assert client.send("GET", "/Users").json()["totalResults"] == 2


def test_a_seed_is_the_tests_alone_2(scim_mock: ScimMock) -> None:
    with Client(scim_mock) as client:
        assert client.send("GET", "/Users").json()["totalResults"] == 0
    assert scim_mock.journal(method="POST") == [] and scim_mock.scenarios() == {}


def test_admin_errors_are_typed(scim_mock: ScimMock) -> None:
    with pytest.raises(ScimMockBadRequest) as bad:
        scim_mock.fault(path="/Users")
    assert bad.value.status == 400 and "no action" in bad.value.detail
    with pytest.raises(ScimMockNotFound):
        scim_mock.call("GET", "/no-such-thing")


def test_assert_called_fails_with_the_verdict(scim_mock: ScimMock) -> None:
    with pytest.raises(AssertionError) as failed:
        scim_mock.assert_called(method="DELETE", path="/Users/*", count={"exactly": 1})
    assert str(failed.value) == "failed: expected exactly 1 DELETE /Users/*, found 0"


def read_many(mock: ScimMock, path: str, times: int) -> int:
    """``times`` GETs of ``path`` on one kept-alive connection (the standard
    library's client, whose own cost per request is a fifth of httpx's);
    how many were answered 200."""
    url = urllib.parse.urlsplit(mock.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    headers = {"Authorization": f"Bearer {mock.token}"}
    answered = 0
    try:
        for _ in range(times):
            connection.request("GET", url.path + path, headers=headers)
            answer = connection.getresponse()
            answer.read()
            answered += answer.status == 200
    finally:
        connection.close()
    return answered


def test_ten_thousand_requests(scim_mock: ScimMock) -> None:
    """A bulk reader with four connections at once, as a sync tool reads."""
    with Client(scim_mock) as client:
        user = client.provision("busy@example.com")
    with ThreadPoolExecutor(4) as pool:
        answered = pool.map(read_many, [scim_mock] * 4, [f"/Users/{user['id']}"] * 4, [2500] * 4)
    assert sum(answered) == 10_000
    assert len(scim_mock.journal()) == 1000  # the ring keeps the last --journal entries
