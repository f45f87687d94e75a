"""Nothing a client keeps secret or personal reaches the server's logs.

A server at the default log level (info, what users run) serves a
representative run: keys and admin tokens issued and rotated, users created
and searched by email, admin calls, wrong secrets, a token in the query
string. Every line it wrote to stdout and stderr is then searched for each
issued secret and token, each filter value and each query value.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server, start_server, stop_server

pytestmark = pytest.mark.backend_independent("what the access and server logs say")

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def info_server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path, "--log-level", "info")
    yield srv
    stop_server(srv)


def _secret_of(token: str) -> str:
    return base64.b64decode(token).decode().split(":", 1)[1]


def test_no_secret_token_or_filter_value_is_logged(info_server: Server, tmp_path: Path) -> None:
    srv = info_server
    operator = {"Authorization": f"Bearer {srv.operator_token}"}
    keep: list[str] = [srv.operator_token]  # what must never appear
    with httpx.Client(base_url=srv.origin, timeout=30) as http:
        assert (
            http.post(
                "/admin/v1/tenants", json={"name": "acme", "scimEnabled": True}, headers=operator
            ).status_code
            == 201
        )
        made = http.post(
            "/admin/v1/tenants/acme/keys", json={"label": "entra"}, headers=operator
        ).json()
        keep += [made["token"], made["secret"]]
        rotated = http.post(
            f"/admin/v1/tenants/acme/keys/{made['id']}/rotate", json={}, headers=operator
        ).json()
        keep += [rotated["token"], rotated["secret"]]
        admin = http.post(
            "/admin/v1/admin-tokens", json={"tenant": "acme"}, headers=operator
        ).json()
        keep += [admin["token"], _secret_of(admin["token"])]
        assert (
            http.get(
                "/admin/v1/tenants/acme/keys", headers={"Authorization": f"Bearer {admin['token']}"}
            ).status_code
            == 200
        )
        scim = {"Authorization": f"Bearer {rotated['token']}"}
        email = "grace.hopper.0042@navy.example"
        keep.append(email)
        created = http.post(
            "/scim/v1/Users",
            json={"schemas": [CORE], "userName": email, "emails": [{"value": email}]},
            headers=scim,
        )
        assert created.status_code == 201, created.text
        found = http.get(
            "/scim/v1/Users", params={"filter": f'userName eq "{email}"'}, headers=scim
        )
        assert found.json()["totalResults"] == 1
        other = "ada.lovelace.1815@analytical.example"
        keep.append(other)
        body = {"schemas": [SEARCH], "filter": f'emails.value eq "{other}"'}
        assert http.post("/scim/v1/Users/.search", json=body, headers=scim).status_code == 200
        assert http.get(
            "/admin/v1/tenants/acme/access", params={"userName": email}, headers=operator
        ).status_code in (200, 404)
        wrong = base64.b64encode(f"{made['id']}:not-the-secret-77f3a1".encode()).decode()
        keep += [wrong, "not-the-secret-77f3a1"]
        assert (
            http.get("/scim/v1/Users", headers={"Authorization": f"Bearer {wrong}"}).status_code
            == 401
        )
        assert (
            http.get(
                "/admin/v1/tenants", headers={"Authorization": "Bearer wrong-operator-9c1e"}
            ).status_code
            == 401
        )
        keep.append("wrong-operator-9c1e")
        probe = "probe-token-5d2b8e"
        keep.append(probe)
        http.get(
            "/scim/v1/Users", params={"access_token": probe, "filter": f'userName eq "{email}"'}
        )
        http.get(f"/nowhere?access_token={probe}")
        http.get("/scim/v1/Users", params={"filter": f'userName eq "{other}" and'}, headers=scim)
    stop_server(srv)
    written = (tmp_path / "server.out").read_text() + (tmp_path / "server.log").read_text()
    access = [json.loads(line) for line in (tmp_path / "server.out").read_text().splitlines()]
    assert len(access) >= 14 and {"listUsers", "createUser", "createKey"} <= {
        line["operationId"] for line in access
    }, access
    for value in keep:
        assert value not in written, f"{value!r} is in the server's log"
