"""``scimdock mock`` over HTTP: a ready tenant, the request journal
(filters, masking, JSON Lines, HAR, live stream), faults, reset and seed,
and verification (docs/mock.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Server
from scimdock.mock.testing import ScimMock

pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def mock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ScimMock:
    """The module's mock, clean for this test (tests/module_mock.py)."""
    from tests.module_mock import module_mock

    return module_mock(request, tmp_path_factory, lambda tmp: ScimMock(env={"TMPDIR": str(tmp)}))


def scim(mock: ScimMock) -> httpx.Client:
    return httpx.Client(
        base_url=mock.url, headers={"Authorization": f"Bearer {mock.token}"}, timeout=10
    )


def admin(mock: ScimMock) -> httpx.Client:
    return httpx.Client(
        base_url=f"{mock.admin_url}/tenants/{mock.tenant}",
        headers={"Authorization": f"Bearer {mock.admin_token}"},
        timeout=10,
    )


def is_scim_error(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"] == "application/scim+json"
        and response.json()["schemas"] == [ERROR]
        and response.json()["status"] == str(status)
    )


def test_a_ready_tenant_on_a_throwaway_database(tmp_path: Path) -> None:
    server = ScimMock(env={"TMPDIR": str(tmp_path)})
    try:
        assert set(server.info) == {"tenant", "baseUrl", "token", "adminUrl", "adminToken"}
        [folder] = tmp_path.glob("scimdock-mock-*")
        assert (folder / "mock.db").exists()
        with scim(server) as client:
            made = client.post("/Users", json={"schemas": [USER], "userName": "ann"})
            assert made.status_code == 201, made.text
        # The admin token is the tenant's: its own tenant, not the operator's operations.
        bearer = {"Authorization": f"Bearer {server.admin_token}"}
        own = httpx.get(f"{server.admin_url}/tenants/{server.tenant}", headers=bearer)
        assert own.json()["scimEnabled"] is True
        assert is_scim_error(httpx.get(f"{server.admin_url}/tenants", headers=bearer), 403)
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert list(tmp_path.glob("scimdock-mock-*")) == []


def test_the_journal_records_each_exchange_with_credentials_masked(mock: ScimMock) -> None:
    with scim(mock) as client:
        made = client.post(
            "/Users",
            json={"schemas": [USER], "userName": "bjensen", "password": "s3cret!"},
            headers={"Cookie": "sid=abc", "X-Api-Key": "k-123", "X-Request-ID": "req-1"},
        )
        uid = made.json()["id"]
        client.get("/Users", params={"filter": 'userName eq "bjensen"', "access_token": "t"})
        client.get(f"/Users/{uid}")
    bad = httpx.get(f"{mock.url}/Users", headers={"Authorization": "Bearer bm9wZTpub3Bl"})
    assert bad.status_code == 401
    entries = mock.journal()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/Users", 201),
        ("GET", "/Users", 200),
        ("GET", f"/Users/{uid}", 200),
        ("GET", "/Users", 401),  # no key of that id: the mock's own tenant
    ]
    first = entries[0]
    assert first["requestId"] == "req-1" and first["resourceIds"] == [uid]
    headers = first["request"]["headers"]
    assert headers["authorization"] == "Bearer ****"
    assert headers["cookie"] == "****" and headers["x-api-key"] == "****"
    assert first["request"]["body"]["password"] == "****"
    assert first["response"]["body"]["id"] == uid and first["durationMs"] > 0
    assert mock.token not in json.dumps(entries) and "s3cret!" not in json.dumps(entries)
    assert "access_token=****" in entries[1]["query"] and "filter=" in entries[1]["query"]
    # Filters and paging.
    assert [e["seq"] for e in mock.journal(method="get", status=200)] == [
        entries[1]["seq"],
        entries[2]["seq"],
    ]
    assert len(mock.journal(path="/Users/*")) == 1
    assert len(mock.journal(resourceId=uid)) == 2
    assert mock.journal(since="2999-01-01T00:00:00Z") == []
    assert len(mock.journal(until="2999-01-01T00:00:00Z")) == 4
    page = mock.call("GET", "/journal", startIndex=2, count=1)
    assert page["totalResults"] == 4 and [e["seq"] for e in page["Resources"]] == [
        entries[1]["seq"]
    ]
    with admin(mock) as a:
        lines = a.get("/journal.jsonl")
        assert lines.headers["content-type"].startswith("application/jsonl")
        assert [json.loads(x)["seq"] for x in lines.text.splitlines()] == [
            e["seq"] for e in entries
        ]
        har = a.get("/journal.har").json()["log"]
        assert har["version"] == "1.2" and len(har["entries"]) == 4
        assert har["entries"][0]["request"]["url"] == f"{mock.url}/Users"
        assert har["entries"][0]["response"]["status"] == 201
        assert is_scim_error(a.get("/journal", params={"since": "yesterday"}), 400)
        assert a.delete("/journal").status_code == 204
    assert mock.journal() == []


