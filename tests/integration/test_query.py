"""RFC 7644 queries over HTTP: the filter grammar, sorting, paging,
projection and search, run by the real server against SQLite."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from conftest import Client, Server

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _people(client: Client) -> dict[str, str]:
    """Four users with varied attributes; name → id."""
    specs: list[dict[str, Any]] = [
        {
            "userName": "ann@contoso.com",
            "externalId": "e-1",
            "active": True,
            "name": {"familyName": "Archer", "givenName": "Ann"},
            "title": "Engineer",
            "emails": [
                {"value": "ann@contoso.com", "type": "work", "primary": True},
                {"value": "ann@home.example", "type": "home"},
            ],
            ENT: {"department": "R&D", "employeeNumber": "100"},
        },
        {
            "userName": "Bob@Contoso.com",
            "externalId": "e-2",
            "active": False,
            "name": {"familyName": "Baker", "givenName": "Bob"},
            "emails": [{"value": "bob@fabrikam.example", "type": "work"}],
            ENT: {"department": "Sales"},
        },
        {
            "userName": "cy@contoso.com",
            "externalId": "E-3",
            "active": True,
            "name": {"familyName": "Cole"},
            "nickName": "Cy",
            ENT: {"department": "sales"},
        },
        {"userName": "dee@fabrikam.example", "active": True, "displayName": "Dée"},
    ]
    ids = {}
    for spec in specs:
        r = client.post("/Users", json={"schemas": [CORE, ENT], **spec})
        assert r.status_code == 201, r.text
        ids[spec["userName"].split("@")[0].lower()] = r.json()["id"]
    return ids


@pytest.fixture
def people(client: Client) -> dict[str, str]:
    """The four users in the test's own tenant, for tests that write."""
    return _people(client)


