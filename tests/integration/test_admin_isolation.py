"""Tenant isolation, route by route, for every operation of openapi/admin.yaml
and openapi/scim.yaml.

The operations are read from the documents, so a route added later is
covered without editing this file: tenant A's SCIM key and tenant-admin
token get 401, 403 or 404 on every resource of tenant B, and B is left
untouched. A positive control shows each refusal comes from isolation,
not from a broken route: the same operation on A's own resources with A's
credentials succeeds (or is 403 where the document says operator only).
Each attempt ends by checking that B is exactly as it was made.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml

from conftest import ADMIN_SPEC, SPEC, Client, Server, start_server, stop_server

METHODS = ("get", "put", "post", "delete", "patch")
#: A valid body per SCIM request schema (scim.yaml gives no examples).
SCIM_BODIES: dict[str, dict[str, Any]] = {
    "UserInput": {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "intruder",
    },
    "GroupInput": {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "intruders",
    },
    "PatchOp": {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    },
    "SearchRequest": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]},
    "BulkRequest": {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": "intruder",
                "data": {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": "intruder",
                },
            }
        ],
    },
}
#: Each side's own extension schema (RFC 7643 §7), for the ``{urn}`` routes.
SIDE_SCHEMA = "urn:example:isolation:2.0:User"


@dataclass(frozen=True)
class Operation:
    document: str
    method: str
    path: str
    spec: dict[str, Any]
    parameters: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return str(self.spec["operationId"])

    @property
    def roles(self) -> list[str]:
        return list(self.spec.get("x-scimdock-roles", []))


def operations(document: Any) -> list[Operation]:
    with open(document, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    found = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                params = [*item.get("parameters", []), *item[method].get("parameters", [])]
                found.append(
                    Operation(
                        document.name, method, path, item[method], [_deref(doc, p) for p in params]
                    )
                )
    return found


def _deref(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return node
    target: Any = doc
    for part in node["$ref"].lstrip("#/").split("/"):
        target = target[part]
    return dict(target)


ADMIN_OPS = operations(ADMIN_SPEC)
SCIM_OPS = [op for op in operations(SPEC) if op.spec.get("security") != []]


@dataclass
class Side:
    """One tenant with something of every kind for the other to reach for."""

    name: str
    scim_token: str
    key_id: str
    admin_token: str
    admin_token_id: str
    user_id: str
    user_name: str
    group_id: str
    tombstone_id: str
    schema_urn: str = SIDE_SCHEMA


def make_side(server: Server, name: str) -> Side:
    op = Client(server, server.operator_token, admin=True)
    assert op.post("/tenants", json={"name": name, "scimEnabled": True}).status_code == 201
    key = op.post(f"/tenants/{name}/keys", json={"label": "isolation"}).json()
    admin = op.post("/admin-tokens", json={"tenant": name, "label": "isolation"}).json()
    scim = Client(server, key["token"])
    user = scim.post("/Users", json={"userName": f"alive@{name}"}).json()
    group = scim.post(
        "/Groups", json={"displayName": "staff", "members": [{"value": user["id"]}]}
    ).json()
    dead = scim.post("/Users", json={"userName": f"dead@{name}"}).json()
    assert scim.delete(f"/Users/{dead['id']}").status_code == 204
    extension = {
        "schema": {
            "id": SIDE_SCHEMA,
            "name": "Isolation",
            "attributes": [{"name": "badge", "type": "string"}],
        }
    }
    assert op.post(f"/tenants/{name}/schemas", json=extension).status_code == 201
    return Side(
        name,
        key["token"],
        key["id"],
        admin["token"],
        admin["id"],
        user["id"],
        user["userName"],
        group["id"],
        dead["id"],
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the mock's journal and fault rules on, so that their
    routes (only there while they are) are isolated like every other."""
    srv = start_server(
        tmp_path_factory.mktemp("isolation"),
        env={"SCIMDOCK_JOURNAL": "100", "SCIMDOCK_FAULTS": "on"},
    )
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def sides(server: Server) -> Iterator[tuple[Side, Side]]:
    suffix = uuid.uuid4().hex[:8]
    yield make_side(server, f"iso-a-{suffix}"), make_side(server, f"iso-b-{suffix}")