def test_the_journal_stream_sends_new_entries(mock: ScimMock) -> None:
    """The stream's opening comment is its handshake: sent once the
    subscription is in place, so a request after it is on the stream."""
    events: list[str] = []
    subscribed = threading.Event()

    def listen() -> None:
        with admin(mock) as a:
            with a.stream("GET", "/journal/stream", params={"seconds": 30}) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                for line in stream.iter_lines():
                    events.append(line)
                    subscribed.set()
                    if line.startswith("data: "):
                        return  # the one entry this test makes

    thread = threading.Thread(target=listen)
    thread.start()
    assert subscribed.wait(30), "the stream sent nothing"
    assert events[0] == ": scimdock journal"
    with scim(mock) as client:
        client.get("/Groups")
    thread.join(30)
    data = [json.loads(x[len("data: ") :]) for x in events if x.startswith("data: ")]
    assert [(d["method"], d["path"]) for d in data] == [("GET", "/Groups")]
    assert "event: entry" in events


def test_fault_status_with_retry_after_once_then_normal(mock: ScimMock) -> None:
    mock.fault(method="GET", path="/Users*", status=429, retryAfter=2, times=1)
    with scim(mock) as client:
        first = client.get("/Users")
        assert is_scim_error(first, 429) and first.headers["retry-after"] == "2"
        assert client.get("/Users").status_code == 200
        assert client.post("/Users", json={"schemas": [USER], "userName": "x"}).status_code == 201
    entries = mock.journal()
    assert entries[0]["fault"]["status"] == 429 and entries[0]["fault"]["rule"] == 0
    assert entries[1]["fault"] is None
    [rule] = mock.call("GET", "/faults")["Resources"]
    assert (rule["matched"], rule["fired"]) == (2, 1)


def test_fault_nth_latency_drop_and_malformed(mock: ScimMock) -> None:
    mock.call(
        "PUT",
        "/faults",
        {
            "rules": [
                {"path": "/Groups", "latencyMs": 300, "nth": 2},
                {"path": "/Schemas", "drop": "reset"},
                {"path": "/ResourceTypes", "drop": "empty"},
                {"path": "/Users", "malformed": "body"},
                {"path": "/ServiceProviderConfig", "malformed": "chunk"},
                {"path": "/Me", "status": 500, "probability": 0},
            ]
        },
    )
    with scim(mock) as client:
        # The first is not delayed (the journal below: no fault on it); a
        # time bound on it would only measure how busy the machine is.
        assert client.get("/Groups").status_code == 200
        slow = time.monotonic()
        assert client.get("/Groups").status_code == 200
        assert time.monotonic() - slow >= 0.3
        with pytest.raises(httpx.TransportError):
            client.get("/Schemas")
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/ResourceTypes")
        broken = client.get("/Users")
        assert broken.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken.content)
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/ServiceProviderConfig")
        assert client.get("/Me").status_code != 500
    faults = [(e["path"], e["fault"] and e["fault"]["rule"], e["status"]) for e in mock.journal()]
    assert faults[:7] == [
        ("/Groups", None, 200),
        ("/Groups", 0, 200),
        ("/Schemas", 1, None),
        ("/ResourceTypes", 2, None),
        ("/Users", 3, 200),
        ("/ServiceProviderConfig", 4, 200),
        ("/Me", None, faults[6][2]),
    ]


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "/Users"},  # no action
        {"status": 429, "drop": "reset"},  # two actions
        {"status": 200},
        {"latencyMs": 10, "retryAfter": 1},
        {"drop": "sideways"},
        {"status": 429, "colour": "red"},
    ],
)
def test_a_bad_fault_rule_is_a_scim_error(mock: ScimMock, rule: dict[str, Any]) -> None:
    with admin(mock) as a:
        assert is_scim_error(a.post("/faults", json=rule), 400)
        assert is_scim_error(a.put("/faults", json={"rules": [rule]}), 400)
    assert mock.call("GET", "/faults")["Resources"] == []


