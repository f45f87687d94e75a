"""The admin API over HTTP: tenants, admin tokens, the audit log, the
served document, and what each role may do (docs/admin.md)."""

from __future__ import annotations

import base64

import httpx

from conftest import Client, Server
from tests import database

FORWARDED = {"X-Forwarded-For": "198.51.100.23"}  # uvicorn trusts it from 127.0.0.1


def operator(server: Server) -> Client:
    return Client(server, server.operator_token, admin=True)


def audit(server: Server, tenant: str, **params: object) -> list[dict[str, object]]:
    page = operator(server).get(f"/tenants/{tenant}/audit", params={"count": 1000, **params})
    assert page.status_code == 200, page.text
    return list(page.json()["Resources"])


def test_document_and_ui_are_served(server: Server) -> None:
    doc = httpx.get(f"{server.admin}/openapi.json")
    assert doc.status_code == 200
    assert doc.json()["servers"][0]["url"] == "/admin/v1"
    assert "createKey" in doc.text
    assert httpx.get(f"{server.admin}/ui/").status_code == 200


def test_tenant_lifecycle(server: Server, tenant_name: str) -> None:
    op = operator(server)
    created = op.post("/tenants", json={"name": tenant_name}, headers=FORWARDED)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/json"
    assert created.headers["location"] == f"{server.admin}/tenants/{tenant_name}"
    assert created.json()["name"] == tenant_name and created.json()["scimEnabled"] is False
    assert op.get(f"/tenants/{tenant_name}").json() == created.json()
    assert tenant_name in [t["name"] for t in op.get("/tenants").json()["Resources"]]
    dup = op.post("/tenants", json={"name": tenant_name})
    assert dup.status_code == 409 and dup.json()["scimType"] == "uniqueness"
    for bad_name in ("Not A Label", "-x", "a" * 64, f"{tenant_name}z\n", ""):
        bad = op.post("/tenants", json={"name": bad_name})
        assert bad.status_code == 400, (bad_name, bad.text)
    on = op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": True}, headers=FORWARDED)
    assert on.status_code == 200 and on.json()["scimEnabled"] is True
    entries = audit(server, tenant_name)
    assert [
        (e["operation"], e["resourceType"], e["resourceId"], e["attributes"]) for e in entries
    ] == [
        ("create", "Tenant", tenant_name, ["name"]),
        ("enable-scim", "Tenant", tenant_name, ["scimEnabled"]),
    ]
    for e in entries:
        assert e["actor"] == {"kind": "operator", "id": "env", "address": "198.51.100.23"}
    # Switching to the state it is in changes nothing and records nothing.
    assert op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": True}).status_code == 200
    assert len(audit(server, tenant_name)) == 2
    assert op.delete(f"/tenants/{tenant_name}").status_code == 204
    assert op.get(f"/tenants/{tenant_name}").status_code == 404
    assert op.delete(f"/tenants/{tenant_name}").status_code == 404


def test_delete_tenant_holding_data_needs_force(server: Server, tenant_name: str) -> None:
    op = operator(server)
    op.post("/tenants", json={"name": tenant_name, "scimEnabled": True})
    key = op.post(f"/tenants/{tenant_name}/keys", json={}).json()
    tadmin = Client(
        server, op.post("/admin-tokens", json={"tenant": tenant_name}).json()["token"], admin=True
    )
    scim = Client(server, key["token"])
    assert scim.post("/Users", json={"userName": "kept"}).status_code == 201
    refused = op.delete(f"/tenants/{tenant_name}")
    assert refused.status_code == 409 and "force=true" in refused.json()["detail"]
    assert scim.get("/Users").json()["totalResults"] == 1  # nothing deleted
    assert op.delete(f"/tenants/{tenant_name}", params={"force": "true"}).status_code == 204
    assert op.get(f"/tenants/{tenant_name}").status_code == 404
    assert scim.get("/Users").status_code == 401  # its key went with it
    assert tadmin.get(f"/tenants/{tenant_name}").status_code == 401  # and its admin's token
    assert database.query(
        server.db, "SELECT count(*) FROM tenants WHERE name = ?", (tenant_name,)
    ) == [(0,)]


