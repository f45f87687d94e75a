"""``POST /Bulk`` (RFC 7644 §3.7) on the real server and store.

The first tests replay the RFC's own examples in the form Bulk clients
send them: §3.7.2's user and group joined by ``bulkId:qwerty`` (the group
first, so the reference points forward), and §3.7.1's two groups that
name each other (answered 409, as §3.7.1 allows). Every answer is
validated against openapi/scim.yaml by the test client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Client, Server, start_server, stop_server

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _bulk(client: Client, *ops: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    r = client.post("/Bulk", json={"schemas": [BULK], "Operations": list(ops), **extra})
    assert r.status_code == 200, r.text
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]
    return list(r.json()["Operations"])


def _id(location: str) -> str:
    return location.rsplit("/", 1)[1]


def test_rfc_7644_3_7_2_a_group_names_a_user_created_after_it(client: Client) -> None:
    results = _bulk(
        client,
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "ytrewq",
            "data": {
                "schemas": [GROUP],
                "displayName": "Tour Guides",
                "members": [{"type": "User", "value": "bulkId:qwerty"}],
            },
        },
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": "qwerty",
            "data": {"schemas": [USER], "userName": "Alice"},
        },
    )
    assert [(r["method"], r["bulkId"], r["status"]) for r in results] == [
        ("POST", "ytrewq", "201"),
        ("POST", "qwerty", "201"),
    ]
    alice = _id(results[1]["location"])
    group = client.get(f"/Groups/{_id(results[0]['location'])}").json()
    assert [m["value"] for m in group["members"]] == [alice]
    assert results[0]["location"].endswith(f"/Groups/{group['id']}")
    assert results[0]["version"] == client.get(f"/Groups/{group['id']}").headers["ETag"]


def test_rfc_7644_3_7_3_each_method_and_its_own_status(client: Client) -> None:
    """§3.7.3's request: POST, PUT, PATCH and DELETE in one BulkRequest;
    a ``version`` is the operation's ``If-Match``."""
    made = client.post("/Users", json={"userName": "Barbara"}).json()
    gone = client.post("/Users", json={"userName": "Tom"}).json()
    team = client.post("/Groups", json={"displayName": "Team"}).json()
    results = _bulk(
        client,
        {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": {"userName": "Alice"}},
        {
            "method": "PUT",
            "path": f"/Users/{made['id']}",
            "version": made["meta"]["version"],
            "data": {"schemas": [USER], "userName": "Barbara", "title": "Guide"},
        },
        {
            "method": "PATCH",
            "path": f"/Groups/{team['id']}",
            "data": {
                "schemas": [PATCHOP],
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": "bulkId:qwerty"}]}
                ],
            },
        },
        {"method": "DELETE", "path": f"/Users/{gone['id']}", "version": gone["meta"]["version"]},
    )
    assert [r["status"] for r in results] == ["201", "200", "200", "204"]
    assert client.get(f"/Users/{made['id']}").json()["title"] == "Guide"
    members = client.get(f"/Groups/{team['id']}").json()["members"]
    assert [m["value"] for m in members] == [_id(results[0]["location"])]
    assert client.get(f"/Users/{gone['id']}").status_code == 404


def test_rfc_7644_3_7_1_circular_references_are_409(client: Client) -> None:
    results = _bulk(
        client,
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "qwerty",
            "data": {
                "displayName": "Group A",
                "members": [{"type": "Group", "value": "bulkId:ytrewq"}],
            },
        },
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "ytrewq",
            "data": {
                "displayName": "Group B",
                "members": [{"type": "Group", "value": "bulkId:qwerty"}],
            },
        },
        {"method": "POST", "path": "/Users", "bulkId": "free", "data": {"userName": "free"}},
    )
    assert [r["status"] for r in results] == ["409", "409", "201"]
    assert results[0]["response"]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    found = client.get("/Groups", params={"filter": 'displayName sw "Group "'}).json()
    assert found["totalResults"] == 0  # neither was created


