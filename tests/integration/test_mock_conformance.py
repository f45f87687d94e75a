"""``scimdock mock`` over HTTP: conformance notes on journal entries and the
per-client report, behaviour profiles, and snapshots (docs/mock.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import new_database
from scimdock.mock.testing import ScimMock

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
ENTRA = {"User-Agent": "Azure-SCIM-Test/1.0"}


def start(tmp_path: Path, *args: str) -> ScimMock:
    return ScimMock(
        "--db",
        str(new_database(tmp_path)),
        *args,
        env={"TMPDIR": str(tmp_path), "SCIMDOCK_VALIDATE_RESPONSES": "1"},
    )


@pytest.fixture
def mock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ScimMock:
    """The module's mock, clean for this test (tests/module_mock.py)."""
    from tests.module_mock import module_mock

    return module_mock(request, tmp_path_factory, start)


def scim(mock: ScimMock, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=mock.url,
        headers={"Authorization": f"Bearer {mock.token}", **headers},
        timeout=10,
    )


def admin(mock: ScimMock) -> httpx.Client:
    return httpx.Client(
        base_url=f"{mock.admin_url}/tenants/{mock.tenant}",
        headers={"Authorization": f"Bearer {mock.admin_token}"},
        timeout=10,
    )


def notes(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["rule"]: n for n in entry["conformance"]}


def is_scim_error(response: httpx.Response, status: int, scim_type: str | None) -> bool:
    body = response.json()
    return (
        response.status_code == status
        and response.headers["content-type"] == "application/scim+json"
        and body["schemas"] == [ERROR]
        and body["status"] == str(status)
        and body.get("scimType") == scim_type
    )


def test_each_tolerated_deviation_is_noted_with_its_rule_section_and_senders(
    mock: ScimMock,
) -> None:
    with scim(mock, **ENTRA) as client, admin(mock) as adm:
        made = client.post(
            "/users",  # endpoint-case
            json={  # no schemas; application/json; id sent; a name in capitals
                "id": "mine",
                "UserName": "ann@example.com",
                "active": "True",  # boolean-string
                "nickname2": "x",  # unknown-attribute
            },
        )
        assert made.status_code == 201, made.text
        user = made.json()["id"]
        patched = client.patch(
            f"/Users/{user}",
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
            },
            headers={"Content-Type": "application/scim+json"},
        )
        assert patched.status_code == 200, patched.text
        clean = client.get(f"/Users/{user}")
        assert clean.status_code == 200
        group = client.post(
            "/Groups",
            content=(
                b'{"schemas": ["' + GROUP.encode() + b'"], "displayName": "Eng",'
                b' "members": [{"value": "' + user.encode() + b'"}]}'
            ),
        )  # bytes without a Content-Type: the lenient server reads them as JSON
        assert group.status_code == 201, group.text
        removed = client.patch(
            f"/Groups/{group.json()['id']}",
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "remove", "path": "members", "value": [{"value": user}]}],
            },
            headers={"Content-Type": "application/scim+json"},
        )
        assert removed.status_code == 204, removed.text
        entries = adm.get("/journal").json()["Resources"]
    create, patch, get, group_create, remove = entries
    found = notes(create)
    assert set(found) >= {
        "endpoint-case",
        "missing-schemas",
        "media-type-json",
        "client-sent-read-only",
        "name-case",
        "boolean-string",
        "unknown-attribute",
    }, found
    assert found["boolean-string"]["rfc"] == "RFC 7643 §2.3.2"
    assert "Microsoft Entra ID" in found["boolean-string"]["knownSenders"]
    assert found["boolean-string"]["kind"] == "leniency"
    assert found["boolean-string"]["count"] == 1
    assert set(notes(patch)) == {"op-case", "boolean-string"}
    assert notes(get) == {}
    assert "no-content-type" in notes(group_create)
    assert notes(remove)["remove-with-value"]["rfc"] == "RFC 7644 §3.5.2.2"
    assert create["client"] == {
        "userAgent": "Azure-SCIM-Test/1.0",
        "keyId": create["client"]["keyId"],
    }
    assert create["client"]["keyId"]


