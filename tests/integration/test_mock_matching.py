"""The one request matcher (docs/mock.md, "Match, find and verify") as
rules, journal queries and verify use it, against a running mock: the
method, the path as routed, query parameters, headers, the body by SCIM
meaning and by JSON pointer, and Bulk operations."""

from __future__ import annotations

import httpx
import pytest
from test_mock import mock, scim

from scimdock.mock.testing import ScimMock

__all__ = ["mock"]  # the fixture, shared with test_mock.py
pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def bulk(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [BULK], "Operations": list(operations)}


def test_rules_match_on_query_headers_body_and_bulk(mock: ScimMock) -> None:
    mock.call(
        "PUT",
        "/faults",
        {
            "rules": [
                {
                    "method": "GET",
                    "path": "/Users",
                    "match": {"query": {"filter": {"contains": '"bob"'}}},
                    "status": 503,
                },
                {
                    "method": "POST",
                    "match": {"path": "/users", "headers": {"User-Agent": {"contains": "Okta"}}},
                    "status": 429,
                },
                {
                    "method": "POST",
                    "path": "/Users",
                    "match": {"jsonPointer": [{"pointer": "/name/givenName", "equalTo": "Zed"}]},
                    "status": 400,
                    "scimType": "invalidValue",
                },
                {
                    "method": "PATCH",
                    "path": "/Users/*",
                    "match": {"patch": [{"op": "replace", "path": "active", "value": False}]},
                    "status": 500,
                },
                {
                    "path": "/Bulk",
                    "match": {"bulk": [{"method": "DELETE", "path": "/Groups/*"}]},
                    "status": 503,
                },
            ]
        },
    )
    with scim(mock) as client:
        bob = 'userName eq "bob"'
        assert client.get("/Users", params={"filter": bob}).status_code == 503
        assert client.get("/users", params={"filter": bob}).status_code == 503  # as routed
        assert client.get("/Users", params={"filter": 'userName eq "ann"'}).status_code == 200
        ann = {"schemas": [USER], "userName": "ann"}
        okta = client.post("/Users", json=ann, headers={"User-Agent": "Okta SCIM Client 1.0"})
        assert okta.status_code == 429
        zed = {"schemas": [USER], "userName": "zed", "name": {"givenName": "Zed"}}
        refused = client.post("/Users", json=zed)
        assert refused.status_code == 400 and refused.json()["scimType"] == "invalidValue"
        uid = client.post("/Users", json=ann).json()["id"]
        # Entra ID's form of a deactivation means the same as the rule's.
        off = {"schemas": [PATCH], "Operations": [{"op": "Replace", "value": {"active": "False"}}]}
        assert client.patch(f"/Users/{uid}", json=off).status_code == 500
        rename = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "displayName", "value": "A"}],
        }
        assert client.patch(f"/Users/{uid}", json=rename).status_code == 200
        delete = bulk({"method": "DELETE", "path": "/Groups/nope"})
        assert client.post("/Bulk", json=delete).status_code == 503
        create = bulk(
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "G"}}
        )
        assert client.post("/Bulk", json=create).status_code == 200
    # The journal is queried with the same matcher.
    found = mock.find(method="get", path="/USERS", query={"filter": {"contains": "bob"}})
    assert [e["status"] for e in found] == [503, 503]
    assert [e["request"]["body"]["userName"] for e in mock.find(method="POST", status=201)] == [
        "ann"
    ]
    [bulk_entry] = mock.find(bulk=[{"method": "POST", "resource": {"displayName": "G"}}])
    assert bulk_entry["status"] == 200
    rules = mock.call("GET", "/faults")["Resources"]
    assert [r["fired"] for r in rules] == [2, 1, 1, 1, 1]


def test_a_bad_matcher_is_a_scim_error(mock: ScimMock) -> None:
    with httpx.Client(
        base_url=f"{mock.admin_url}/tenants/{mock.tenant}",
        headers={"Authorization": f"Bearer {mock.admin_token}"},
    ) as admin:
        for path, body in (
            ("/faults", {"status": 500, "match": {"query": {"filter": {"matches": "(("}}}}),
            ("/faults", {"status": 500, "match": {"status": 200}}),
            ("/journal/find", {"headers": {"x": {"matches": "[z-a]"}}}),
            ("/journal/verify", {"inOrder": [{"query": {"q": {"matches": "*"}}}]}),
            ("/journal/verify", {"noUnexpected": "yes"}),
        ):
            answer = admin.post(path, json=body)
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
