"""What real SCIM clients write: names in any letter case, attributes the
schema lacks, bodies without ``Content-Type``, endpoints in any case.

* Attribute names are case-insensitive (RFC 7643 §2.1) in every mode:
  ``"Primary"``, ``"Department"``, ``"Manager": {"Value": ...}`` as
  clients built on Microsoft's SCIM reference code send them
  (AzureAD/SCIMReferenceCode), stored and answered canonically.
* The default server leaves out attributes the schema does not define;
  ``--strict`` answers 400 ``invalidValue`` (core/leniency.py).
* A body without ``Content-Type`` is JSON to the default server, 415 to
  ``--strict`` (RFC 9110 §8.3).
* ``/users`` routes as ``/Users`` on the default server only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import Client, Server, check_response, start_server, stop_server

pytestmark = pytest.mark.backend_independent(
    "the folding of attribute names at the edge, before the store"
)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("strict-names"), "--strict", in_process=True)
    yield srv
    stop_server(srv)


@pytest.fixture
def strict(strict_server: Server) -> Client:
    return Client(strict_server, strict_server.tenant(f"n{uuid.uuid4().hex[:10]}"))


def _user(client: Client, name: str = "boss@example.com") -> str:
    r = client.post("/Users", json={"schemas": [CORE], "userName": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _patch(client: Client, uid: str, *ops: dict[str, Any]) -> httpx.Response:
    return client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": list(ops)})


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_names_in_any_case_are_stored_canonically(
    mode: str, client: Client, strict: Client
) -> None:
    c = client if mode == "default" else strict
    boss = _user(c)
    body = {
        "Schemas": [CORE, ENT],
        "UserName": "report@example.com",
        "Emails": [{"Value": "r@example.com", "Type": "work", "Primary": True}],
        "NAME": {"GivenName": "Ray"},
        ENT.upper(): {"Department": "Sales", "Manager": {"Value": boss}},
    }
    r = c.post("/Users", json=body)
    assert r.status_code == 201, r.text
    got = c.get(f"/Users/{r.json()['id']}").json()
    assert got["userName"] == "report@example.com"
    assert got["emails"] == [{"value": "r@example.com", "type": "work", "primary": True}]
    assert got["name"] == {"givenName": "Ray"}
    assert got[ENT]["department"] == "Sales"
    assert got[ENT]["manager"]["value"] == boss

    # PATCH: the message's names, the value's sub-attributes.
    r = _patch(
        c,
        r.json()["id"],
        {"Op": "Add", "Path": "emails", "Value": [{"VALUE": "h@example.com", "TYPE": "home"}]},
        {"OP": "replace", "PATH": f"{ENT}:manager", "VALUE": {"Value": boss}},
    )
    assert r.status_code == 200, r.text
    assert {"value": "h@example.com", "type": "home"} in r.json()["emails"]

    # Group: top-level and member names.
    g = c.post("/Groups", json={"DisplayName": "Team", "Members": [{"Value": boss}]})
    assert g.status_code == 201, g.text
    assert [m["value"] for m in g.json()["members"]] == [boss]

    # SearchRequest names.
    s = c.post("/Users/.search", json={"Filter": 'USERNAME eq "report@example.com"'})
    assert s.status_code == 200, s.text
    assert s.json()["totalResults"] == 1


def test_the_same_name_twice_in_two_cases_is_refused(client: Client) -> None:
    r = client.post("/Users", json={"userName": "a@example.com", "USERNAME": "b@example.com"})
    assert r.status_code == 400
    assert r.json()["scimType"] == "invalidValue"


UNKNOWN = [
    ("PUT", "/Users/{uid}", {"userName": "boss@example.com", "nickname2": "x"}),
    ("POST", "/Users", {"userName": "n@example.com", "name": {"givenname": "N", "nick": "x"}}),
    ("POST", "/Users", {"userName": "e@example.com", ENT: {"costcentre": "1"}}),
    ("POST", "/Groups", {"displayName": "G", "owner": "x"}),
    # Microsoft's reference code names the member's name displayName (RFC 7643 §4.2: display).
    ("POST", "/Groups", {"displayName": "M", "members": [{"value": "{uid}", "displayName": "B"}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN)
def test_an_attribute_the_schema_lacks(
    method: str, path: str, body: dict[str, Any], client: Client, strict: Client
) -> None:
    """Left out by the default server (what it stores has no trace of it);
    400 invalidValue from --strict, which changes nothing."""
    for c, accepted in ((client, True), (strict, False)):
        uid = _user(c)
        text = httpx.Request("GET", "/", json=body).content.decode().replace("{uid}", uid)
        r = c.request(
            method,
            path.replace("{uid}", uid),
            content=text,
            headers={"Content-Type": "application/scim+json"},
        )
        if accepted:
            assert r.status_code in (200, 201), r.text
            for word in ("nickname2", "nick", "costcentre", "owner", 'displayName": "B'):
                assert word not in r.text
        else:
            assert r.status_code == 400, r.text
            assert r.json()["scimType"] == "invalidValue", r.text


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "nickname2", "value": "x"},
        {"op": "add", "value": {"nickname2": "x"}},
    ],
)
def test_a_patch_path_the_schema_lacks(op: dict[str, Any], client: Client, strict: Client) -> None:
    """Refused by both servers, the whole request with it: a PATCH operation
    is never answered 2xx without being applied (docs/compatibility.md)."""
    real = {"op": "replace", "path": "title", "value": "Boss"}
    for c in (client, strict):
        uid = _user(c)
        r = _patch(c, uid, op, real)
        assert r.status_code == 400, r.text
        assert r.json()["scimType"] == "invalidPath"
        assert "title" not in c.get(f"/Users/{uid}").json()


def test_a_body_without_content_type(client: Client, strict: Client) -> None:
    body = b'{"userName": "plain@example.com"}'
    r = client.http.post("/Users", content=body)  # httpx sends no Content-Type for bytes
    assert "content-type" not in r.request.headers
    check_response(r)
    assert r.status_code == 201, r.text
    r = strict.http.post("/Users", content=body)
    check_response(r)
    assert r.status_code == 415
    assert "Content-Type" in r.json()["detail"]


def test_endpoints_in_any_case(server: Server, strict_server: Server) -> None:
    lenient = Client(server, server.tenant(f"p{uuid.uuid4().hex[:10]}"), validate=False)
    g = lenient.post("/groups", json={"displayName": "Lower"})
    assert g.status_code == 201, g.text
    gid = g.json()["id"]
    assert g.headers["Location"].endswith(f"/Groups/{gid}")
    assert lenient.get(f"/GROUPS/{gid}").json()["displayName"] == "Lower"
    assert lenient.post("/users/.SEARCH", json={}).status_code == 200
    assert lenient.get(f"/Groups/{gid.upper()}").status_code == 404  # ids keep their case
    strict = Client(strict_server, strict_server.tenant(f"p{uuid.uuid4().hex[:10]}"))
    r = strict.get("/users")
    assert r.status_code == 404
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
