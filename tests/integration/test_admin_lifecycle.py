"""What the vendor page promises about a user's life, over HTTP: SCIM
switched off and on, deactivation (data kept, no sign-in), deletion as a
tombstone, restore (with and without a userName conflict) and purge
(checked in the SQLite file itself), each recorded in the audit log."""

from __future__ import annotations

from typing import Any

import httpx

from conftest import Client, ClockedServer, Server
from tests import database

FROM = {"X-Forwarded-For": "192.0.2.71"}  # uvicorn trusts it from 127.0.0.1


def setup(server: Server, name: str) -> tuple[Client, Client, dict[str, Any]]:
    """Operator client, SCIM client of tenant ``name`` (SCIM on), and its key."""
    op = Client(server, server.operator_token, admin=True)
    assert op.post("/tenants", json={"name": name, "scimEnabled": True}).status_code == 201
    key = op.post(f"/tenants/{name}/keys", json={"label": "idp"}).json()
    return op, Client(server, key["token"]), key


def user(user_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        **extra,
    }


def audit(op: Client, tenant: str) -> list[dict[str, Any]]:
    return list(op.get(f"/tenants/{tenant}/audit", params={"count": 1000}).json()["Resources"])


def rows(server: Server, tenant: str, user_id: str) -> int:
    """Rows of that user in the users table, read from the server's database."""
    ((n,),) = database.query(
        server.db,
        "SELECT count(*) FROM users u JOIN tenants t ON t.id = u.tenant_id"
        " WHERE t.name = ? AND u.id = ?",
        (tenant, user_id),
    )
    return int(n)


def test_disable_then_use_then_enable(server: Server, tenant_name: str) -> None:
    op, scim, _key = setup(server, tenant_name)
    uid = scim.post("/Users", json=user("stays@example.com")).json()["id"]
    off = op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": False}, headers=FROM)
    assert off.status_code == 200 and off.json()["scimEnabled"] is False
    r = scim.get("/Users")
    assert r.status_code == 401 and "not enabled" in r.json()["detail"]
    # Nothing deleted: switching on again brings back the same key and data.
    assert op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": True}).status_code == 200
    assert scim.get(f"/Users/{uid}").json()["userName"] == "stays@example.com"
    ops = [
        (e["operation"], e["actor"]["kind"], e["actor"]["address"])
        for e in audit(op, tenant_name)
        if e["resourceType"] == "Tenant"
    ]
    assert ops[-2:] == [
        ("disable-scim", "operator", "192.0.2.71"),
        ("enable-scim", "operator", "127.0.0.1"),
    ]


def test_sign_in_check_follows_deactivation_deletion_and_the_tenant(
    server: Server, tenant_name: str
) -> None:
    op, scim, _key = setup(server, tenant_name)
    full = user(
        "Bjensen@Example.com",
        displayName="Babs",
        emails=[{"value": "bjensen@example.com", "type": "work", "primary": True}],
        name={"givenName": "Barbara", "familyName": "Jensen"},
    )
    created = scim.post("/Users", json=full).json()
    uid = created["id"]
    by_id = f"/tenants/{tenant_name}/users/{uid}/access"
    by_name = f"/tenants/{tenant_name}/access"

    def check(path: str, **params: str) -> dict[str, Any]:
        r = op.get(path, params=params)
        assert r.status_code == 200, r.text
        return dict(r.json())

    allowed = {
        "allowed": True,
        "reason": "active",
        "userId": uid,
        "userName": "Bjensen@Example.com",
    }
    assert check(by_id) == allowed
    assert check(by_name, userName="bjensen@example.com") == allowed  # case-insensitive
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    assert scim.patch(f"/Users/{uid}", json=patch).status_code in (200, 204)
    assert check(by_id)["reason"] == "inactive" and check(by_id)["allowed"] is False
    # Deactivated: every piece of data kept.
    kept = scim.get(f"/Users/{uid}").json()
    assert kept["active"] is False
    assert {k: v for k, v in kept.items() if k not in ("active", "meta")} == {
        k: v for k, v in created.items() if k not in ("active", "meta")
    }
    op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": False})
    assert check(by_id)["reason"] == "tenantDisabled"
    op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": True})
    assert scim.delete(f"/Users/{uid}").status_code == 204
    assert check(by_id) == {**allowed, "allowed": False, "reason": "deleted"}
    assert check(by_name, userName="BJENSEN@example.com")["reason"] == "deleted"
    unknown = check(f"/tenants/{tenant_name}/users/no-such-id/access")
    assert unknown == {"allowed": False, "reason": "notFound", "userId": None, "userName": None}
    assert check(by_name, userName="nobody")["reason"] == "notFound"
    # A tenant admin may ask too, for its own tenant only.
    tadmin = Client(
        server, op.post("/admin-tokens", json={"tenant": tenant_name}).json()["token"], admin=True
    )
    assert tadmin.get(by_id).json()["reason"] == "deleted"


