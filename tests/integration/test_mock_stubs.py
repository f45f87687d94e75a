"""Stub responses (docs/mock.md, "Faults and stubs"): a rule answers with
a chosen status, scimType, detail, headers and body, and an injected SCIM
Error looks exactly like one the server makes."""

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
#: Headers that differ between any two answers.
PER_ANSWER = {"date", "x-request-id", "content-length"}


def alike(real: httpx.Response, stub: httpx.Response) -> None:
    """Same status, same headers (names and values but those of
    :data:`PER_ANSWER`), same body but its detail."""
    assert stub.status_code == real.status_code
    assert set(stub.headers) == set(real.headers)
    for name in set(real.headers) - PER_ANSWER:
        assert stub.headers[name] == real.headers[name], name
    assert {**stub.json(), "detail": ""} == {**real.json(), "detail": ""}


def test_injected_errors_look_like_real_ones(mock: ScimMock) -> None:
    with scim(mock) as client:
        ann = client.post("/Users", json={"schemas": [USER], "userName": "ann"}).json()
        real_409 = client.post("/Users", json={"schemas": [USER], "userName": "ann"})
        real_404 = client.get("/Users/no-such-user")
        real_412 = client.put(
            f"/Users/{ann['id']}",
            json={"schemas": [USER], "userName": "ann"},
            headers={"If-Match": 'W/"nope"'},
        )
        real_400 = client.get("/Users", params={"filter": "userName zz 1"})
        real_401 = httpx.get(f"{mock.url}/Users")
        mock.call(
            "PUT",
            "/faults",
            {
                "rules": [
                    {
                        "method": "POST",
                        "path": "/Users",
                        "match": {"resource": {"userName": "zed"}},
                        "status": 409,
                        "scimType": "uniqueness",
                        "detail": "userName zed is taken",
                    },
                    {"method": "GET", "path": f"/Users/{ann['id']}", "respond": {"status": 404}},
                    {
                        "method": "PUT",
                        "path": "/Users/*",
                        "match": {"headers": {"if-match": {"contains": "W/"}}},
                        "respond": {"status": 412, "detail": "changed"},
                    },
                    {
                        "method": "GET",
                        "path": "/Users",
                        "match": {"query": {"filter": {"contains": "emails"}}},
                        "respond": {"status": 400, "scimType": "invalidFilter"},
                    },
                    {"path": "/Groups", "respond": {"status": 401}},
                ]
            },
        )
        stub_409 = client.post("/Users", json={"schemas": [USER], "userName": "zed"})
        assert stub_409.json()["detail"] == "userName zed is taken"
        alike(real_409, stub_409)
        alike(real_404, client.get(f"/Users/{ann['id']}"))  # a user that exists
        stub_412 = client.put(
            f"/Users/{ann['id']}",
            json={"schemas": [USER], "userName": "ann"},
            headers={"If-Match": 'W/"1"'},
        )
        alike(real_412, stub_412)
        alike(real_400, client.get("/Users", params={"filter": 'emails eq "a@x"'}))
        alike(real_401, client.get("/Groups"))
        # None of it happened: zed was not made, ann is unchanged.
        assert client.get("/Users").json()["totalResults"] == 1


def test_a_stub_with_its_own_body_and_headers(mock: ScimMock) -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "Resources": [],
    }
    mock.fault(
        method="GET",
        path="/Users",
        respond={"status": 200, "headers": {"X-Stubbed": "yes"}, "body": body},
    )
    mock.fault(method="DELETE", path="/Users/*", respond={"status": 204})
    mock.fault(
        method="GET",
        path="/Groups",
        respond={"status": 200, "headers": {"content-type": "application/json"}},
    )
    with scim(mock) as client:
        client.post("/Users", json={"schemas": [USER], "userName": "ann"})
        listed = client.get("/Users")
        assert listed.json() == body and listed.headers["x-stubbed"] == "yes"
        assert listed.headers["content-type"] == "application/scim+json"
        gone = client.delete("/Users/anything")
        assert gone.status_code == 204 and gone.content == b""
        bare = client.get("/Groups")  # a success stub without a body has none
        assert bare.status_code == 200 and bare.content == b""
        assert bare.headers.get_list("content-type") == ["application/json"]
    entries = mock.find(method="GET")
    assert entries[0]["fault"]["respond"]["status"] == 200
    assert entries[0]["applied"] is False and entries[0]["response"]["body"] == body
