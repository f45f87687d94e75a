"""Self-service SCIM keys through the admin API: generate, list, modify,
revoke, rotate (with and without grace), expiry, and the side-effect-free
credential test. Each change is checked in the audit log with its actor
and address. Expiry and grace run on the server's clock, which the tests
that need it hold (conftest.ClockedServer): no test waits for time to pass."""

from __future__ import annotations

import base64

import httpx

from conftest import Client, ClockedServer, Server
from scimdock.core import clock
from tests import database

FROM = {"X-Forwarded-For": "192.0.2.44"}  # uvicorn trusts it from 127.0.0.1


def setup(server: Server, name: str) -> tuple[Client, dict[str, str]]:
    """Tenant ``name`` with SCIM on and a tenant-admin client; the admin token body."""
    op = Client(server, server.operator_token, admin=True)
    assert op.post("/tenants", json={"name": name, "scimEnabled": True}).status_code == 201
    token = op.post("/admin-tokens", json={"tenant": name}).json()
    return Client(server, token["token"], admin=True), token


def scim_status(server: Server, token: str) -> int:
    return httpx.get(
        f"{server.base}/Users", headers={"Authorization": f"Bearer {token}"}
    ).status_code


def audit(admin: Client, tenant: str) -> list[dict[str, object]]:
    return list(admin.get(f"/tenants/{tenant}/audit", params={"count": 1000}).json()["Resources"])