def test_admin_tokens_operator_and_tenant_admin(server: Server, tenant_name: str) -> None:
    op = operator(server)
    op.post("/tenants", json={"name": tenant_name})
    made = op.post(
        "/admin-tokens", json={"tenant": tenant_name, "label": "it team"}, headers=FORWARDED
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["role"] == "tenantAdmin" and body["tenant"] == tenant_name
    assert body["status"] == "active" and body["label"] == "it team"
    assert made.headers["location"].endswith(f"/admin-tokens/{body['id']}")
    token_id, secret = base64.b64decode(body["token"]).decode().split(":", 1)
    assert token_id == body["id"]
    # Never shown again, stored only as a hash.
    listed = op.get("/admin-tokens", params={"tenant": tenant_name}).json()["Resources"]
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert "token" not in op.get(f"/admin-tokens/{body['id']}").json()
    dump = database.dump(server.db)
    assert secret not in dump and body["token"] not in dump

    tadmin = Client(server, body["token"], admin=True)
    assert tadmin.get(f"/tenants/{tenant_name}").status_code == 200
    assert tadmin.get("/tenants").status_code == 403
    assert tadmin.post("/admin-tokens", json={}).status_code == 403
    assert tadmin.patch(f"/tenants/{tenant_name}", json={"scimEnabled": True}).status_code == 403

    # A stored operator token can do what SCIMDOCK_ADMIN_TOKEN can.
    second = op.post("/admin-tokens", json={"label": "backup operator"}).json()
    assert second["role"] == "operator" and second["tenant"] is None
    assert Client(server, second["token"], admin=True).get("/tenants").status_code == 200

    revoked = op.post(f"/admin-tokens/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    r = tadmin.get(f"/tenants/{tenant_name}")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert op.post(f"/admin-tokens/{body['id']}/revoke").json()["status"] == "revoked"
    assert op.get("/admin-tokens/sat_nope").status_code == 404
    ops = [e for e in audit(server, tenant_name) if e["resourceType"] == "AdminToken"]
    assert [e["resourceId"] for e in ops] == [body["id"], body["id"]]
    assert all(e["actor"]["id"] == "env" for e in ops)


def test_bad_and_missing_admin_credentials_are_401(server: Server) -> None:
    url = f"{server.admin}/tenants"
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Basic {server.operator_token}"},
        {"Authorization": f"Bearer {server.operator_token}x"},
    ):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["content-type"].startswith("application/scim+json")
        assert r.json()["status"] == "401"
        assert r.headers["www-authenticate"] == 'Bearer realm="scimdock-admin"'


def test_unknown_route_and_method(server: Server) -> None:
    op = operator(server)
    assert op.get("/nothing-here").status_code == 404
    r = op.put("/tenants")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    # The documented path's methods, not those of /tombstones/{id} it also matches.
    r = op.put("/tenants/x/tombstones/purge")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = op.put("/tenants/x/tombstones/some-id")
    assert r.status_code == 405 and r.headers["allow"] == "DELETE, GET"


def test_audit_log_paging_and_time_filters(server: Server, tenant_name: str) -> None:
    op = operator(server)
    op.post("/tenants", json={"name": tenant_name, "scimEnabled": True})
    key = op.post(f"/tenants/{tenant_name}/keys", json={"label": "idp"}).json()
    scim = Client(server, key["token"])
    for i in range(5):
        scim.post(
            "/Users",
            json={"userName": f"user{i}", "password": "hunter2-secret"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    entries = audit(server, tenant_name)
    users = [e for e in entries if e["resourceType"] == "User"]
    assert len(users) == 5
    for e in users:
        assert e["operation"] == "create"
        assert e["actor"] == {"kind": "scim-key", "id": key["id"], "address": "203.0.113.9"}
        assert "userName" in e["attributes"] and "password" not in e["attributes"]
    total = len(entries)
    page = op.get(f"/tenants/{tenant_name}/audit", params={"startIndex": 2, "count": 2}).json()
    assert page["totalResults"] == total and page["startIndex"] == 2
    assert page["itemsPerPage"] == 2 and page["Resources"] == entries[1:3]
    cut = users[2]["at"]
    since = audit(server, tenant_name, since=cut)
    until = audit(server, tenant_name, until=cut)
    assert since[0] == users[2] and until[-1] == users[1]
    assert len(since) + len(until) == total
    with_offset = audit(server, tenant_name, since=cut.replace("Z", "+00:00"))
    assert with_offset == since
    bad = op.get(f"/tenants/{tenant_name}/audit", params={"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidValue"
    backwards = op.get(
        f"/tenants/{tenant_name}/audit", params={"since": cut, "until": "2000-01-01T00:00:00Z"}
    )
    assert backwards.status_code == 200 and backwards.json()["totalResults"] == 0
    dump = database.dump(server.db)
    assert "hunter2-secret" not in dump and key["secret"] not in dump