def test_tombstone_restore_without_conflict(server: Server, tenant_name: str) -> None:
    op, scim, key = setup(server, tenant_name)
    made = scim.post("/Users", json=user("back@example.com", displayName="Back")).json()
    uid = made["id"]
    assert scim.delete(f"/Users/{uid}").status_code == 204
    assert scim.get(f"/Users/{uid}").status_code == 404
    listed = op.get(f"/tenants/{tenant_name}/tombstones").json()
    assert [(t["id"], t["userName"]) for t in listed["Resources"]] == [(uid, "back@example.com")]
    one = op.get(f"/tenants/{tenant_name}/tombstones/{uid}").json()
    assert one["data"]["displayName"] == "Back"
    restored = op.post(f"/tenants/{tenant_name}/tombstones/{uid}/restore", headers=FROM)
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["id"] == uid and body["userName"] == "back@example.com" and body["active"] is True
    assert body["location"] == f"{server.base}/Users/{uid}"
    back = scim.get(f"/Users/{uid}")
    assert back.status_code == 200 and back.json()["displayName"] == "Back"
    assert back.headers["etag"] == body["version"] != made["meta"]["version"]
    assert op.get(f"/tenants/{tenant_name}/tombstones").json()["totalResults"] == 0
    assert op.post(f"/tenants/{tenant_name}/tombstones/{uid}/restore").status_code == 404
    trail = [
        (e["operation"], e["actor"]["kind"], e["actor"]["id"])
        for e in audit(op, tenant_name)
        if e["resourceId"] == uid
    ]
    assert trail == [
        ("create", "scim-key", key["id"]),
        ("delete", "scim-key", key["id"]),
        ("restore", "operator", "env"),
    ]


def test_tombstone_restore_with_username_conflict(server: Server, tenant_name: str) -> None:
    op, scim, _key = setup(server, tenant_name)
    old = scim.post("/Users", json=user("taken@example.com")).json()["id"]
    scim.delete(f"/Users/{old}")
    new = scim.post("/Users", json=user("TAKEN@example.com")).json()["id"]
    conflict = op.post(f"/tenants/{tenant_name}/tombstones/{old}/restore")
    assert conflict.status_code == 409 and conflict.json()["scimType"] == "uniqueness"
    # Nothing changed: the tombstone stays, the live user keeps the name.
    assert scim.get(f"/Users/{old}").status_code == 404
    assert scim.get(f"/Users/{new}").json()["userName"] == "TAKEN@example.com"
    assert [t["id"] for t in op.get(f"/tenants/{tenant_name}/tombstones").json()["Resources"]] == [
        old
    ]
    assert not [e for e in audit(op, tenant_name) if e["operation"] == "restore"]
    # Free the name, and the restore goes through with the same id.
    scim.delete(f"/Users/{new}")
    assert op.post(f"/tenants/{tenant_name}/tombstones/{old}/restore").status_code == 200
    assert scim.get(f"/Users/{old}").status_code == 200


