"""Group membership over HTTP: every form Entra ID and Okta send
(docs/idp-entra.md, docs/idp-okta.md), RFC 7644 §3.5.2 PATCH semantics and answers (204, or 200
with a projection), nested groups and the users' derived ``groups``
(RFC 7643 §4.1.2), and what deletes do to memberships."""

from __future__ import annotations

from typing import Any

import pytest
from test_groups import make_group, make_user, member_ids

from conftest import Client

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch(client: Client, gid: str, *ops: dict[str, Any], **params: str) -> Any:
    return client.patch(
        f"/Groups/{gid}", json={"schemas": [PATCH_OP], "Operations": list(ops)}, params=params
    )


@pytest.fixture
def people(client: Client) -> list[str]:
    return [make_user(client, f"member{i}@contoso.com") for i in range(5)]


def test_entra_add_with_value_array_ignores_duplicates(client: Client, people: list[str]) -> None:
    gid = make_group(client, "Add", people[:1])["id"]
    r = patch(
        client,
        gid,
        {
            "op": "Add",
            "path": "members",
            "value": [
                {"value": people[1]},
                {"value": people[0]},
                {"value": people[2]},
                {"value": people[1]},
            ],
        },
    )
    assert r.status_code == 204, r.text
    assert r.content == b"" and r.headers["etag"] == 'W/"2"'
    assert member_ids(client, gid) == set(people[:3])
    # Entra ID re-sends the same membership every cycle: no change, same version.
    again = patch(
        client,
        gid,
        {"op": "Add", "path": "members", "value": [{"value": people[2]}]},
        {"op": "remove", "path": f'members[value eq "{people[4]}"]'},
    )
    assert again.status_code == 204 and again.headers["etag"] == 'W/"2"'
    r = client.put(
        f"/Groups/{gid}",
        json={"displayName": "Add", "members": [{"value": p} for p in reversed(people[:3])]},
    )
    assert r.status_code == 200 and r.json()["meta"]["version"] == 'W/"2"'


def test_entra_remove_with_value_array_removes_only_those_listed(
    client: Client, people: list[str]
) -> None:
    gid = make_group(client, "Entra remove", people)["id"]
    r = patch(
        client,
        gid,
        {"op": "Remove", "path": "members", "value": [{"value": people[1]}, {"value": people[3]}]},
    )
    assert r.status_code == 204, r.text
    assert member_ids(client, gid) == {people[0], people[2], people[4]}


def test_remove_with_value_filter_and_ored_filter(client: Client, people: list[str]) -> None:
    gid = make_group(client, "Filter remove", people)["id"]
    assert (
        patch(client, gid, {"op": "remove", "path": f'members[value eq "{people[0]}"]'}).status_code
        == 204
    )
    assert member_ids(client, gid) == set(people[1:])
    flt = f'members[value eq "{people[1]}" or value eq "{people[2].upper()}"]'
    assert patch(client, gid, {"op": "remove", "path": flt}).status_code == 204
    assert member_ids(client, gid) == set(people[3:])  # members.value is caseExact=false
    r = patch(client, gid, {"op": "remove", "path": 'members[value eq "not-a-member"]'})
    assert r.status_code == 204 and member_ids(client, gid) == set(people[3:])


def test_remove_members_without_value_clears_all(client: Client, people: list[str]) -> None:
    gid = make_group(client, "Clear", people)["id"]
    r = patch(client, gid, {"op": "remove", "path": "members"}, excludedAttributes="members")
    assert r.status_code == 200 and "members" not in r.json()
    assert member_ids(client, gid) == set()
    assert client.get(f"/Groups/{gid}").json()["displayName"] == "Clear"


def test_okta_remove_then_add_in_one_request_applies_in_order(
    client: Client, people: list[str]
) -> None:
    gid = make_group(client, "Okta", people[:2])["id"]
    r = patch(
        client,
        gid,
        {"op": "remove", "path": f'members[value eq "{people[0]}"]'},
        {
            "op": "add",
            "path": "members",
            "value": [
                {"value": people[2], "display": "Member Two"},
                {"value": people[0], "display": "member0@contoso.com"},
            ],
        },
        {"op": "remove", "path": f'members[value eq "{people[1]}"]'},
    )
    assert r.status_code == 204, r.text
    assert member_ids(client, gid) == {people[0], people[2]}  # removed, then added back
    members = {m["value"]: m for m in client.get(f"/Groups/{gid}").json()["members"]}
    assert members[people[2]]["display"] == "Member Two"  # RFC 7643 §2.4: as given


