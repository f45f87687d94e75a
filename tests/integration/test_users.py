"""Users over HTTP against the live server (RFC 7644 §3.3–§3.6)."""

from __future__ import annotations

from typing import Any

from conftest import Client

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [CORE], "userName": user_name, "active": True, **extra}


def entra_body(user_name: str) -> dict[str, Any]:
    """What Entra ID sends on create (docs/idp-entra.md)."""
    return {
        "schemas": [CORE, ENT],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "displayName": "Test User",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
        "title": None,
        "roles": [],
        ENT: {"employeeNumber": "42", "department": "Sales", "manager": {"value": "boss"}},
    }


def test_create_returns_201_with_id_meta_and_location(client: Client) -> None:
    body = entra_body("Test.User@contoso.com")
    body["id"] = "client-chosen"
    body["password"] = "hunter2!"
    r = client.post("/Users", json=body)
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["id"] and user["id"] != "client-chosen"
    assert r.headers["location"] == user["meta"]["location"]
    assert user["meta"]["location"].endswith(f"/scim/v1/Users/{user['id']}")
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["created"] == user["meta"]["lastModified"]
    assert r.headers["etag"] == user["meta"]["version"]
    assert r.headers["content-type"].startswith("application/scim+json")
    assert "password" not in user
    assert "title" not in user  # null means unassigned
    assert user[ENT]["department"] == "Sales"
    assert user["schemas"] == [CORE, ENT]
    got = client.get(f"/Users/{user['id']}")
    assert got.status_code == 200
    assert got.json() == user


def test_get_unknown_user_is_404_scim_error(client: Client) -> None:
    r = client.get("/Users/does-not-exist")
    assert r.status_code == 404
    assert r.json()["status"] == "404"
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_duplicate_user_name_is_409_uniqueness_case_insensitively(client: Client) -> None:
    assert client.post("/Users", json=user_body("Dup@Example.com")).status_code == 201
    r = client.post("/Users", json=user_body("dup@example.COM"))
    assert r.status_code == 409
    assert r.json()["scimType"] == "uniqueness"
    listed = client.get("/Users", params={"filter": 'userName eq "DUP@example.com"'}).json()
    assert listed["totalResults"] == 1


