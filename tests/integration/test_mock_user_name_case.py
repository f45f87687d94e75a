"""The case-sensitive userName profile of ``scimdock mock`` over HTTP
(docs/mock.md, "Profiles"): RFC 7643 §4.1.1 makes userName caseExact false,
and some service providers compare it as given. Under the profile ``Alice``
and ``alice`` are two users, a filter finds only the one it names exactly,
/Schemas says so, and switching back cannot make two users one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from scimdock.mock.testing import ScimMock
from tests.integration.test_mock_conformance import ERROR, USER, admin, mock, scim, start

__all__ = ["mock"]  # the fixture, shared with the profile tests


def user_name_of(client: httpx.Client) -> dict[str, object]:
    """The userName attribute as /Schemas describes it."""
    schema = client.get(f"/Schemas/{USER}").json()
    return next(a for a in schema["attributes"] if a["name"] == "userName")


def names(client: httpx.Client, filter: str) -> list[str]:
    found = client.get("/Users", params={"filter": filter, "sortBy": "userName"})
    assert found.status_code == 200, found.text
    return [r["userName"] for r in found.json().get("Resources", [])]


def test_case_sensitive_user_names_at_run_time(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        assert client.post("/Users", json={"schemas": [USER], "userName": "Alice"}).is_success
        taken = client.post("/Users", json={"schemas": [USER], "userName": "alice"})
        assert taken.status_code == 409 and taken.json()["scimType"] == "uniqueness"
        assert user_name_of(client)["caseExact"] is False
        assert names(client, 'userName eq "ALICE"') == ["Alice"]

        switched = adm.put("/profile", json={"preset": "case-sensitive-username"})
        assert switched.status_code == 200, switched.text
        assert switched.json()["userNameCaseExact"] is True
        assert switched.json()["name"] == "case-sensitive-username"
        second = client.post("/Users", json={"schemas": [USER], "userName": "alice"})
        assert second.status_code == 201, second.text
        assert user_name_of(client)["caseExact"] is True
        assert names(client, 'userName eq "alice"') == ["alice"]
        assert names(client, 'userName eq "ALICE"') == []
        again = client.post("/Users", json={"schemas": [USER], "userName": "Alice"})
        assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
        # Still one name in any Unicode form (NFC), and never a control character.
        nfd = client.post("/Users", json={"schemas": [USER], "userName": "Rene\u0301"})
        assert nfd.status_code == 201 and nfd.json()["userName"] == "Ren\u00e9"
        nfc = client.post("/Users", json={"schemas": [USER], "userName": "Ren\u00e9"})
        assert nfc.status_code == 409
        bell = client.post("/Users", json={"schemas": [USER], "userName": "ding\u0007"})
        assert bell.status_code == 400 and bell.json()["scimType"] == "invalidValue"

        # Back to folding would make Alice and alice one user: refused, nothing changes.
        refused = adm.put("/profile", json={})
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["schemas"] == [ERROR] and body["scimType"] == "uniqueness"
        assert "'Alice' and 'alice'" in body["detail"]
        assert refused.headers["content-type"].startswith("application/scim+json")
        assert adm.get("/profile").json()["userNameCaseExact"] is True
        assert names(client, 'userName eq "alice"') == ["alice"]

        assert client.delete(f"/Users/{second.json()['id']}").status_code == 204
        back = adm.put("/profile", json={})
        assert back.status_code == 200 and back.json()["userNameCaseExact"] is False
        assert user_name_of(client)["caseExact"] is False
        assert names(client, 'userName eq "alice"') == ["Alice"]


def test_case_sensitive_user_names_from_the_start(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    users = [{"userName": "Ann"}, {"userName": "ann"}]
    groups = [{"displayName": "Lower", "members": ["ann"]}]
    seed.write_text(json.dumps({"users": users, "groups": groups}))
    server = start(tmp_path, "--profile", "case-sensitive-username", "--seed", str(seed))
    try:
        with scim(server) as client, admin(server) as adm:
            assert names(client, 'userName eq "ann"') == ["ann"]
            assert names(client, 'userName sw "A"') == ["Ann"]
            assert adm.get("/profile").json()["userNameCaseExact"] is True
            lower = client.get("/Users", params={"filter": 'userName eq "ann"'}).json()
            group = client.get("/Groups", params={"filter": 'displayName eq "Lower"'}).json()
            members = group["Resources"][0]["members"]
            assert [m["value"] for m in members] == [lower["Resources"][0]["id"]]
            # A snapshot loads back with each membership on the same user.
            snapshot = adm.get("/snapshot").json()
            assert adm.put("/snapshot", json=snapshot).status_code == 200
            group = client.get("/Groups", params={"filter": 'displayName eq "Lower"'}).json()
            member = group["Resources"][0]["members"][0]["value"]
            assert client.get(f"/Users/{member}").json()["userName"] == "ann"
    finally:
        server.stop()