def test_faults_and_seed_given_at_start(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "users:\n  - userName: ann\n    active: true\n  - userName: bob\n"
        "groups:\n  - displayName: Team\n    members: [ann, bob]\n"
    )
    server = ScimMock(
        "--seed",
        str(seed),
        "--fault",
        '{"method": "DELETE", "path": "/Users/*", "status": 503, "retryAfter": 5}',
        env={"TMPDIR": str(tmp_path)},
    )
    try:
        with scim(server) as client:
            users = client.get("/Users").json()
            assert sorted(u["userName"] for u in users["Resources"]) == ["ann", "bob"]
            [team] = client.get("/Groups").json()["Resources"]
            assert len(team["members"]) == 2
            gone = client.delete(f"/Users/{users['Resources'][0]['id']}")
            assert is_scim_error(gone, 503) and gone.headers["retry-after"] == "5"
    finally:
        server.stop()


def test_bad_start_options_are_one_line(tmp_path: Path) -> None:
    for args in (["--fault", "{nope"], ["--fault", '{"path": "/Users"}']):
        done = subprocess.run(
            [sys.executable, "-m", "scimdock", "mock", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        assert done.returncode == 2 and done.stderr.startswith("scimdock: error:"), done.stderr
        assert len(done.stderr.splitlines()) == 1


def test_seed_and_reset_through_the_api(mock: ScimMock) -> None:
    made = mock.seed(
        users=[{"userName": "ann", "name": {"givenName": "Ann"}}, {"userName": "bob"}],
        groups=[
            {"displayName": "Team", "members": ["ann"]},
            {"displayName": "All", "members": ["Team", "bob"]},
        ],
    )
    assert set(made["users"]) == {"ann", "bob"} and set(made["groups"]) == {"Team", "All"}
    with admin(mock) as a:
        assert is_scim_error(a.post("/seed", json={"users": [{"userName": "ann"}]}), 409)
        bad = a.post("/seed", json={"users": [{"userName": "zed", "active": "maybe"}]})
        assert is_scim_error(bad, 400) and "users/0" in bad.json()["detail"]
        unknown = a.post("/seed", json={"groups": [{"displayName": "X", "members": ["nobody"]}]})
        assert is_scim_error(unknown, 400)
    with scim(mock) as client:
        assert client.get("/Users").json()["totalResults"] == 2
        assert mock.reset() == {"users": 2, "groups": 2}
        assert client.get("/Users").json()["totalResults"] == 0
        assert client.get("/Groups").json()["totalResults"] == 0
        # The key still works; the same names can be made again.
        assert client.post("/Users", json={"schemas": [USER], "userName": "ann"}).status_code == 201


def test_verify_the_client_sent_one_deactivation(mock: ScimMock) -> None:
    with scim(mock) as client:
        uid = client.post("/Users", json={"schemas": [USER], "userName": "ann"}).json()["id"]
        other = client.post("/Users", json={"schemas": [USER], "userName": "bob"}).json()["id"]
        # Entra ID's form: "Replace" and the string "False".
        sent = client.patch(
            f"/Users/{uid}",
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
            },
        )
        assert sent.status_code == 200, sent.text
        client.patch(
            f"/Users/{other}",
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "value": {"displayName": "B"}}],
            },
        )
    expected = {"op": "replace", "path": "active", "value": False}
    verdict = mock.verify(
        method="PATCH", path=f"/Users/{uid}", patch=[expected], count={"exactly": 1}
    )
    assert verdict["ok"] is True and verdict["matched"] == 1
    twice = mock.verify(method="PATCH", path="/Users/*", patch=[expected], count={"exactly": 2})
    assert twice["ok"] is False and twice["matched"] == 1
    [near, *_] = twice["nearest"]
    assert near["path"] == f"/Users/{other}" and any("no operation" in r for r in near["reasons"])
    # A pathless replace on an object means the same as one with a path.
    assert mock.verify(
        method="patch", patch=[{"op": "REPLACE", "path": "displayName", "value": "B"}]
    )["ok"]
    created = mock.verify(method="POST", resource={"USERNAME": "bob"}, count={"atMost": 1})
    assert created["ok"] and created["matched"] == 1
    with admin(mock) as a:
        assert is_scim_error(a.post("/journal/verify", json={"count": {"sometimes": 1}}), 400)


def test_serve_has_no_journal_faults_or_reset(server: Server) -> None:
    tenant = f"plain{os.getpid()}"
    server.tenant(tenant)
    operator = {"Authorization": f"Bearer {server.operator_token}"}
    base = f"{server.admin}/tenants/{tenant}"
    for method, path in (
        ("GET", "/journal"),
        ("GET", "/journal.har"),
        ("GET", "/faults"),
        ("POST", "/reset"),
    ):
        answer = httpx.request(method, base + path, headers=operator)
        assert is_scim_error(answer, 404), (path, answer.text)