def test_purge_one_removes_the_rows(server: Server, tenant_name: str) -> None:
    op, scim, _key = setup(server, tenant_name)
    live = scim.post("/Users", json=user("live@example.com")).json()["id"]
    gone = scim.post("/Users", json=user("gone@example.com", displayName="Secret Name")).json()[
        "id"
    ]
    scim.delete(f"/Users/{gone}")
    assert rows(server, tenant_name, gone) == 1  # a tombstone is still a row
    # Only a tombstone can be purged.
    assert op.delete(f"/tenants/{tenant_name}/tombstones/{live}").status_code == 404
    purged = op.delete(f"/tenants/{tenant_name}/tombstones/{gone}", headers=FROM)
    assert purged.status_code == 204
    assert rows(server, tenant_name, gone) == 0
    assert rows(server, tenant_name, live) == 1
    dump = database.dump(server.db)
    assert "Secret Name" not in dump and "gone@example.com" not in dump
    assert op.delete(f"/tenants/{tenant_name}/tombstones/{gone}").status_code == 404
    assert op.post(f"/tenants/{tenant_name}/tombstones/{gone}/restore").status_code == 404
    assert op.get(f"/tenants/{tenant_name}/users/{gone}/access").json()["reason"] == "notFound"
    (entry,) = [e for e in audit(op, tenant_name) if e["operation"] == "purge"]
    assert entry["resourceType"] == "User" and entry["resourceId"] == gone
    assert entry["actor"] == {"kind": "operator", "id": "env", "address": "192.0.2.71"}


def test_purge_older_than_days(clocked_server: ClockedServer, tenant_name: str) -> None:
    """The server's clock is the test's: tombstones age without waiting."""
    server = clocked_server
    op, scim, _key = setup(server, tenant_name)
    ids = [scim.post("/Users", json=user(f"old{i}@example.com")).json()["id"] for i in range(3)]
    keep = scim.post("/Users", json=user("keep@example.com")).json()["id"]
    scim.delete(f"/Users/{ids[0]}")
    server.clock.advance(40 * 86400)  # 40 days later the others are deleted
    for uid in ids[1:]:
        scim.delete(f"/Users/{uid}")
    url = f"/tenants/{tenant_name}/tombstones/purge"
    # The oldest is 40 days old: not older than 41.
    none = op.post(url, json={"olderThanDays": 41})
    assert none.status_code == 200 and none.json() == {"totalPurged": 0, "purged": []}
    assert all(rows(server, tenant_name, uid) == 1 for uid in ids)
    month = op.post(url, json={"olderThanDays": 30}, headers=FROM).json()
    assert month == {"totalPurged": 1, "purged": [ids[0]]}
    assert rows(server, tenant_name, ids[0]) == 0 and rows(server, tenant_name, ids[1]) == 1
    # The others are brand new. Exactly one day old is not older than one
    # day; a microsecond later it is.
    assert op.post(url, json={"olderThanDays": 1}).json()["totalPurged"] == 0
    server.clock.advance(86400)
    assert op.post(url, json={"olderThanDays": 1}).json()["totalPurged"] == 0
    server.clock.advance(0.000001)
    every = op.post(url, json={"olderThanDays": 1}).json()
    assert sorted(every["purged"]) == sorted(ids[1:]) and every["totalPurged"] == 2
    assert all(rows(server, tenant_name, uid) == 0 for uid in ids)
    assert rows(server, tenant_name, keep) == 1
    purges = [e["resourceId"] for e in audit(op, tenant_name) if e["operation"] == "purge"]
    assert sorted(purges) == sorted(ids)
    bad = op.post(url, json={"olderThanDays": -1})
    assert bad.status_code == 400
    tadmin = Client(
        server, op.post("/admin-tokens", json={"tenant": tenant_name}).json()["token"], admin=True
    )
    assert tadmin.post(url, json={"olderThanDays": 0}).status_code == 403


def test_operator_log_records_tenant_deletion(server: Server, tenant_name: str) -> None:
    op, scim, _key = setup(server, tenant_name)
    scim.post("/Users", json=user("x@example.com"))
    assert (
        op.delete(f"/tenants/{tenant_name}", params={"force": "true"}, headers=FROM).status_code
        == 204
    )
    log = op.get("/audit", params={"count": 1000}).json()
    mine = [e for e in log["Resources"] if e["resourceId"] == tenant_name]
    assert [(e["operation"], e["resourceType"], e["actor"]["address"]) for e in mine] == [
        ("purge", "Tenant", "192.0.2.71")
    ]
    assert httpx.get(f"{server.admin}/audit").status_code == 401
