"""Credentials, SCIM activation and tenant isolation over HTTP."""

from __future__ import annotations

import base64
import json

import httpx

from conftest import Client, Server, cli


def _user(name: str) -> dict[str, object]:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name}


def _assert_401(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert "Bearer" in r.headers["www-authenticate"]
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == "401"


def test_missing_malformed_and_unknown_credentials_are_401(
    server: Server, tenant_name: str
) -> None:
    token = server.tenant(tenant_name)
    url = f"{server.base}/Users"
    _assert_401(httpx.get(url))
    _assert_401(httpx.get(url, headers={"Authorization": "Bearer"}))
    _assert_401(httpx.get(url, headers={"Authorization": "Bearer !!!not-base64!!!"}))
    _assert_401(httpx.get(url, headers={"Authorization": "Token abc"}))
    no_colon = base64.b64encode(b"justakeyid").decode()
    _assert_401(httpx.get(url, headers={"Authorization": f"Bearer {no_colon}"}))
    key_id, _secret = base64.b64decode(token).decode().split(":", 1)
    wrong = base64.b64encode(f"{key_id}:wrong-secret".encode()).decode()
    _assert_401(httpx.get(url, headers={"Authorization": f"Bearer {wrong}"}))
    unknown = base64.b64encode(b"sk_unknown:whatever").decode()
    _assert_401(httpx.get(url, headers={"Authorization": f"Bearer {unknown}"}))
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_basic_auth_with_the_same_pair_is_accepted(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name)
    r = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Basic {token}"})
    assert r.status_code == 200


def test_scim_is_refused_until_the_operator_enables_it(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name, enabled=False)
    headers = {"Authorization": f"Bearer {token}"}
    r = httpx.get(f"{server.base}/Users", headers=headers)
    _assert_401(r)
    assert "not enabled" in r.json()["detail"]
    assert cli(server.db, "tenant", "enable-scim", tenant_name).returncode == 0
    assert httpx.get(f"{server.base}/Users", headers=headers).status_code == 200
    assert cli(server.db, "tenant", "disable-scim", tenant_name).returncode == 0
    _assert_401(httpx.get(f"{server.base}/Users", headers=headers))


def test_revoked_key_is_refused_from_the_next_request_on(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.base}/Users", headers=headers).status_code == 200
    key_id = base64.b64decode(token).decode().split(":", 1)[0]
    assert cli(server.db, "key", "revoke", key_id).returncode == 0
    r = httpx.get(f"{server.base}/Users", headers=headers)
    _assert_401(r)
    assert "revoked" in r.json()["detail"]
    listed = json.loads(cli(server.db, "key", "list", "--tenant", tenant_name, "--json").stdout)
    assert [k["status"] for k in listed] == ["revoked"]


def test_host_subdomain_must_match_the_credentials_tenant(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name)
    auth = {"Authorization": f"Bearer {token}"}
    ok = httpx.get(
        f"{server.base}/Users", headers={**auth, "Host": f"{tenant_name}.localhost:{server.port}"}
    )
    assert ok.status_code == 200
    assert (
        httpx.get(
            f"{server.base}/Users", headers={**auth, "Host": f"other.localhost:{server.port}"}
        ).status_code
        == 401
    )
    created = httpx.post(
        f"{server.base}/Users",
        json=_user("hosted"),
        headers={**auth, "Host": f"{tenant_name}.localhost:{server.port}"},
    )
    assert created.json()["meta"]["location"].startswith(
        f"http://{tenant_name}.localhost:{server.port}/scim/v1/Users/"
    )


def test_tenants_cannot_see_or_touch_each_other(server: Server, tenant_name: str) -> None:
    a = Client(server, server.tenant(tenant_name + "a"))
    b = Client(server, server.tenant(tenant_name + "b"))
    user = a.post("/Users", json=_user("shared@example.com")).json()
    uid = user["id"]
    # The same userName is free in another tenant.
    assert b.post("/Users", json=_user("shared@example.com")).status_code == 201
    assert b.get(f"/Users/{uid}").status_code == 404
    assert b.put(f"/Users/{uid}", json=_user("stolen")).status_code == 404
    patch = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert b.patch(f"/Users/{uid}", json=patch).status_code == 404
    assert b.delete(f"/Users/{uid}").status_code == 404
    seen = b.get("/Users", params={"filter": f'id eq "{uid}"'}).json()
    assert seen["totalResults"] == 0
    assert all(u["id"] != uid for u in b.get("/Users").json()["Resources"])
    # Tenant A's user is untouched.
    assert a.get(f"/Users/{uid}").json() == user