def path_for(op: Operation, side: Side, *, key_id: str | None = None) -> str:
    """The operation's path aimed at ``side``'s resources."""
    values = {
        "tenant": side.name,
        "keyId": key_id or side.key_id,
        "tokenId": side.admin_token_id,
        "urn": side.schema_urn,
        "scenario": "isolation",
    }
    if "/tombstones/" in op.path:
        values["id"] = side.tombstone_id
    elif op.path.startswith("/Groups/"):
        values["id"] = side.group_id
    else:
        values["id"] = side.user_id
    path = op.path
    for param in op.parameters:
        if param["in"] == "path":
            assert param["name"] in values, (
                f"{op.id}: no test value for path parameter {param['name']}"
            )
            path = path.replace("{" + param["name"] + "}", values[param["name"]])
    return path


def query_for(op: Operation) -> dict[str, str]:
    """Required query parameters from the document's examples; a live
    stream (``seconds``) closed after a moment."""
    query = {}
    for param in op.parameters:
        if param["in"] == "query" and param["name"] == "seconds":
            query["seconds"] = "0.2"
        if param["in"] == "query" and param.get("required"):
            assert "example" in param, (
                f"{op.id}: give required parameter {param['name']} an example"
            )
            query[param["name"]] = str(param["example"])
    return query