def test_replace_sets_exactly_the_list(client: Client, people: list[str]) -> None:
    gid = make_group(client, "Replace", people[:3])["id"]
    r = patch(
        client,
        gid,
        {"op": "replace", "path": "members", "value": [{"value": people[2]}, {"value": people[4]}]},
    )
    assert r.status_code == 204
    assert member_ids(client, gid) == {people[2], people[4]}
    r = patch(
        client,
        gid,
        {"op": "replace", "value": {"displayName": "Renamed", "members": [{"value": people[0]}]}},
    )
    assert r.status_code == 204
    group = client.get(f"/Groups/{gid}").json()
    assert group["displayName"] == "Renamed" and [m["value"] for m in group["members"]] == [
        people[0]
    ]


@pytest.mark.parametrize("bad", ["unknown", "other-tenant", "deleted", "wrong-type", "no-value"])
def test_bad_member_is_400_and_nothing_is_applied(
    client: Client, people: list[str], server: Any, tenant_name: str, bad: str
) -> None:
    group = make_group(client, "Atomic", people[:2])
    gid = group["id"]
    value: dict[str, Any] = {"value": "7f0e5a2c-0000-4000-8000-000000000000"}
    if bad == "other-tenant":
        other = Client(server, server.tenant(tenant_name + "o"))
        value = {"value": make_user(other, "elsewhere")}
    elif bad == "deleted":
        gone = make_user(client, "gone")
        assert client.delete(f"/Users/{gone}").status_code == 204
        value = {"value": gone}
    elif bad == "wrong-type":
        value = {"value": people[3], "type": "Group"}
    elif bad == "no-value":
        value = {"type": "User"}  # a member needs its id
    r = patch(
        client,
        gid,
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "remove", "path": f'members[value eq "{people[0]}"]'},
        {"op": "add", "path": "members", "value": [{"value": people[4]}, value]},
    )
    assert r.status_code == 400, r.text
    assert r.json()["scimType"] == "invalidValue" and "Operations[2]" in r.json()["detail"]
    after = client.get(f"/Groups/{gid}").json()
    assert after == group  # same name, members and version: all or nothing


def test_patch_answers_200_with_the_projection_asked_for(client: Client, people: list[str]) -> None:
    gid = make_group(client, "Answers")["id"]
    add = {"op": "add", "path": "members", "value": [{"value": people[0]}]}
    r = patch(client, gid, add, attributes="members")
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == r.json().get("meta", {}).get("version", r.headers["etag"])
    assert [m["value"] for m in r.json()["members"]] == [people[0]]
    assert "displayName" not in r.json()
    r = patch(
        client,
        gid,
        {"op": "replace", "path": "displayName", "value": "New"},
        excludedAttributes="members",
    )
    assert r.status_code == 200 and r.json()["displayName"] == "New" and "members" not in r.json()
    assert r.json()["meta"]["version"] == r.headers["etag"] == 'W/"3"'


