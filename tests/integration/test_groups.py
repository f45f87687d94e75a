"""Groups over HTTP against the live server (RFC 7643 §4.2; RFC 7644
§3.3–§3.6): create, read, list, filter, replace, delete, uniqueness,
projection, tenant isolation. Membership PATCH forms are in
test_group_membership.py."""

from __future__ import annotations

from typing import Any

from conftest import Client, Server

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def make_user(client: Client, name: str, **extra: Any) -> str:
    r = client.post("/Users", json={"userName": name, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def make_group(
    client: Client, name: str, members: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [GROUP], "displayName": name, **extra}
    if members is not None:
        body["members"] = [{"value": m} for m in members]
    r = client.post("/Groups", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def member_ids(client: Client, group_id: str) -> set[str]:
    r = client.get(f"/Groups/{group_id}")
    assert r.status_code == 200, r.text
    return {m["value"] for m in r.json().get("members", [])}


def test_entra_create_with_extra_schema_uri_and_read_back(client: Client) -> None:
    """Entra ID's POST /Groups (docs/idp-entra.md): the ADSCIM schema URI is tolerated."""
    alice = make_user(client, "alice@contoso.com", displayName="Alice A")
    bob = make_user(client, "bob@contoso.com")
    body = {
        "schemas": [GROUP, ADSCIM],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Sales",
        "meta": {"resourceType": "Group"},
        "id": "client-chosen",
        "members": [{"value": alice}, {"value": bob, "type": "User"}],
    }
    r = client.post("/Groups", json=body)
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["id"] != "client-chosen"
    assert group["schemas"] == [GROUP]
    assert r.headers["location"] == group["meta"]["location"]
    assert group["meta"]["location"].endswith(f"/scim/v1/Groups/{group['id']}")
    assert group["meta"]["resourceType"] == "Group"
    assert r.headers["etag"] == group["meta"]["version"]
    by_id = {m["value"]: m for m in group["members"]}
    base = group["meta"]["location"].rsplit("/Groups/", 1)[0]
    assert by_id[alice] == {
        "value": alice,
        "$ref": f"{base}/Users/{alice}",
        "display": "Alice A",
        "type": "User",
    }
    assert by_id[bob]["display"] == "bob@contoso.com"  # no displayName: the userName
    assert client.get(f"/Groups/{group['id']}").json() == group


def test_members_show_who_they_are_as_they_are_now(client: Client) -> None:
    """``members[].display`` (RFC 7643 §4.2): the member's ``displayName``,
    else its ``userName``, read with the members (a join in the store), so
    it follows a rename; a member added by PATCH as Entra ID adds one
    (``value`` only) shows it too, and a nested group shows its name."""
    carol = make_user(client, "carol@contoso.com", displayName="Carol C")
    dave = make_user(client, "dave@contoso.com")
    inner = make_group(client, "Inner team")
    group = make_group(client, "Displayed", [carol])
    r = client.patch(
        f"/Groups/{group['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": dave}, {"value": inner["id"]}]}
            ],
        },
    )
    assert r.status_code in (200, 204), r.text
    rename = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Carol Renamed"}],
    }
    assert client.patch(f"/Users/{carol}", json=rename).status_code in (200, 204)
    got = client.get(f"/Groups/{group['id']}").json()
    assert {m["value"]: m["display"] for m in got["members"]} == {
        carol: "Carol Renamed",
        dave: "dave@contoso.com",
        inner["id"]: "Inner team",
    }
    listed = client.get("/Groups", params={"filter": 'displayName eq "Displayed"'}).json()
    assert listed["Resources"][0]["members"] == got["members"]
    lean = client.get(f"/Groups/{group['id']}", params={"excludedAttributes": "members"}).json()
    assert "members" not in lean


def test_display_name_is_unique_case_insensitively_and_free_after_delete(client: Client) -> None:
    first = make_group(client, "Engineering")
    r = client.post("/Groups", json={"schemas": [GROUP], "displayName": "ENGINEERING"})
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
    other = make_group(client, "Other")
    r = client.put(f"/Groups/{other['id']}", json={"displayName": "engineering"})
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
    r = client.patch(
        f"/Groups/{other['id']}",
        json={"Operations": [{"op": "replace", "path": "displayName", "value": "EngineerinG"}]},
    )
    assert r.status_code == 409
    assert client.get(f"/Groups/{other['id']}").json()["displayName"] == "Other"
    assert client.delete(f"/Groups/{first['id']}").status_code == 204
    assert make_group(client, "engineering")["id"] != first["id"]