def body_for(op: Operation) -> dict[str, Any] | None:
    request = op.spec.get("requestBody")
    if request is None:
        return None
    content = request["content"]
    if op.document == "admin.yaml":
        example = content["application/json"].get("example")
        assert example is not None or not request.get("required"), (
            f"{op.id}: give the request body an example"
        )
        return example
    schema = content["application/scim+json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema in SCIM_BODIES, f"{op.id}: add a valid {schema} to SCIM_BODIES"
    return SCIM_BODIES[schema]


def call(client: Client, op: Operation, path: str, **kw: Any) -> httpx.Response:
    body = body_for(op)
    if body is not None:
        kw["json"] = body
    return client.request(op.method.upper(), path, params=query_for(op), **kw)


def test_every_admin_operation_is_listed_with_its_roles() -> None:
    assert len(ADMIN_OPS) >= 20
    for op in ADMIN_OPS:
        assert op.roles in (["operator"], ["operator", "tenantAdmin"]), op.id
        if op.roles == ["operator", "tenantAdmin"]:
            assert any(p["name"] == "tenant" and p["in"] == "path" for p in op.parameters), (
                f"{op.id}: a tenant-admin operation must name its tenant in the path"
            )


@pytest.mark.parametrize("op", ADMIN_OPS, ids=lambda op: op.id)
def test_admin_operation_refuses_everyone_but_b_on_b(
    server: Server, sides: tuple[Side, Side], op: Operation
) -> None:
    a, b = sides
    path = path_for(op, b)
    anonymous = Client(server, None, admin=True)
    assert call(anonymous, op, path).status_code == 401
    scim_key = call(Client(server, a.scim_token, admin=True), op, path)
    assert scim_key.status_code == 401, scim_key.text
    assert "SCIM keys are not accepted" in scim_key.json()["detail"]
    # B's own SCIM key is refused just the same: a SCIM key is never an admin credential.
    assert call(Client(server, b.scim_token, admin=True), op, path).status_code == 401
    refused = call(Client(server, a.admin_token, admin=True), op, path)
    expected = 403 if op.roles == ["operator"] else 404
    assert refused.status_code == expected, (op.id, refused.text)
    if expected == 404:  # the same answer as for a tenant that does not exist
        nowhere = path.replace(b.name, "no-such-tenant", 1)
        assert call(Client(server, a.admin_token, admin=True), op, nowhere).status_code == 404
    assert_untouched(server, a, b)


#: Offered only by ``scimdock mock --proxy URL`` (docs/mock.md), for its own tenant.
PROXY_ONLY = frozenset({"getProxyRecording", "saveProxyRecording"})


@pytest.mark.parametrize("op", ADMIN_OPS, ids=lambda op: op.id)
def test_admin_operation_positive_control_on_own_tenant(
    server: Server, sides: tuple[Side, Side], op: Operation
) -> None:
    """A's tenant-admin token on A: the roles of the document, exactly."""
    a, _b = sides
    own = Client(server, a.admin_token, admin=True)
    # A fresh key per operation: revoke or rotate must not spoil the next one.
    fresh = own.post(f"/tenants/{a.name}/keys", json={"label": op.id}).json()["id"]
    # A SCIM request of A's: the journal has a line, even after a clearJournal
    # (on /Groups: the fault rules the examples add are on /Users).
    assert Client(server, a.scim_token).get("/Groups").status_code == 200
    response = call(own, op, path_for(op, a, key_id=fresh))
    if op.roles == ["operator"]:
        assert response.status_code == 403, (op.id, response.text)
    elif op.id in PROXY_ONLY:  # their 200: tests/integration/test_mock_proxy.py
        assert response.status_code == 404, (op.id, response.text)
        assert "is not proxied" in response.json()["detail"]
    else:
        assert 200 <= response.status_code < 300, (op.id, response.text)


@pytest.mark.parametrize("op", SCIM_OPS, ids=lambda op: op.id)
def test_scim_operation_refuses_admin_tokens_and_other_tenants(
    server: Server, sides: tuple[Side, Side], op: Operation
) -> None:
    a, b = sides
    path = path_for(op, b)
    for token in (a.admin_token, b.admin_token, server.operator_token):
        r = call(Client(server, token), op, path)
        assert r.status_code == 401, (op.id, r.text)
    # A's key with the Host naming tenant B.
    host = {"Host": f"{b.name}.localhost:{server.port}"}
    assert call(Client(server, a.scim_token), op, path, headers=host).status_code == 401
    if "{id}" in op.path:
        r = call(Client(server, a.scim_token), op, path)
        assert r.status_code == 404, (op.id, r.text)
    assert_untouched(server, a, b)


def assert_untouched(server: Server, a: Side, b: Side) -> None:
    """B as :func:`make_side` left it, and no trace of A in its audit log."""
    scim = Client(server, b.scim_token)
    user = scim.get(f"/Users/{b.user_id}")
    assert user.status_code == 200 and user.json()["userName"] == b.user_name
    assert user.json().get("active", True) is True
    group = scim.get(f"/Groups/{b.group_id}").json()
    assert group["displayName"] == "staff" and [m["value"] for m in group["members"]] == [b.user_id]
    assert (
        scim.get("/Users", params={"filter": 'userName eq "intruder"'}).json()["totalResults"] == 0
    )
    assert (
        scim.get("/Groups", params={"filter": 'displayName eq "intruders"'}).json()["totalResults"]
        == 0
    )
    own = Client(server, b.admin_token, admin=True)
    keys = own.get(f"/tenants/{b.name}/keys").json()["Resources"]
    assert [(k["id"], k["status"], k["label"]) for k in keys] == [(b.key_id, "active", "isolation")]
    op = Client(server, server.operator_token, admin=True)
    assert op.get(f"/tenants/{b.name}").json()["scimEnabled"] is True
    assert [t["id"] for t in op.get(f"/tenants/{b.name}/tombstones").json()["Resources"]] == [
        b.tombstone_id
    ]
    token = op.get(f"/admin-tokens/{b.admin_token_id}").json()
    assert token["status"] == "active"
    # Nothing in B's audit log was done by A's credentials.
    a_ids = {a.key_id, a.admin_token_id}
    entries = own.get(f"/tenants/{b.name}/audit", params={"count": 1000}).json()["Resources"]
    assert entries and not [e for e in entries if e["actor"]["id"] in a_ids]