def test_filter_no_match_is_empty_list_response(client: Client) -> None:
    """Entra's Test Connection: a random userName answers 200 and an empty list."""
    r = client.get(
        "/Users", params={"filter": 'userName eq "9a7c1f6e-2b1c-4a53-9f7d-0f1e2d3c4b5a"'}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert isinstance(body["totalResults"], int) and isinstance(body["startIndex"], int)


def test_filters_on_user_name_external_id_email_and_active(client: Client) -> None:
    a = client.post(
        "/Users",
        json=user_body(
            "alice", externalId="ext-A", emails=[{"value": "alice@work.example", "type": "work"}]
        ),
    ).json()
    b = client.post(
        "/Users",
        json=user_body(
            "bob",
            externalId="ext-B",
            active=False,
            emails=[{"value": "bob@work.example", "type": "work"}],
        ),
    ).json()

    def ids(flt: str) -> set[str]:
        r = client.get("/Users", params={"filter": flt})
        assert r.status_code == 200, r.text
        return {u["id"] for u in r.json()["Resources"]}

    assert ids('userName eq "ALICE"') == {a["id"]}
    assert ids('externalId eq "ext-B"') == {b["id"]}
    assert ids('externalId eq "EXT-B"') == set()  # externalId is caseExact
    assert ids('emails.value eq "bob@work.example"') == {b["id"]}
    assert ids("active eq false") == {b["id"]}
    assert ids('active eq true and userName eq "alice"') == {a["id"]}
    assert ids('active eq true and userName eq "bob"') == set()


def test_malformed_filter_is_400_invalid_filter(client: Client) -> None:
    for bad in ("userName eq", 'userName zz "x"', '(userName eq "x"', 'nosuchattr eq "x"'):
        r = client.get("/Users", params={"filter": bad})
        assert r.status_code == 400, bad
        assert r.json()["scimType"] == "invalidFilter", bad


def test_paging_follows_rfc7644_3_4_2_4(client: Client) -> None:
    made = [client.post("/Users", json=user_body(f"page{i}")).json()["id"] for i in range(5)]
    r = client.get("/Users", params={"startIndex": 0, "count": 2}).json()
    assert r["startIndex"] == 1 and r["itemsPerPage"] == 2 and r["totalResults"] == 5
    assert [u["id"] for u in r["Resources"]] == made[:2]
    r = client.get("/Users", params={"startIndex": 3, "count": 2}).json()
    assert [u["id"] for u in r["Resources"]] == made[2:4]
    r = client.get("/Users", params={"count": 0}).json()
    assert r["totalResults"] == 5 and r["Resources"] == [] and r["itemsPerPage"] == 0
    r = client.get("/Users", params={"count": -3}).json()
    assert r["totalResults"] == 5 and r["Resources"] == []
    r = client.get("/Users", params={"startIndex": 99}).json()
    assert r["totalResults"] == 5 and r["Resources"] == []


def test_put_replaces_the_resource(client: Client) -> None:
    user = client.post("/Users", json=entra_body("put@example.com")).json()
    replacement = {
        "schemas": [CORE],
        "id": user["id"],
        "meta": user["meta"],
        "userName": "put@example.com",
        "active": True,
        "displayName": "Renamed",
    }
    r = client.put(f"/Users/{user['id']}", json=replacement)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["displayName"] == "Renamed"
    assert "emails" not in got and ENT not in got  # PUT replaces
    assert got["meta"]["version"] != user["meta"]["version"]
    assert got["meta"]["created"] == user["meta"]["created"]
    assert client.get(f"/Users/{user['id']}").json() == got


def test_patch_deactivates_and_reactivates_keeping_data(client: Client) -> None:
    user = client.post("/Users", json=entra_body("leaver@example.com")).json()
    uid = user["id"]
    ops = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": False}],
    }
    r = client.patch(f"/Users/{uid}", json=ops)
    assert r.status_code == 200, r.text
    off = r.json()
    assert off["active"] is False
    for key in ("emails", "name", ENT, "externalId", "displayName"):
        assert off[key] == user[key]
    found = client.get("/Users", params={"filter": 'userName eq "leaver@example.com"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["active"] is False
    ops["Operations"] = [{"op": "replace", "value": {"active": True}}]
    on = client.patch(f"/Users/{uid}", json=ops).json()
    assert on["active"] is True and on["emails"] == user["emails"]


def test_patch_add_replace_remove_simple_and_sub_attributes(client: Client) -> None:
    uid = client.post("/Users", json=entra_body("patcher@example.com")).json()["id"]
    ops = [
        {"op": "add", "path": "nickName", "value": "Pat"},
        {"op": "replace", "path": "name.givenName", "value": "Patricia"},
        {"op": "remove", "path": "displayName"},
    ]
    r = client.patch(f"/Users/{uid}", json={"schemas": [], "Operations": ops})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["nickName"] == "Pat"
    assert got["name"]["givenName"] == "Patricia" and got["name"]["familyName"] == "User"
    assert "displayName" not in got


def test_delete_then_every_method_is_404_and_name_is_free_again(client: Client) -> None:
    uid = client.post("/Users", json=user_body("gone@example.com")).json()["id"]
    assert client.delete(f"/Users/{uid}").status_code == 204
    assert client.get(f"/Users/{uid}").status_code == 404
    assert client.put(f"/Users/{uid}", json=user_body("gone@example.com")).status_code == 404
    patch = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert client.patch(f"/Users/{uid}", json=patch).status_code == 404
    assert client.delete(f"/Users/{uid}").status_code == 404
    listed = client.get("/Users", params={"filter": 'userName eq "gone@example.com"'}).json()
    assert listed["totalResults"] == 0
    again = client.post("/Users", json=user_body("gone@example.com"))
    assert again.status_code == 201 and again.json()["id"] != uid


def test_application_json_is_accepted_and_other_types_are_415(client: Client) -> None:
    r = client.post(
        "/Users", content=b'{"userName": "plainjson"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 201
    r = client.post("/Users", content=b"userName=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_malformed_json_is_400_invalid_syntax(client: Client) -> None:
    r = client.post(
        "/Users", content=b'{"userName": ', headers={"Content-Type": "application/scim+json"}
    )
    assert r.status_code == 400
    assert r.json()["scimType"] == "invalidSyntax"


def test_missing_user_name_is_400(client: Client) -> None:
    r = client.post("/Users", json={"schemas": [CORE], "displayName": "no name"})
    assert r.status_code == 400
    assert r.json()["scimType"] == "invalidValue"


def test_unknown_query_parameters_are_ignored(client: Client) -> None:
    r = client.get("/Users", params={"aadOptscim062020": "", "filter": 'userName eq "x"'})
    assert r.status_code == 200


def test_spaces_sent_as_plus_in_filter(client: Client) -> None:
    client.post("/Users", json=user_body("plus@example.com"))
    r = client.http.get("/Users?filter=userName+eq+%22plus%40example.com%22")
    assert r.status_code == 200 and r.json()["totalResults"] == 1