def test_an_ignored_body_attribute_is_noted_once_and_an_unqualified_one_too(
    mock: ScimMock,
) -> None:
    """What a lenient POST or PUT leaves out is in the journal (rule
    unknown-attribute, once per attribute); an extension attribute named
    without its URN is taken and noted (unqualified-extension)."""
    ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    with scim(mock, **ENTRA) as client, admin(mock) as adm:
        made = client.post(
            "/Users",
            json={"schemas": [USER], "userName": "al@example.com", "nickname2": "x"},
            headers={"Content-Type": "application/scim+json"},
        )
        assert made.status_code == 201, made.text
        user = made.json()["id"]
        put = client.put(
            f"/Users/{user}",
            json={"schemas": [USER], "userName": "al@example.com", "department": "Ops", "x2": 1},
            headers={"Content-Type": "application/scim+json"},
        )
        assert put.status_code == 200, put.text
        assert put.json()[ent] == {"department": "Ops"} and "x2" not in put.json()
        entries = adm.get("/journal").json()["Resources"]
    create, replace = entries
    assert notes(create)["unknown-attribute"]["count"] == 1
    assert set(notes(replace)) == {"unknown-attribute", "unqualified-extension"}
    assert notes(replace)["unknown-attribute"]["count"] == 1
    assert notes(replace)["unqualified-extension"]["rfc"] == "RFC 7644 §3.10"


def test_the_report_groups_by_client_and_rule_with_counts_and_an_example(mock: ScimMock) -> None:
    with scim(mock, **ENTRA) as entra, scim(mock, **{"User-Agent": "Okta SCIM"}) as okta:
        for name in ("a", "b"):
            assert (
                entra.post("/Users", json={"userName": name, "active": "true"}).status_code == 201
            )
        sent = okta.post(
            "/Users",
            json={"schemas": [USER], "userName": "c"},
            headers={"Content-Type": "application/scim+json"},
        )
        assert sent.status_code == 201
    with admin(mock) as adm:
        report = adm.get("/conformance")
        assert report.status_code == 200, report.text
        body = report.json()
    by_agent = {c["userAgent"]: c for c in body["clients"]}
    assert by_agent["Azure-SCIM-Test/1.0"]["requests"] == 2
    rules = {r["rule"]: r for r in by_agent["Azure-SCIM-Test/1.0"]["rules"]}
    assert rules["boolean-string"]["requests"] == 2
    assert rules["boolean-string"]["example"]["method"] == "POST"
    assert rules["boolean-string"]["example"]["path"] == "/Users"
    assert rules["missing-schemas"]["requests"] == 2
    assert by_agent["Okta SCIM"]["requests"] == 1
    assert by_agent["Okta SCIM"]["rules"] == []
    assert {r["rule"] for r in body["rules"]} >= {"boolean-string", "op-case", "no-content-type"}


def test_a_strict_profile_refuses_what_the_default_tolerates(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        body = {"schemas": [USER], "userName": "ann", "active": "True"}
        assert client.post("/Users", json=body).status_code == 201
        set_to = adm.put("/profile", json={"preset": "rfc-strict"})
        assert set_to.status_code == 200, set_to.text
        assert set_to.json()["strict"] is True and set_to.json()["name"] == "rfc-strict"
        refused = client.post("/Users", json={**body, "userName": "bob"})
        assert is_scim_error(refused, 400, "invalidValue"), refused.text
        assert adm.put("/profile", json={}).json()["strict"] is False
        assert client.post("/Users", json={**body, "userName": "bob"}).status_code == 201


def test_patch_answers_as_the_profile_says(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        user = client.post("/Users", json={"schemas": [USER], "userName": "ann"}).json()["id"]
        group = client.post("/Groups", json={"schemas": [GROUP], "displayName": "G"}).json()["id"]
        op = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        rename = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "displayName", "value": "H"}],
        }
        assert client.patch(f"/Users/{user}", json=op).status_code == 200
        assert client.patch(f"/Groups/{group}", json=rename).status_code == 204
        assert adm.put("/profile", json={"preset": "patch-no-content"}).status_code == 200
        answered = client.patch(f"/Users/{user}", json=op)
        assert answered.status_code == 204 and answered.content == b""
        assert answered.headers["etag"].startswith('W/"')
        assert adm.put("/profile", json={"patchResponse": "resource"}).status_code == 200
        answered = client.patch(f"/Groups/{group}", json=rename)
        assert answered.status_code == 200 and answered.json()["displayName"] == "H"