def test_missing_display_name_is_400(client: Client) -> None:
    r = client.post("/Groups", json={"schemas": [GROUP], "members": []})
    assert r.status_code == 400 and r.json()["schemas"] == [ERROR]


def test_filters_entra_and_okta_send(client: Client) -> None:
    sales = make_group(client, "Sales", externalId="ext-1")
    make_group(client, "Sales EMEA", externalId="ext-2")

    def found(flt: str) -> list[str]:
        r = client.get("/Groups", params={"filter": flt, "excludedAttributes": "members"})
        assert r.status_code == 200, (flt, r.text)
        return [g["displayName"] for g in r.json()["Resources"]]

    # Entra's Test Connection for groups: a random displayName → 200, empty list.
    assert found('displayName eq "4f7b4c3e-0b4e-4a8e-9a0e-3b3c2c1d0e0f"') == []
    assert found('displayName eq "sales"') == ["Sales"]
    assert found('externalId eq "ext-1"') == ["Sales"]
    assert found('externalId eq "EXT-1"') == []  # externalId is caseExact
    assert found('displayName sw "sales"') == ["Sales", "Sales EMEA"]
    assert found(f'id eq "{sales["id"]}" and displayName co "ale"') == ["Sales"]
    r = client.get("/Groups", params={"filter": 'displayName eq "Sales"', "attributes": "id"})
    assert r.json()["Resources"] == [{"schemas": [GROUP], "id": sales["id"]}]
    for bad in ("displayName eq", 'userName eq "x"', 'members.$ref eq "x"'):
        r = client.get("/Groups", params={"filter": bad})
        assert r.status_code == 400 and r.json()["scimType"] == "invalidFilter", bad


def test_sorting_and_paging(client: Client) -> None:
    for name in ("delta", "Alpha", "charlie", "Bravo"):
        make_group(client, name)
    r = client.get("/Groups", params={"sortBy": "displayName", "startIndex": 2, "count": 2})
    body = r.json()
    assert body["totalResults"] == 4 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert [g["displayName"] for g in body["Resources"]] == ["Bravo", "charlie"]
    r = client.get("/Groups", params={"sortBy": "displayName", "sortOrder": "descending"})
    assert [g["displayName"] for g in r.json()["Resources"]] == [
        "delta",
        "charlie",
        "Bravo",
        "Alpha",
    ]
    r = client.get("/Groups", params={"sortBy": "members.value"})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_put_replaces_attributes_and_members(client: Client) -> None:
    a, b, c = (make_user(client, n) for n in ("a", "b", "c"))
    group = make_group(client, "Team", [a, b], externalId="x")
    replacement = {
        "schemas": [GROUP],
        "id": group["id"],
        "meta": group["meta"],
        "displayName": "Team 2",
        "members": [{"value": b}, {"value": c}],
    }
    r = client.put(f"/Groups/{group['id']}", json=replacement)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["displayName"] == "Team 2" and "externalId" not in got
    assert {m["value"] for m in got["members"]} == {b, c}
    assert got["meta"]["version"] != group["meta"]["version"]
    assert client.get(f"/Groups/{group['id']}").json() == got
    r = client.put(f"/Groups/{group['id']}", json={"displayName": "Team 2"})
    assert r.status_code == 200 and "members" not in r.json()  # PUT without members: none