def test_generate_list_modify(server: Server, tenant_name: str) -> None:
    admin, admin_token = setup(server, tenant_name)
    made = admin.post(f"/tenants/{tenant_name}/keys", json={"label": "Entra"}, headers=FROM)
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["status"] == "active" and key["label"] == "Entra" and key["expires"] is None
    assert key["tenant"] == tenant_name and key["lastUsed"] is None
    assert made.headers["location"].endswith(f"/admin/v1/tenants/{tenant_name}/keys/{key['id']}")
    assert base64.b64decode(key["token"]).decode() == f"{key['id']}:{key['secret']}"
    assert scim_status(server, key["token"]) == 200

    listed = admin.get(f"/tenants/{tenant_name}/keys").json()
    assert listed["totalResults"] == 1
    row = listed["Resources"][0]
    assert "secret" not in row and "token" not in row
    assert row["id"] == key["id"]
    # Last use, and from where, as recorded by the SCIM API.
    httpx.get(
        f"{server.base}/Users",
        headers={"Authorization": f"Bearer {key['token']}", "X-Forwarded-For": "203.0.113.80"},
    )
    seen = admin.get(f"/tenants/{tenant_name}/keys/{key['id']}").json()
    assert seen["lastUsed"] is not None and seen["lastUsedFrom"] == "203.0.113.80"

    later = "2031-05-01T10:00:00+02:00"
    changed = admin.patch(
        f"/tenants/{tenant_name}/keys/{key['id']}",
        json={"label": "Entra (prod)", "expires": later},
        headers=FROM,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["label"] == "Entra (prod)"
    assert changed.json()["expires"] == "2031-05-01T08:00:00.000000Z"
    cleared = admin.patch(f"/tenants/{tenant_name}/keys/{key['id']}", json={"expires": None})
    assert cleared.json()["expires"] is None and cleared.json()["label"] == "Entra (prod)"
    past = admin.patch(
        f"/tenants/{tenant_name}/keys/{key['id']}", json={"expires": "2001-01-01T00:00:00Z"}
    )
    assert past.status_code == 400 and past.json()["scimType"] == "invalidValue"
    bad = admin.post(f"/tenants/{tenant_name}/keys", json={"expires": "next tuesday"})
    assert bad.status_code == 400
    assert admin.get(f"/tenants/{tenant_name}/keys/sk_0000000000000000").status_code == 404

    entries = [e for e in audit(admin, tenant_name) if e["resourceType"] == "ApiKey"]
    assert [(e["operation"], e["attributes"]) for e in entries] == [
        ("create", ["label", "secret"]),
        ("update", ["expires", "label"]),
        ("update", ["expires"]),
    ]
    for e in entries[:2]:
        assert e["actor"] == {
            "kind": "admin-token",
            "id": admin_token["id"],
            "address": "192.0.2.44",
        }
        assert e["resourceId"] == key["id"]
    assert key["secret"] not in database.dump(server.db)


def test_revoke_then_use(server: Server, tenant_name: str) -> None:
    admin, admin_token = setup(server, tenant_name)
    key = admin.post(f"/tenants/{tenant_name}/keys", json={}).json()
    other = admin.post(f"/tenants/{tenant_name}/keys", json={}).json()
    assert scim_status(server, key["token"]) == 200
    revoked = admin.post(f"/tenants/{tenant_name}/keys/{key['id']}/revoke", headers=FROM)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    r = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Bearer {key['token']}"})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert scim_status(server, other["token"]) == 200  # only that key
    again = admin.post(f"/tenants/{tenant_name}/keys/{key['id']}/revoke")
    assert again.status_code == 200 and again.json()["revoked"] == revoked.json()["revoked"]
    refused = admin.post(f"/tenants/{tenant_name}/keys/{key['id']}/rotate", json={})
    assert refused.status_code == 409
    revokes = [e for e in audit(admin, tenant_name) if e["operation"] == "revoke"]
    assert len(revokes) == 1 and revokes[0]["resourceId"] == key["id"]
    assert revokes[0]["actor"] == {
        "kind": "admin-token",
        "id": admin_token["id"],
        "address": "192.0.2.44",
    }


def test_rotate_without_grace(server: Server, tenant_name: str) -> None:
    admin, _ = setup(server, tenant_name)
    key = admin.post(f"/tenants/{tenant_name}/keys", json={"label": "okta"}).json()
    rotated = admin.post(f"/tenants/{tenant_name}/keys/{key['id']}/rotate", headers=FROM)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["id"] == key["id"] and new["secret"] != key["secret"]
    assert new["previousSecretValidUntil"] is None and new["label"] == "okta"
    assert scim_status(server, key["token"]) == 401
    assert scim_status(server, new["token"]) == 200
    (entry,) = [e for e in audit(admin, tenant_name) if e["operation"] == "rotate"]
    assert entry["resourceId"] == key["id"] and entry["actor"]["address"] == "192.0.2.44"


def test_rotate_with_grace(clocked_server: ClockedServer, tenant_name: str) -> None:
    server = clocked_server
    admin, _ = setup(server, tenant_name)
    key = admin.post(f"/tenants/{tenant_name}/keys", json={}).json()
    long = admin.post(
        f"/tenants/{tenant_name}/keys/{key['id']}/rotate", json={"graceSeconds": 3600}
    ).json()
    assert long["previousSecretValidUntil"] is not None
    assert scim_status(server, key["token"]) == 200  # the old secret, within its grace
    assert scim_status(server, long["token"]) == 200
    # A second rotation with a one-second grace: the first token is gone at
    # once (only the latest previous secret has a grace), the second lasts
    # until its grace ends.
    short = admin.post(
        f"/tenants/{tenant_name}/keys/{key['id']}/rotate", json={"graceSeconds": 1}
    ).json()
    assert short["previousSecretValidUntil"] == clock.shifted(server.clock.now(), 1)
    assert scim_status(server, key["token"]) == 401
    assert scim_status(server, short["token"]) == 200
    server.clock.advance(0.999999)  # the grace's last microsecond
    assert scim_status(server, long["token"]) == 200
    server.clock.advance(0.000001)
    assert scim_status(server, long["token"]) == 401
    assert scim_status(server, short["token"]) == 200
    too_long = admin.post(
        f"/tenants/{tenant_name}/keys/{key['id']}/rotate", json={"graceSeconds": 31 * 86400}
    )
    assert too_long.status_code == 400


def test_expired_key_is_401(clocked_server: ClockedServer, tenant_name: str) -> None:
    server = clocked_server
    admin, _ = setup(server, tenant_name)
    expires = clock.shifted(server.clock.now(), 60)
    key = admin.post(f"/tenants/{tenant_name}/keys", json={"expires": expires}).json()
    assert key["status"] == "active" and key["expires"] == expires
    assert scim_status(server, key["token"]) == 200
    server.clock.advance(59)
    assert scim_status(server, key["token"]) == 200
    server.clock.set(expires)  # expired from that instant on
    r = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Bearer {key['token']}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert admin.get(f"/tenants/{tenant_name}/keys/{key['id']}").json()["status"] == "expired"
    test = admin.post(f"/tenants/{tenant_name}/credentials/test", json={"token": key["token"]})
    assert test.json()["reason"] == "expired" and test.json()["valid"] is False


def test_credential_test_has_no_side_effects(server: Server, tenant_name: str) -> None:
    admin, _ = setup(server, tenant_name)
    op = Client(server, server.operator_token, admin=True)
    key = admin.post(f"/tenants/{tenant_name}/keys", json={}).json()
    url = f"/tenants/{tenant_name}/credentials/test"
    before = audit(admin, tenant_name)

    def verdict(token: str) -> dict[str, object]:
        r = admin.post(url, json={"token": token})
        assert r.status_code == 200, r.text
        return dict(r.json())

    assert verdict(key["token"]) == {
        "valid": True,
        "reason": "ok",
        "scimEnabled": True,
        "keyId": key["id"],
    }
    assert verdict("not base64!")["reason"] == "malformed"
    wrong = base64.b64encode(f"{key['id']}:wrong".encode()).decode()
    assert verdict(wrong) == {
        "valid": False,
        "reason": "invalid",
        "scimEnabled": True,
        "keyId": None,
    }
    # Another tenant's good key is just "invalid" here.
    other = op.post("/tenants", json={"name": tenant_name + "-o", "scimEnabled": True})
    assert other.status_code == 201
    foreign = op.post(f"/tenants/{tenant_name}-o/keys", json={}).json()
    assert verdict(foreign["token"])["reason"] == "invalid"
    op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": False})
    assert verdict(key["token"]) == {
        "valid": False,
        "reason": "scimDisabled",
        "scimEnabled": False,
        "keyId": key["id"],
    }
    op.patch(f"/tenants/{tenant_name}", json={"scimEnabled": True})
    # Nothing recorded: no last use, no audit line of its own.
    assert admin.get(f"/tenants/{tenant_name}/keys/{key['id']}").json()["lastUsed"] is None
    after = audit(admin, tenant_name)
    assert [e["operation"] for e in after[len(before) :]] == ["disable-scim", "enable-scim"]
    admin.post(f"/tenants/{tenant_name}/keys/{key['id']}/revoke")
    assert verdict(key["token"])["reason"] == "revoked"
