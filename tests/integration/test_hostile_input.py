"""Hostile input: every operation of openapi/scim.yaml and openapi/admin.yaml,
called with valid credentials (a SCIM key, the operator token), answers
what no client should send with a 4xx SCIM Error (RFC 7644 §3.12), never
a 5xx nor a body of another shape. Bodies too large, too deep or too big
in one value are refused at the limits of docs/security.md ("Limits").

The cheap cases go to every operation; the large payloads to one
operation of each kind of body (SCIM resource, search, PATCH, admin)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml

from conftest import ADMIN_SPEC, SPEC, Server
from scimdock.core.schema import GROUP_SCHEMA, USER_SCHEMA, Attribute

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    url: str
    auth: str
    has_body: bool

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


@dataclass
class World:
    server: Server
    operations: list[Operation]
    scim: str
    tenant: str
    user: str
    group: str


def _operations(server: Server, values: dict[str, str], scim: str) -> list[Operation]:
    found = []
    for spec, base, auth in (
        (SPEC, server.base, scim),
        (ADMIN_SPEC, server.admin, server.operator_token),
    ):
        for template, item in yaml.safe_load(spec.read_text())["paths"].items():
            path = re.sub(r"\{(\w+)\}", lambda m, t=template: values[_slot(t, m[1])], template)
            for method in METHODS:
                if method in item and method != "delete":  # nothing is deleted here
                    has_body = "requestBody" in item[method]
                    found.append(Operation(method.upper(), base + path, auth, has_body))
    return found


def _slot(template: str, name: str) -> str:
    if name == "id":
        for prefix in ("/Users", "/Groups", "/ResourceTypes", "/Schemas", "/tenants/{tenant}/t"):
            if template.startswith(prefix):
                return prefix
        return "/Users"
    return name


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    name = f"hostile-{uuid.uuid4().hex[:8]}"
    scim = server.tenant(name)
    auth = {"Authorization": f"Bearer {scim}"}
    admin = {"Authorization": f"Bearer {server.operator_token}"}
    user = httpx.post(
        f"{server.base}/Users", headers=auth, json={"schemas": [USER], "userName": "u@x"}
    ).json()["id"]
    group = httpx.post(
        f"{server.base}/Groups", headers=auth, json={"schemas": [GROUP], "displayName": "g"}
    ).json()["id"]
    key = httpx.post(f"{server.admin}/tenants/{name}/keys", headers=admin, json={}).json()["id"]
    token = httpx.post(f"{server.admin}/admin-tokens", headers=admin, json={"name": name}).json()
    values = {
        "tenant": name,
        "keyId": key,
        "tokenId": str(token.get("id", "none")),
        "urn": "urn:example:hostile:2.0:User",
        "scenario": "hostile",
        "/Users": user,
        "/Groups": group,
        "/ResourceTypes": "User",
        "/Schemas": USER,
        "/tenants/{tenant}/t": user,
    }
    yield World(server, _operations(server, values, scim), scim, name, user, group)


def _is_scim_4xx(r: httpx.Response, status: int | None = None) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert status is None or r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/scim+json"), r.headers
    body = r.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(r.status_code), body


def _not_5xx(op: Operation, r: httpx.Response) -> None:
    """A success, or a 4xx SCIM Error; or /Me's 501, its only answer (RFC
    7644 §3.11: a key is no User)."""
    if op.url.endswith("/Me") and r.status_code == 501:
        assert r.json()["schemas"] == [ERROR]
    elif r.status_code >= 300:
        _is_scim_4xx(r)


#: One connection pool for the module: thousands of requests.
_CLIENT = httpx.Client(timeout=60)


def _send(op: Operation, content: bytes, params: Any = None) -> httpx.Response:
    media = "application/json" if "/admin/v1/" in op.url else "application/scim+json"
    return _CLIENT.request(
        op.method,
        op.url,
        content=content,
        params=params,
        headers={"Authorization": f"Bearer {op.auth}", "Content-Type": media},
    )


def _in_object(value: str) -> bytes:
    return ('{"schemas":["%s"],"x":%s}' % (USER, value)).encode()


#: Bodies no operation accepts: each is refused with a 4xx SCIM Error.
CHEAP_REFUSED = {
    "depth 1,000 (arrays)": ("[" * 1000 + "]" * 1000).encode(),
    "depth 1,000 (objects)": _in_object('{"a":' * 1000 + "1" + "}" * 1000),
    "depth 1,000 inside a body": _in_object("[" * 1000 + "]" * 1000),
    "integer of 4,301 digits": _in_object("9" * 4301),
    "integer of 4,301 digits as the body": b"9" * 4301,
    "lone surrogate escape": _in_object('"\\ud800"'),
    "invalid UTF-8": b'{"schemas":["' + USER.encode() + b'"],"x":"\xff\xfe\xc3"}',
    "not JSON at all": b"\x00\x01{",
}
#: Bodies that may be accepted (JSON allows them) but never with a 5xx.
CHEAP_TOLERATED = {
    "NUL character": _in_object('"a\\u0000b"'),
    "duplicate keys": b'{"schemas":["%s"],"x":1,"x":2}' % USER.encode(),
}


@pytest.mark.parametrize("case", sorted(CHEAP_REFUSED))
def test_every_operation_with_a_body_refuses_it_with_a_scim_error(world: World, case: str) -> None:
    for op in world.operations:
        if op.has_body:
            _is_scim_4xx(_send(op, CHEAP_REFUSED[case]))


@pytest.mark.parametrize("case", sorted(CHEAP_TOLERATED))
def test_every_operation_survives_what_json_allows(world: World, case: str) -> None:
    for op in world.operations:
        if op.has_body and "revoke" not in op.url and "rotate" not in op.url:
            _not_5xx(op, _send(op, CHEAP_TOLERATED[case]))


HOSTILE_QUERIES: dict[str, Any] = {
    "huge": {"filter": "a" * 60_000},
    "NUL": "filter=userName%20eq%20%22%00%22&count=%00",
    "invalid percent-encoding": "filter=%zz%E0%A4%A&attributes=%",
    "invalid UTF-8 in percent-encoding": "filter=userName%20eq%20%22%FF%FE%22",
    "repeated parameters": "count=1&count=2&startIndex=1&startIndex=x&filter=a&filter=b",
    "unicode": {"filter": 'userName eq "\u00e9\U0001f600\u202e"', "attributes": "\u0130d"},
    "huge integers": {"count": "9" * 4301, "startIndex": "-" + "9" * 5000},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_QUERIES))
def test_every_operation_survives_a_hostile_query_string(world: World, case: str) -> None:
    for op in world.operations:
        body = b"{}" if op.has_body else b""
        _not_5xx(op, _send(op, body, HOSTILE_QUERIES[case]))


def _representatives(world: World) -> list[Operation]:
    """One operation of each kind of body: a resource, a search, a PATCH, an admin body."""
    wanted = {
        ("POST", f"{world.server.base}/Users"),
        ("POST", f"{world.server.base}/.search"),
        ("PATCH", f"{world.server.base}/Groups/{world.group}"),
        ("POST", f"{world.server.admin}/tenants/{world.tenant}/keys"),
    }
    chosen = [op for op in world.operations if (op.method, op.url) in wanted]
    assert len(chosen) == len(wanted), chosen
    return chosen


BIG_REFUSED: dict[str, tuple[bytes, int]] = {
    "depth 100,000": (_in_object("[" * 100_000 + "]" * 100_000), 400),
    "integer of 100,000 digits": (_in_object("9" * 100_000), 400),
    "string of 10 MB": (_in_object('"' + "a" * 10_000_000 + '"'), 413),
    "array of 100,000 elements": (_in_object("[" + ",".join(["1"] * 100_000) + "]"), 400),
}


@pytest.mark.parametrize("case", sorted(BIG_REFUSED))
def test_large_payloads_are_refused_with_a_scim_error(world: World, case: str) -> None:
    content, status = BIG_REFUSED[case]
    for op in _representatives(world):
        _is_scim_4xx(_send(op, content), status)


def _wrong(attr: Attribute) -> Any:
    """A JSON value of the wrong type for ``attr`` (RFC 7643 §2.3)."""
    if attr.multi_valued:
        return [_wrong(Attribute(attr.name, attr.type, sub_attributes=attr.sub_attributes))]
    if attr.type == "complex":
        return 42
    if attr.type in ("integer", "decimal"):
        return {"n": 1}
    return {"wrong": [1]}  # string, boolean, reference, binary, dateTime


def _writable(schema_attrs: tuple[Attribute, ...]) -> list[Attribute]:
    return [a for a in schema_attrs if a.mutability != "readOnly"]


@pytest.mark.parametrize(
    ("path", "base", "attr"),
    [("/Users", {"schemas": [USER], "userName": "wrong@x"}, a) for a in USER_SCHEMA.attributes]
    + [
        ("/Groups", {"schemas": [GROUP], "displayName": "wrong"}, a)
        for a in GROUP_SCHEMA.attributes
    ],
    ids=lambda v: v.name if isinstance(v, Attribute) else None,
)
def test_a_wrong_json_type_in_any_attribute_is_a_400(
    world: World, path: str, base: dict[str, Any], attr: Attribute
) -> None:
    body = {**base, attr.name: _wrong(attr)}
    r = httpx.post(
        world.server.base + path, headers={"Authorization": f"Bearer {world.scim}"}, json=body
    )
    if attr.mutability == "readOnly" and r.status_code == 201:
        assert attr.name not in r.json() or r.json()[attr.name] != body[attr.name]
        return
    _is_scim_4xx(r, 400)