def test_etags_if_none_match_and_if_match(client: Client) -> None:
    group = make_group(client, "Tagged")
    gid, tag = group["id"], group["meta"]["version"]
    r = client.get(f"/Groups/{gid}", headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.headers["etag"] == tag
    r = client.patch(
        f"/Groups/{gid}",
        headers={"If-Match": 'W/"999"'},
        json={"Operations": [{"op": "replace", "path": "displayName", "value": "X"}]},
    )
    assert r.status_code == 412
    r = client.delete(f"/Groups/{gid}", headers={"If-Match": 'W/"999"'})
    assert r.status_code == 412
    r = client.patch(
        f"/Groups/{gid}",
        headers={"If-Match": tag},
        json={"Operations": [{"op": "replace", "path": "displayName", "value": "X"}]},
    )
    assert r.status_code == 204 and r.headers["etag"] != tag
    assert client.get(f"/Groups/{gid}", headers={"If-None-Match": tag}).status_code == 200
    assert (
        client.delete(f"/Groups/{gid}", headers={"If-Match": r.headers["etag"]}).status_code == 204
    )


def test_delete_then_every_method_is_404(client: Client) -> None:
    gid = make_group(client, "Gone")["id"]
    assert client.delete(f"/Groups/{gid}").status_code == 204
    assert client.get(f"/Groups/{gid}").status_code == 404
    assert client.put(f"/Groups/{gid}", json={"displayName": "Gone"}).status_code == 404
    patch = {"Operations": [{"op": "replace", "path": "displayName", "value": "Back"}]}
    assert client.patch(f"/Groups/{gid}", json=patch).status_code == 404
    assert client.delete(f"/Groups/{gid}").status_code == 404
    assert (
        client.get("/Groups", params={"filter": 'displayName eq "Gone"'}).json()["totalResults"]
        == 0
    )


def test_excluded_members_and_attribute_projection(client: Client) -> None:
    users = [make_user(client, f"p{i}") for i in range(3)]
    group = make_group(client, "Projected", users)
    gid = group["id"]
    lean = client.get(f"/Groups/{gid}", params={"excludedAttributes": "members"}).json()
    assert "members" not in lean and lean["displayName"] == "Projected" and lean["id"] == gid
    assert lean == {k: v for k, v in group.items() if k != "members"}
    only = client.get(f"/Groups/{gid}", params={"attributes": "members.value"}).json()
    assert only == {"schemas": [GROUP], "id": gid, "members": [{"value": u} for u in sorted(users)]}
    listed = client.get("/Groups", params={"attributes": "displayName"}).json()["Resources"]
    assert listed == [{"schemas": [GROUP], "id": gid, "displayName": "Projected"}]
    searched = client.post(
        "/Groups/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName eq "projected"',
            "excludedAttributes": ["members"],
        },
    ).json()
    assert searched["totalResults"] == 1 and "members" not in searched["Resources"][0]


def test_search_all_covers_users_and_groups(client: Client) -> None:
    uid = make_user(client, "shared", displayName="Shared")
    gid = make_group(client, "Shared")["id"]
    r = client.post("/.search", json={"filter": 'displayName eq "shared"'})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["Resources"]] == [uid, gid]
    r = client.post("/.search", json={"filter": 'displayName eq "shared"', "startIndex": 2})
    assert r.json()["totalResults"] == 2 and [x["id"] for x in r.json()["Resources"]] == [gid]
    r = client.post("/.search", json={"filter": 'userName eq "shared"'})
    assert [x["id"] for x in r.json()["Resources"]] == [uid]  # Groups have no userName


def test_tenants_cannot_see_or_touch_each_others_groups(
    server: Server, client: Client, tenant_name: str
) -> None:
    other = Client(server, server.tenant(tenant_name + "b"))
    mine_user = make_user(client, "mine")
    theirs_user = make_user(other, "theirs")
    mine = make_group(client, "Same Name", [mine_user])
    theirs = make_group(other, "Same Name", [theirs_user])  # names are per tenant
    assert other.get(f"/Groups/{mine['id']}").status_code == 404
    assert other.delete(f"/Groups/{mine['id']}").status_code == 404
    patch = {"Operations": [{"op": "add", "path": "members", "value": [{"value": theirs_user}]}]}
    assert other.patch(f"/Groups/{mine['id']}", json=patch).status_code == 404
    # A member must be of the same tenant: 400 invalidValue, nothing applied.
    r = client.patch(f"/Groups/{mine['id']}", json=patch)
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    r = client.post("/Groups", json={"displayName": "Mixed", "members": [{"value": theirs["id"]}]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    assert member_ids(client, mine["id"]) == {mine_user}
    listed = other.get("/Groups").json()
    assert [g["id"] for g in listed["Resources"]] == [theirs["id"]]
    r = other.get("/Groups", params={"filter": f'members.value eq "{mine_user}"'})
    assert r.json()["totalResults"] == 0
    r = other.get("/Users", params={"filter": f'groups.value eq "{mine["id"]}"'})
    assert r.json()["totalResults"] == 0


def test_okta_rename_repeats_the_id_in_the_value(client: Client) -> None:
    """Okta's group rename: {"op":"replace","value":{"id":..,"displayName":..}}
    (Okta SCIM 2.0 Protocol Reference, "Update a specific group name")."""
    gid = make_group(client, "Old Name")["id"]
    r = client.patch(
        f"/Groups/{gid}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"id": gid, "displayName": "New Name"}}],
        },
    )
    assert r.status_code == 204, r.text
    assert client.get(f"/Groups/{gid}").json()["displayName"] == "New Name"