def test_errors_are_per_operation_and_fail_on_errors_stops(client: Client) -> None:
    ops = [
        {"method": "POST", "path": "/Users", "bulkId": "1", "data": {"userName": "dup"}},
        {"method": "POST", "path": "/Users", "bulkId": "2", "data": {"userName": "dup"}},
        {"method": "PUT", "path": "/Users/nope", "data": {"userName": "x"}},
        {"method": "POST", "path": "/Users", "bulkId": "3", "data": {"userName": "later"}},
    ]
    results = _bulk(client, *ops, failOnErrors=2)
    assert [r["status"] for r in results] == ["201", "409", "404"]  # the 4th never ran
    assert results[1]["response"]["scimType"] == "uniqueness"
    assert (
        client.get("/Users", params={"filter": 'userName eq "later"'}).json()["totalResults"] == 0
    )


def test_references_that_cannot_be_resolved(client: Client) -> None:
    results = _bulk(
        client,
        {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"userName": 5}},
        {
            "method": "PATCH",
            "path": "/Users/bulkId:bad",
            "data": {"Operations": [{"op": "replace", "path": "title", "value": "x"}]},
        },
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g",
            "data": {"displayName": "G", "members": [{"value": "bulkId:nobody"}]},
        },
        {"method": "POST", "path": "/Users", "data": {"userName": "no-bulk-id"}},
        {"method": "POST", "path": "/Widgets", "bulkId": "w", "data": {}},
    )
    assert [r["status"] for r in results] == ["400", "409", "400", "400", "400"]
    assert results[0]["response"]["scimType"] == "invalidValue"  # the single request's answer


def test_names_in_any_case_and_unknown_attributes_as_in_single_requests(
    client: Client, strict_server: Server
) -> None:
    op = {
        "Method": "post",
        "Path": "/users",
        "BulkId": "n",
        "Data": {"UserName": "case", "nickname2": "x", ENT: {"Department": "D"}},
    }
    r = client.post("/Bulk", json={"operations": [op]})
    assert r.status_code == 200, r.text
    (result,) = r.json()["Operations"]
    assert result["status"] == "201", result
    user = client.get(f"/Users/{_id(result['location'])}").json()
    assert user["userName"] == "case" and user[ENT] == {"department": "D"}

    strict = Client(strict_server, strict_server.tenant(f"b{uuid.uuid4().hex[:10]}"))
    r = strict.post("/Bulk", json={"Operations": [{**op, "Path": "/Users"}]})
    assert r.status_code == 400  # the whole body: strict mode refuses the unknown name
    assert r.json()["scimType"] == "invalidValue"


def test_max_operations_is_413(client: Client) -> None:
    spc = client.get("/ServiceProviderConfig").json()["bulk"]
    assert spc["supported"] is True
    ops = [{"method": "DELETE", "path": f"/Users/{i}"} for i in range(spc["maxOperations"] + 1)]
    r = client.post("/Bulk", json={"Operations": ops})
    assert r.status_code == 413
    assert str(spc["maxOperations"]) in r.json()["detail"]


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("strict-bulk"), "--strict", in_process=True)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("small-bulk"), env={"SCIMDOCK_MAX_BODY": "4096"}, in_process=True
    )
    yield srv
    stop_server(srv)


def test_max_payload_size_is_413(small: Server) -> None:
    client = Client(small, small.tenant("payload"))
    limit = client.get("/ServiceProviderConfig").json()["bulk"]["maxPayloadSize"]
    assert limit == 4096
    ops = [
        {"method": "POST", "path": "/Users", "bulkId": str(i), "data": {"userName": f"u{i:04d}"}}
        for i in range(60)
    ]
    r = client.post("/Bulk", json={"Operations": ops})
    assert r.status_code == 413
    assert client.get("/Users").json()["totalResults"] == 0