def test_nested_groups_give_users_direct_and_indirect_groups(
    client: Client, people: list[str]
) -> None:
    inner = make_group(client, "Inner", people[:2])
    outer = make_group(client, "Outer", [people[2]])
    r = patch(
        client,
        outer["id"],
        {"op": "add", "path": "members", "value": [{"value": inner["id"], "type": "Group"}]},
    )
    assert r.status_code == 204, r.text
    members = {m["value"]: m for m in client.get(f"/Groups/{outer['id']}").json()["members"]}
    assert members[inner["id"]]["type"] == "Group" and members[inner["id"]]["display"] == "Inner"
    assert members[inner["id"]]["$ref"].endswith(f"/Groups/{inner['id']}")

    user = client.get(f"/Users/{people[0]}").json()
    groups = {g["value"]: g for g in user["groups"]}
    assert groups[inner["id"]]["type"] == "direct" and groups[outer["id"]]["type"] == "indirect"
    assert groups[outer["id"]]["display"] == "Outer"
    assert groups[outer["id"]]["$ref"].endswith(f"/Groups/{outer['id']}")
    direct_too = client.get(f"/Users/{people[2]}").json()["groups"]
    assert [(g["value"], g["type"]) for g in direct_too] == [(outer["id"], "direct")]
    assert "groups" not in client.get(f"/Users/{people[4]}").json()
    lean = client.get(f"/Users/{people[0]}", params={"excludedAttributes": "groups"}).json()
    assert "groups" not in lean
    page = client.get("/Users", params={"filter": 'userName sw "member"'}).json()["Resources"]
    assert {len(u.get("groups", [])) for u in page} == {0, 1, 2}

    def users_in(flt: str) -> set[str]:
        r = client.get("/Users", params={"filter": flt})
        assert r.status_code == 200, (flt, r.text)
        return {u["id"] for u in r.json()["Resources"]}

    assert users_in(f'groups.value eq "{outer["id"]}"') == set(people[:3])
    assert users_in(f'groups[value eq "{outer["id"]}" and type eq "direct"]') == {people[2]}
    assert users_in('groups.display eq "inner"') == set(people[:2])
    assert users_in("groups pr") == set(people[:3])
    assert users_in("not (groups pr)") == set(people[3:])


def test_groups_sent_on_users_stay_ignored(client: Client) -> None:
    gid = make_group(client, "Claimed")["id"]
    r = client.post("/Users", json={"userName": "claims", "groups": [{"value": gid}]})
    assert r.status_code == 201 and "groups" not in r.json()
    uid = r.json()["id"]
    r = client.put(f"/Users/{uid}", json={"userName": "claims", "groups": [{"value": gid}]})
    assert r.status_code == 200 and "groups" not in r.json()
    assert member_ids(client, gid) == set()


def test_deleting_users_and_groups_removes_their_memberships(
    client: Client, people: list[str]
) -> None:
    inner = make_group(client, "Inner", people[:2])
    outer = make_group(client, "Outer", [inner["id"], people[2]])
    before = client.get(f"/Groups/{inner['id']}").json()["meta"]["version"]
    assert client.delete(f"/Users/{people[0]}").status_code == 204
    got = client.get(f"/Groups/{inner['id']}").json()
    assert {m["value"] for m in got["members"]} == {people[1]}
    assert got["meta"]["version"] != before  # the group changed: new ETag
    assert client.delete(f"/Groups/{inner['id']}").status_code == 204
    assert member_ids(client, outer["id"]) == {people[2]}
    assert "groups" not in client.get(f"/Users/{people[1]}").json()
    # A new user or group never inherits a deleted one's memberships.
    again = make_group(client, "Inner")
    assert member_ids(client, again["id"]) == set()


def test_a_group_cannot_contain_itself(client: Client) -> None:
    gid = make_group(client, "Self")["id"]
    r = patch(client, gid, {"op": "add", "path": "members", "value": [{"value": gid}]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_other_member_filters_take_the_slow_path_with_the_same_rules(
    client: Client, people: list[str]
) -> None:
    inner = make_group(client, "Sub")
    gid = make_group(client, "Mixed", [*people[:2], inner["id"]])["id"]
    assert (
        patch(client, gid, {"op": "remove", "path": 'members[type eq "User"]'}).status_code == 204
    )
    assert member_ids(client, gid) == {inner["id"]}
    r = patch(
        client,
        gid,
        {"op": "replace", "path": f'members[value eq "{inner["id"]}"].type', "value": "User"},
    )
    assert r.status_code == 400 and r.json()["scimType"] == "mutability"
    r = patch(client, gid, {"op": "add", "path": "members.value", "value": people[3]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidPath"
    r = patch(
        client,
        gid,
        {"op": "add", "path": f'members[value eq "{people[3]}"]', "value": {"type": "User"}},
    )
    assert r.status_code == 204, r.text
    assert member_ids(client, gid) == {inner["id"], people[3]}
