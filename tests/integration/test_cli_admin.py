"""The operator commands of the ``scimdock`` CLI, against the live server:
deactivation and the sign-in check, tombstones, restore, purge, the audit
log of SCIM writes (key id and client address), admin tokens and tenant
deletion. Purges are checked in SQLite itself."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Client, Server, cli
from tests import database

pytestmark = pytest.mark.backend_independent(
    "the command line's words and exit codes; what it asks of the store is the store contract's, run on both"
)

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _user(user_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        **extra,
    }


def _ok(db: Path | str, *args: str) -> str:
    out = cli(db, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _fails(db: Path | str, *args: str) -> str:
    out = cli(db, *args)
    assert out.returncode != 0 and out.stdout == "", out
    assert out.stderr.startswith("scimdock: error: ") and out.stderr.count("\n") == 1
    return out.stderr


def _json(db: Path | str, *args: str) -> Any:
    return json.loads(_ok(db, *args, "--json"))


def _access(db: Path | str, tenant: str, *who: str) -> dict[str, Any]:
    return dict(_json(db, "user", "access", "--tenant", tenant, *who))


def _rows(db: Path | str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return database.query(db, sql, params)


def test_user_access_follows_deactivation_deletion_and_the_tenant(
    server: Server, tenant_name: str
) -> None:
    client = Client(server, server.tenant(tenant_name))
    uid = client.post("/Users", json=_user("ann@example.com", active=True)).json()["id"]
    db = server.db
    assert _access(db, tenant_name, uid) == {
        "allowed": True,
        "reason": "active",
        "userId": uid,
        "userName": "ann@example.com",
    }
    off = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert client.patch(f"/Users/{uid}", json=off).status_code == 200
    assert _access(db, tenant_name, "--user-name", "ANN@example.com") == {
        "allowed": False,
        "reason": "inactive",
        "userId": uid,
        "userName": "ann@example.com",
    }
    # Deactivated: every piece of data is kept and still served.
    assert client.get(f"/Users/{uid}").json()["userName"] == "ann@example.com"
    assert "may not sign in: inactive" in _ok(db, "user", "access", "--tenant", tenant_name, uid)
    _ok(db, "tenant", "disable-scim", tenant_name)
    on = {"Operations": [{"op": "replace", "path": "active", "value": True}]}
    assert _access(db, tenant_name, uid)["reason"] == "tenantDisabled"
    _ok(db, "tenant", "enable-scim", tenant_name)
    assert client.patch(f"/Users/{uid}", json=on).status_code == 200
    assert _access(db, tenant_name, uid)["allowed"] is True
    assert client.delete(f"/Users/{uid}").status_code == 204
    assert _access(db, tenant_name, uid) == {
        "allowed": False,
        "reason": "deleted",
        "userId": uid,
        "userName": "ann@example.com",
    }
    assert _access(db, tenant_name, "nobody-id")["reason"] == "notFound"
    assert "either" in _fails(db, "user", "access", "--tenant", tenant_name)
    assert "no tenant" in _fails(db, "user", "access", "--tenant", "nope", uid)


def test_tombstones_restore_and_restore_conflict(server: Server, tenant_name: str) -> None:
    client = Client(server, server.tenant(tenant_name))
    db = server.db
    created = client.post("/Users", json=_user("bob@example.com", displayName="Bob")).json()
    uid = created["id"]
    assert client.delete(f"/Users/{uid}").status_code == 204
    assert client.get(f"/Users/{uid}").status_code == 404
    tombs = _json(db, "user", "tombstones", "--tenant", tenant_name)
    assert [(t["id"], t["userName"]) for t in tombs] == [(uid, "bob@example.com")]
    assert uid in _ok(db, "user", "tombstones", "--tenant", tenant_name)
    # Someone else takes the userName meanwhile: 409, nothing changes.
    taker = client.post("/Users", json=_user("Bob@example.com")).json()["id"]
    assert "taken" in _fails(db, "user", "restore", "--tenant", tenant_name, uid)
    assert client.get(f"/Users/{uid}").status_code == 404
    assert client.delete(f"/Users/{taker}").status_code == 204
    restored = _json(db, "user", "restore", "--tenant", tenant_name, uid)
    back = client.get(f"/Users/{uid}")
    assert back.status_code == 200 and back.json()["displayName"] == "Bob"
    assert back.json()["meta"]["version"] != created["meta"]["version"]
    assert restored == {
        "id": uid,
        "userName": "bob@example.com",
        "active": True,
        "version": back.json()["meta"]["version"],
    }
    assert [t["id"] for t in _json(db, "user", "tombstones", "--tenant", tenant_name)] == [taker]
    assert "No deleted User" in _fails(db, "user", "restore", "--tenant", tenant_name, uid)
    log = [
        (e["operation"], e["resourceId"])
        for e in _json(db, "audit", "--tenant", tenant_name)
        if e["resourceType"] == "User"
    ]
    assert log == [
        ("create", uid),
        ("delete", uid),
        ("create", taker),
        ("delete", taker),
        ("restore", uid),
    ]


def test_purge_one_and_purge_older_than_remove_the_rows(server: Server, tenant_name: str) -> None:
    client = Client(server, server.tenant(tenant_name))
    db = server.db
    ids = [client.post("/Users", json=_user(f"p{i}@example.com")).json()["id"] for i in range(3)]
    for uid in ids[:2]:
        assert client.delete(f"/Users/{uid}").status_code == 204
    assert "No deleted User" in _fails(db, "user", "purge", "--tenant", tenant_name, ids[2])
    _ok(db, "user", "purge", "--tenant", tenant_name, ids[0])
    assert _rows(db, "SELECT * FROM users WHERE id = ?", ids[0]) == []
    # Not old enough: kept. Then everything deleted before now.
    assert "0 user(s)" in _ok(db, "user", "purge", "--tenant", tenant_name, "--older-than", "1")
    assert len(_rows(db, "SELECT * FROM users WHERE id = ?", ids[1])) == 1
    assert _json(db, "user", "purge", "--tenant", tenant_name, "--older-than", "0") == {
        "totalPurged": 1,
        "purged": [ids[1]],
    }
    assert _rows(db, "SELECT * FROM users WHERE id = ?", ids[1]) == []
    assert len(_rows(db, "SELECT * FROM users WHERE id = ?", ids[2])) == 1  # live: untouched
    assert client.get(f"/Users/{ids[2]}").status_code == 200
    assert "either" in _fails(db, "user", "purge", "--tenant", tenant_name)
    assert "either" in _fails(
        db, "user", "purge", "--tenant", tenant_name, ids[2], "--older-than", "3"
    )
    log = _json(db, "audit", "--tenant", tenant_name)
    assert [(e["operation"], e["resourceId"]) for e in log if e["operation"] == "purge"] == [
        ("purge", ids[0]),
        ("purge", ids[1]),
    ]


def test_scim_writes_are_audited_with_key_id_address_and_attribute_names(
    server: Server, tenant_name: str
) -> None:
    token = server.tenant(tenant_name)
    key_id = base64.b64decode(token).decode().split(":", 1)[0]
    client = Client(server, token)
    proxied = {"X-Forwarded-For": "198.51.100.23"}  # uvicorn trusts 127.0.0.1 as a proxy
    uid = client.post(
        "/Users",
        json=_user("cy@example.com", name={"givenName": "Cy"}, password="Sup3r-secret!"),
        headers=proxied,
    ).json()["id"]
    patch = {
        "Operations": [
            {"op": "replace", "path": "name.givenName", "value": "Cyril"},
            {"op": "add", "path": f"{ENT}:department", "value": "R&D"},
        ]
    }
    assert client.patch(f"/Users/{uid}", json=patch).status_code == 200
    assert client.patch(f"/Users/{uid}", json=patch).status_code == 200  # no change: no line
    assert client.put(f"/Users/{uid}", json=_user("cy@example.com")).status_code == 200
    gid = client.post("/Groups", json={"displayName": "ops", "members": [{"value": uid}]}).json()[
        "id"
    ]
    assert (
        client.patch(
            f"/Groups/{gid}",
            json={"Operations": [{"op": "remove", "path": f'members[value eq "{uid}"]'}]},
        ).status_code
        == 204
    )
    assert client.delete(f"/Groups/{gid}").status_code == 204
    assert client.delete(f"/Users/{uid}").status_code == 204
    log = _json(db := server.db, "audit", "--tenant", tenant_name)
    scim = [e for e in log if e["actor"]["kind"] == "scim-key"]
    assert [(e["operation"], e["resourceType"], e["attributes"]) for e in scim] == [
        ("create", "User", ["name", "userName"]),
        ("patch", "User", ["name.givenName", f"{ENT}:department"]),
        ("replace", "User", ["name", f"{ENT}:department"]),
        ("create", "Group", ["displayName", "members"]),
        ("patch", "Group", ["members"]),
        ("delete", "Group", []),
        ("delete", "User", []),
    ]
    assert {e["actor"]["id"] for e in scim} == {key_id}
    assert scim[0]["actor"]["address"] == "198.51.100.23"
    assert {e["actor"]["address"] for e in scim[1:]} == {"127.0.0.1"}
    assert all(e["resourceId"] in (uid, gid) for e in scim)
    text = _ok(db, "audit", "--tenant", tenant_name)
    assert f"scim-key:{key_id}" in text and "Sup3r-secret" not in text and "Cyril" not in text
    if isinstance(db, Path):  # the SQLite file and its journal, byte for byte
        raw = database.file_bytes(db)
        assert b"Sup3r-secret" not in raw  # the password is never stored, audit included
    assert "Sup3r-secret" not in database.dump(db)
    # --since filters by time; the other tenant's log is not mixed in.
    since = scim[3]["at"]
    assert [
        e["operation"] for e in _json(db, "audit", "--tenant", tenant_name, "--since", since)
    ] == ["create", "patch", "delete", "delete"]
    assert "ISO 8601" in _fails(db, "audit", "--tenant", tenant_name, "--since", "last week")


def test_audit_logs_are_per_tenant(server: Server, tenant_name: str) -> None:
    a = Client(server, server.tenant(tenant_name + "a"))
    server.tenant(tenant_name + "b")
    a.post("/Users", json=_user("only-in-a@example.com"))
    log_b = _json(server.db, "audit", "--tenant", tenant_name + "b")
    assert all(e["resourceType"] != "User" for e in log_b)
    assert {e["resourceId"] for e in log_b if e["resourceType"] == "Tenant"} == {tenant_name + "b"}


def test_key_update_rotate_and_their_errors(server: Server, tenant_name: str) -> None:
    db = server.db
    token = server.tenant(tenant_name)
    key_id = base64.b64decode(token).decode().split(":", 1)[0]
    assert "label='entra'" in _ok(
        db, "key", "update", key_id, "--label", "entra", "--expires", "2030-06-01T12:00:00+02:00"
    )
    [key] = _json(db, "key", "list", "--tenant", tenant_name)
    assert (key["label"], key["expires"], key["status"]) == (
        "entra",
        "2030-06-01T10:00:00.000000Z",
        "active",
    )
    assert "secret" not in key and "token" not in key
    assert "ISO 8601" in _fails(db, "key", "update", key_id, "--expires", "soon")
    assert "nothing to change" in _fails(db, "key", "update", key_id)
    assert "no key" in _fails(db, "key", "update", "sk_nope", "--label", "x")
    rotated = _json(db, "key", "rotate", key_id)
    assert rotated["id"] == key_id and rotated["previousSecretValidUntil"] is None
    assert base64.b64decode(rotated["token"]).decode() == f"{key_id}:{rotated['secret']}"
    assert "valid until" in _ok(db, "key", "rotate", key_id, "--grace", "60")
    assert "30 days" in _fails(db, "key", "rotate", key_id, "--grace", "-5")
    assert "30 days" in _fails(db, "key", "rotate", key_id, "--grace", str(31 * 86400))
    assert "future" in _fails(db, "key", "update", key_id, "--expires", "2001-01-01")
    assert "not both" in _fails(
        db, "key", "update", key_id, "--expires", "2099-01-01", "--no-expiry"
    )
    assert "no key" in _fails(db, "key", "rotate", "sk_nope")
    _ok(db, "key", "revoke", key_id)
    assert "revoked" in _fails(db, "key", "rotate", key_id)
    ops = [
        (e["operation"], e["attributes"])
        for e in _json(db, "audit", "--tenant", tenant_name)
        if e["resourceType"] == "ApiKey"
    ]
    assert ops == [
        ("create", ["secret"]),
        ("update", ["expires", "label"]),
        ("rotate", ["secret"]),
        ("rotate", ["previousValidUntil", "secret"]),
        ("revoke", ["revoked"]),
    ]


def test_admin_tokens_are_created_listed_revoked_and_stored_hashed(
    server: Server, tenant_name: str
) -> None:
    db = server.db
    server.tenant(tenant_name)
    tadmin = _json(db, "admin-token", "create", "--tenant", tenant_name)
    operator = _json(db, "admin-token", "create", "--label", "ops")
    assert tadmin["id"].startswith("sat_") and tadmin["tenant"] == tenant_name
    assert (tadmin["role"], operator["role"]) == ("tenantAdmin", "operator")
    assert operator["id"].startswith("sop_") and operator["tenant"] is None
    for made in (tadmin, operator):
        made_id, secret = base64.b64decode(made["token"]).decode().split(":", 1)
        assert made_id == made["id"] and "secret" not in made  # the admin API's shape
        [(stored,)] = _rows(
            db, "SELECT secret_hash FROM admin_tokens WHERE token_id = ?", made["id"]
        )
        assert len(stored) == 32 and secret.encode() not in stored
    listed = _json(db, "admin-token", "list", "--tenant", tenant_name)
    assert [(t["id"], t["status"]) for t in listed] == [(tadmin["id"], "active")]
    _ok(db, "admin-token", "revoke", tadmin["id"])
    listed = _json(db, "admin-token", "list", "--tenant", tenant_name)
    assert [t["status"] for t in listed] == ["revoked"]
    assert "no admin token" in _fails(db, "admin-token", "revoke", "sat_nope")
    assert "no tenant" in _fails(db, "admin-token", "create", "--tenant", "nope")
    log = [
        (e["operation"], e["resourceId"])
        for e in _json(db, "audit", "--tenant", tenant_name)
        if e["resourceType"] == "AdminToken"
    ]
    assert log == [("create", tadmin["id"]), ("revoke", tadmin["id"])]


def test_tenant_delete_refuses_data_unless_forced(server: Server, tenant_name: str) -> None:
    db = server.db
    token = server.tenant(tenant_name)
    client = Client(server, token)
    client.post("/Users", json=_user("dee@example.com"))
    assert "--force" in _fails(db, "tenant", "delete", tenant_name)
    assert client.get("/Users").status_code == 200  # nothing was deleted
    _ok(db, "tenant", "delete", tenant_name, "--force")
    assert client.get("/Users").status_code == 401
    names = [t["name"] for t in _json(db, "tenant", "list")]
    assert tenant_name not in names
    assert "no tenant" in _fails(db, "tenant", "delete", tenant_name)
    empty = tenant_name + "e"
    server.tenant(empty)
    assert "deleted tenant" in _ok(db, "tenant", "delete", empty)