def test_filtering_off_or_eq_only_and_advertised(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        client.post("/Users", json={"schemas": [USER], "userName": "ann"})
        assert adm.put("/profile", json={"preset": "no-filter"}).status_code == 200
        refused = client.get("/Users", params={"filter": 'userName eq "ann"'})
        assert is_scim_error(refused, 400, "invalidFilter"), refused.text
        searched = client.post("/Users/.search", json={"filter": 'userName eq "ann"'})
        assert is_scim_error(searched, 400, "invalidFilter")
        assert client.get("/Users").json()["totalResults"] == 1
        spc = client.get("/ServiceProviderConfig").json()
        assert spc["filter"]["supported"] is False and spc["etag"]["supported"] is True
        assert adm.put("/profile", json={"preset": "eq-only"}).status_code == 200
        assert (
            client.get("/Users", params={"filter": 'userName eq "ann"'}).json()["totalResults"] == 1
        )
        other = client.get("/Users", params={"filter": 'userName sw "a"'})
        assert is_scim_error(other, 400, "invalidFilter")
        assert client.get("/ServiceProviderConfig").json()["filter"]["supported"] is True


def test_count_capped_or_ignored(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        for i in range(4):
            client.post("/Users", json={"schemas": [USER], "userName": f"u{i}"})
        assert adm.put("/profile", json={"maxCount": 2}).status_code == 200
        page = client.get("/Users", params={"count": 3}).json()
        assert page["itemsPerPage"] == 2 and page["totalResults"] == 4
        assert adm.put("/profile", json={"count": "ignore"}).status_code == 200
        page = client.get("/Users", params={"count": 1}).json()
        assert page["itemsPerPage"] == 4


def test_etags_off_are_neither_sent_nor_checked_nor_advertised(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        made = client.post("/Users", json={"schemas": [USER], "userName": "ann"})
        assert "etag" in made.headers and "version" in made.json()["meta"]
        assert adm.put("/profile", json={"preset": "no-etag"}).status_code == 200
        got = client.get(f"/Users/{made.json()['id']}")
        assert "etag" not in got.headers and "version" not in got.json()["meta"]
        listed = client.get("/Users").json()["Resources"][0]
        assert "version" not in listed["meta"]
        stale = client.put(
            f"/Users/{made.json()['id']}",
            json={"schemas": [USER], "userName": "ann", "active": False},
            headers={"If-Match": 'W/"999"'},
        )
        assert stale.status_code == 200, stale.text
        assert client.get("/ServiceProviderConfig").json()["etag"]["supported"] is False


def test_extra_required_attributes(mock: ScimMock) -> None:
    with scim(mock) as client, admin(mock) as adm:
        set_to = adm.put("/profile", json={"requiredAttributes": ["emails", "name.familyName"]})
        assert set_to.status_code == 200
        bare = client.post("/Users", json={"schemas": [USER], "userName": "ann"})
        assert is_scim_error(bare, 400, "invalidValue") and "emails" in bare.json()["detail"]
        full = {
            "schemas": [USER],
            "userName": "ann",
            "emails": [{"value": "ann@example.com"}],
            "name": {"familyName": "Ann"},
        }
        assert client.post("/Users", json=full).status_code == 201


def test_a_bad_profile_is_a_scim_error(mock: ScimMock) -> None:
    with admin(mock) as adm:
        assert is_scim_error(adm.put("/profile", json={"preset": "nonsense"}), 400, "invalidValue")
        refused = adm.put("/profile", json={"filter": "some"})  # the document's enum
        assert refused.status_code == 400 and refused.json()["schemas"] == [ERROR]
        assert adm.get("/profile").json()["name"] == "scimdock"


def test_a_profile_at_start(tmp_path: Path) -> None:
    server = start(tmp_path, "--profile", "minimal")
    try:
        with admin(server) as adm:
            profile = adm.get("/profile").json()
        assert profile["name"] == "minimal" and profile["etag"] is False
        assert "rfc-strict" in profile["presets"]
    finally:
        server.stop()


def test_a_snapshot_round_trips(mock: ScimMock) -> None:
    seed = {
        "users": [
            {"userName": "ann@example.com", "name": {"givenName": "Ann"}},
            {"userName": "bob@example.com", "active": False},
        ],
        "groups": [
            {"displayName": "Engineering", "members": ["ann@example.com"]},
            {"displayName": "Everyone", "members": ["Engineering", "bob@example.com"]},
        ],
    }
    with admin(mock) as adm, scim(mock) as client:
        assert adm.post("/seed", json=seed).status_code == 200
        taken = adm.get("/snapshot")
        assert taken.status_code == 200, taken.text
        snap = taken.json()
        assert [g["displayName"] for g in snap["groups"]] == ["Engineering", "Everyone"]
        assert snap["groups"][1]["members"] == ["Engineering", "bob@example.com"]  # sorted
        assert {u["userName"]: u.get("active") for u in snap["users"]} == {
            "ann@example.com": None,
            "bob@example.com": False,
        }
        client.post("/Users", json={"schemas": [USER], "userName": "extra"})
        loaded = adm.put("/snapshot", json=snap)
        assert loaded.status_code == 200, loaded.text
        assert set(loaded.json()["users"]) == {"ann@example.com", "bob@example.com"}
        names = sorted(u["userName"] for u in client.get("/Users").json()["Resources"])
        assert names == ["ann@example.com", "bob@example.com"]
        again = adm.get("/snapshot").json()
        assert again["groups"] == snap["groups"]
        bad = adm.put("/snapshot", json={"users": [{"userName": ""}]})
        assert bad.status_code == 400
        assert len(client.get("/Users").json()["Resources"]) == 2  # checked before the reset


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        (
            {"users": [{"userName": "x"}], "groups": [{"displayName": "Admins"}] * 10_000},
            "groups/1: displayName 'Admins' is taken by groups/0",
        ),
        (
            {"users": [{"userName": "Ann"}, {"userName": "bob"}, {"userName": "ANN"}]},
            "users/2: userName 'ANN' is taken by users/0",
        ),
    ],
)
def test_a_snapshot_naming_one_resource_twice_is_409_and_nothing_changes(
    mock: ScimMock, document: dict[str, Any], detail: str
) -> None:
    """Found in the document before the reset, as the unique index would
    find it half-way through (RFC 7644 §3.3), and in time linear in the
    document: 10,000 groups of one name used to be compared pairwise."""
    with admin(mock) as adm, scim(mock) as client:
        kept = client.post("/Users", json={"schemas": [USER], "userName": "kept"})
        assert kept.status_code == 201, kept.text
        refused = adm.put("/snapshot", json=document)
        assert is_scim_error(refused, 409, "uniqueness"), refused.text
        assert refused.json()["detail"] == f"seed data: {detail}"
        assert adm.post("/seed", json=document).status_code == 409
        users = client.get("/Users").json()["Resources"]
        assert [u["userName"] for u in users] == ["kept"]


@pytest.mark.parametrize("path", ["/Users", "/Groups"])
def test_one_attribute_in_another_case_is_one_note(mock: ScimMock, path: str) -> None:
    """One ``DisplayName`` in a body: one ``name-case`` note, counted once
    (the body is folded once: scimdock.front.names)."""
    schema = USER if path == "/Users" else GROUP
    body: dict[str, Any] = {"schemas": [schema], "DisplayName": "Ann"}
    if path == "/Users":
        body["userName"] = "ann"
    with scim(mock) as client, admin(mock) as adm:
        made = client.post(path, json=body, headers={"Content-Type": "application/scim+json"})
        assert made.status_code == 201, made.text
        [entry] = adm.get("/journal").json()["Resources"]
        report = adm.get("/conformance").json()
    assert entry["conformance"] == [{**notes(entry)["name-case"], "count": 1}]
    [client_report] = report["clients"]
    assert [(r["rule"], r["requests"]) for r in client_report["rules"]] == [("name-case", 1)]