@pytest.fixture(scope="module")
def reader(server: Server) -> Client:
    """A tenant shared by the tests of this module that only read. Named
    anew at each set-up: pytest-xdist's work stealing can run a module's
    tests on one worker in two runs, each setting this up on the worker's
    one server."""
    return Client(server, server.tenant(f"query-reader-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="module")
def directory(reader: Client) -> dict[str, str]:
    """The four users in :func:`reader`'s tenant, made once: nothing changes them."""
    return _people(reader)


def found(client: Client, flt: str, **params: Any) -> list[str]:
    r = client.get("/Users", params={"filter": flt, **params})
    assert r.status_code == 200, (flt, r.text)
    return [u["id"] for u in r.json()["Resources"]]


@pytest.mark.parametrize(
    "flt,expected",
    [
        ('userName eq "BOB@contoso.COM"', ["bob"]),
        ('userName ne "bob@contoso.com"', ["ann", "cy", "dee"]),
        ('userName co "CONTOSO"', ["ann", "bob", "cy"]),
        ('userName sw "b"', ["bob"]),
        ('userName ew ".example"', ["dee"]),
        ("nickName pr", ["cy"]),
        ("not (nickName pr)", ["ann", "bob", "dee"]),
        ('name.familyName gt "B"', ["bob", "cy"]),
        ('name.familyName le "Baker"', ["ann", "bob"]),
        ('externalId eq "e-3"', []),
        ('externalId eq "E-3"', ["cy"]),
        ("active eq false", ["bob"]),
        ('active eq true and (title eq "Engineer" or nickName eq "cy")', ["ann", "cy"]),
        ('userName sw "a" or userName sw "c" and active eq false', ["ann"]),
        (f'{ENT}:department eq "sales"', ["bob", "cy"]),
        ('emails[type eq "work" and value co "@fabrikam"]', ["bob"]),
        ('emails[type eq "home"].value eq "ann@home.example"', ["ann"]),
        ('emails.value ew "example"', ["ann", "bob"]),
        ('emails co "fabrikam"', ["bob"]),
        ('displayName eq "dée"', ["dee"]),
        ('USERNAME EQ "cy@contoso.com"', ["cy"]),
    ],
)
def test_filter_grammar_over_http(
    reader: Client, directory: dict[str, str], flt: str, expected: list[str]
) -> None:
    assert sorted(found(reader, flt)) == sorted(directory[n] for n in expected)


def test_filter_on_meta_timestamps(reader: Client, directory: dict[str, str]) -> None:
    ann = reader.get(f"/Users/{directory['ann']}").json()
    created = ann["meta"]["created"]
    later = found(reader, f'meta.created gt "{created}"')
    assert directory["ann"] not in later and directory["dee"] in later
    assert found(reader, f'meta.lastModified ge "{created}" and userName sw "ann"') == [
        directory["ann"]
    ]


@pytest.mark.parametrize(
    "flt",
    [
        "active gt true",
        "userName eq",
        '(userName eq "x"',
        'userName eq "x" and',
        'emails[type eq "work"',
        "nosuch pr",
        'name.nosuch eq "x"',
        "userName eq x",
        "(" * 40 + 'userName eq "x"' + ")" * 40,
    ],
)
def test_bad_filters_are_400_invalid_filter(reader: Client, flt: str) -> None:
    r = reader.get("/Users", params={"filter": flt})
    assert r.status_code == 400, flt
    assert r.json()["scimType"] == "invalidFilter", (flt, r.json())


def test_sort_by_any_attribute_and_order(reader: Client, directory: dict[str, str]) -> None:
    asc = reader.get("/Users", params={"sortBy": "name.familyName"}).json()["Resources"]
    assert [u["id"] for u in asc][:3] == [directory["ann"], directory["bob"], directory["cy"]]
    desc = reader.get("/Users", params={"sortBy": "userName", "sortOrder": "descending"})
    names = [u["userName"].casefold() for u in desc.json()["Resources"]]
    assert names == sorted(names, reverse=True)
    bad = reader.get("/Users", params={"sortBy": "nosuch"})
    assert bad.status_code == 400


def test_paging_through_an_unchanging_directory_sees_each_row_once(client: Client) -> None:
    made = {client.post("/Users", json={"userName": f"p{i:02d}"}).json()["id"] for i in range(23)}
    seen: list[str] = []
    start = 1
    while True:
        page = client.get(
            "/Users", params={"startIndex": start, "count": 5, "sortBy": "userName"}
        ).json()
        seen += [u["id"] for u in page["Resources"]]
        if not page["Resources"]:
            break
        start += page["itemsPerPage"]
    assert len(seen) == len(set(seen)) == 23 and set(seen) == made


def test_projection_on_get_list_and_write(client: Client, people: dict[str, str]) -> None:
    uid = people["ann"]
    only = client.get(f"/Users/{uid}", params={"attributes": "userName,name.givenName"}).json()
    assert set(only) == {"schemas", "id", "userName", "name"}
    assert only["name"] == {"givenName": "Ann"}
    without = client.get(f"/Users/{uid}", params={"excludedAttributes": f"emails,{ENT}"}).json()
    assert "emails" not in without and ENT not in without and without["userName"]
    assert without["schemas"] == [CORE]
    ent = client.get(f"/Users/{uid}", params={"attributes": f"{ENT}:department"}).json()
    assert ent[ENT] == {"department": "R&D"}
    listed = client.get("/Users", params={"attributes": "userName", "filter": 'userName sw "a"'})
    assert [set(u) for u in listed.json()["Resources"]] == [{"schemas", "id", "userName"}]
    patched = client.patch(
        f"/Users/{uid}",
        params={"attributes": "title"},
        json={"Operations": [{"op": "replace", "path": "title", "value": "CTO"}]},
    )
    assert set(patched.json()) == {"schemas", "id", "title"}


def test_search_endpoints(reader: Client, directory: dict[str, str]) -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName co "contoso"',
        "sortBy": "userName",
        "startIndex": 2,
        "count": 1,
        "attributes": ["userName"],
    }
    r = reader.post("/Users/.search", json=body)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["totalResults"] == 3 and res["startIndex"] == 2
    assert [u["id"] for u in res["Resources"]] == [directory["bob"]]
    assert set(res["Resources"][0]) == {"schemas", "id", "userName"}
    root = reader.post("/.search", json={"filter": 'userName eq "cy@contoso.com"'}).json()
    assert [u["id"] for u in root["Resources"]] == [directory["cy"]]
    bad = reader.post("/.search", json={"filter": "nosuch pr"})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_etags_if_match_and_if_none_match(client: Client) -> None:
    r = client.post("/Users", json={"userName": "etag@example.com"})
    uid, v1 = r.json()["id"], r.headers["etag"]
    assert client.get(f"/Users/{uid}", headers={"If-None-Match": v1}).status_code == 304
    patch = {"Operations": [{"op": "replace", "path": "title", "value": "x"}]}
    r2 = client.patch(f"/Users/{uid}", json=patch, headers={"If-Match": v1})
    assert r2.status_code == 200
    v2 = r2.headers["etag"]
    assert v2 != v1 and r2.json()["meta"]["version"] == v2
    assert client.get(f"/Users/{uid}", headers={"If-None-Match": v1}).status_code == 200
    stale = client.patch(f"/Users/{uid}", json=patch, headers={"If-Match": v1})
    assert stale.status_code == 412
    assert (
        client.put(
            f"/Users/{uid}", json={"userName": "etag@example.com"}, headers={"If-Match": v1}
        ).status_code
        == 412
    )
    assert client.delete(f"/Users/{uid}", headers={"If-Match": v1}).status_code == 412
    assert client.get(f"/Users/{uid}").headers["etag"] == v2
    assert client.delete(f"/Users/{uid}", headers={"If-Match": v2}).status_code == 204


def test_patch_is_all_or_nothing(client: Client) -> None:
    user = client.post("/Users", json={"userName": "atomic@example.com", "title": "A"}).json()
    ops = [
        {"op": "replace", "path": "title", "value": "B"},
        {"op": "replace", "path": "active", "value": "not-a-boolean"},
    ]
    r = client.patch(f"/Users/{user['id']}", json={"Operations": ops})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    assert client.get(f"/Users/{user['id']}").json() == user


@pytest.mark.parametrize(
    "op,scim_type",
    [
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}, "mutability"),
        ({"op": "add", "path": "groups", "value": [{"value": "g"}]}, "mutability"),
        # an attribute the schema lacks: refused, never skipped with a 200
        ({"op": "add", "path": "nickName2", "value": "x"}, "invalidPath"),
        ({"op": "add", "value": {"nickName2": "x"}}, "invalidPath"),
        ({"op": "add", "path": "name", "value": {"givenNme": "x"}}, "invalidValue"),
        ({"op": "add", "path": 'title[type eq "x"]', "value": "x"}, "invalidPath"),
        ({"op": "add", "path": "emails[type eq", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "name", "value": "not an object"}, "invalidValue"),
        ({"op": "replace", "path": "userName", "value": 42}, "invalidValue"),
    ],
)
def test_patch_errors_carry_the_rfc_scim_type(
    client: Client, op: dict[str, Any], scim_type: str
) -> None:
    uid = client.post("/Users", json={"userName": f"err-{scim_type}-{len(str(op))}"}).json()["id"]
    r = client.patch(f"/Users/{uid}", json={"Operations": [op]})
    assert r.status_code == 400, r.text
    assert r.json()["scimType"] == scim_type


def test_patch_user_name_to_a_taken_name_is_409(client: Client) -> None:
    client.post("/Users", json={"userName": "taken@example.com"})
    uid = client.post("/Users", json={"userName": "free@example.com"}).json()["id"]
    r = client.patch(
        f"/Users/{uid}",
        json={"Operations": [{"op": "replace", "path": "userName", "value": "TAKEN@example.com"}]},
    )
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
    assert client.get(f"/Users/{uid}").json()["userName"] == "free@example.com"


def test_put_needs_user_name_and_keeps_id(client: Client) -> None:
    uid = client.post("/Users", json={"userName": "putme"}).json()["id"]
    r = client.put(f"/Users/{uid}", json={"displayName": "no userName"})
    assert r.status_code == 400
    r = client.put(f"/Users/{uid}", json={"id": "other", "userName": "putme", "nickName": "n"})
    assert r.status_code == 200 and r.json()["id"] == uid


def test_create_with_projection_still_sends_location(client: Client) -> None:
    r = client.post("/Users", params={"attributes": "userName"}, json={"userName": "proj-create"})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"schemas", "id", "userName"}
    assert r.headers["location"].endswith(f"/scim/v1/Users/{r.json()['id']}")
