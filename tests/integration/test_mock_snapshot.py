"""Deterministic data of ``scimdock mock`` (docs/mock.md, "Reset and seed",
"Snapshots"): a seed and a snapshot keep the ids, times and versions they
give; ``GET /snapshot``, ``PUT`` it back, ``GET`` again gives an equal
document; 10,000 users load over HTTP in one request, all of them there
with their ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_mock_conformance import is_scim_error

from conftest import new_database
from scimdock.mock.testing import ScimMock

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ANN = "2819c223-7f76-453a-919d-413861904646"  # RFC 7643 §8.1's example id
STAFF = "e9e30dba-f08f-4109-8486-d5c6a331660a"  # RFC 7643 §8.4's


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[ScimMock]:
    server = ScimMock("--db", str(new_database(tmp_path)), env={"SCIMDOCK_VALIDATE_RESPONSES": "1"})
    try:
        yield server
    finally:
        server.stop()


def scim(mock: ScimMock) -> httpx.Client:
    auth = {"Authorization": f"Bearer {mock.token}"}
    return httpx.Client(base_url=mock.url, headers=auth, timeout=60)


def admin(mock: ScimMock) -> httpx.Client:
    return httpx.Client(
        base_url=f"{mock.admin_url}/tenants/{mock.tenant}",
        headers={"Authorization": f"Bearer {mock.admin_token}"},
        timeout=120,
    )


SEED: dict[str, Any] = {
    "users": [
        {
            "id": ANN,
            "userName": "ann@example.com",
            "meta": {
                "created": "2011-08-01T18:29:49.793Z",
                "lastModified": "2011-08-01T20:31:02+02:00",
                "version": 'W/"7"',
                "location": "https://example.com/v2/Users/" + ANN,  # ignored, as documented
            },
        },
        {"userName": "bob@example.com"},  # no id given: one is made
    ],
    "groups": [
        {"id": STAFF, "displayName": "Staff", "members": ["ann@example.com", "bob@example.com"]},
        {"id": "all-staff", "displayName": "Everyone", "members": ["Staff"]},
    ],
}


def test_a_seed_keeps_the_ids_times_and_versions_it_gives(mock: ScimMock) -> None:
    with admin(mock) as adm, scim(mock) as client:
        made = adm.post("/seed", json=SEED)
        assert made.status_code == 200, made.text
        ids = made.json()
        assert ids["users"]["ann@example.com"] == ANN
        bob = ids["users"]["bob@example.com"]
        assert bob != ANN and len(bob) == 36
        assert ids["groups"] == {"Staff": STAFF, "Everyone": "all-staff"}
        ann = client.get(f"/Users/{ANN}")
        assert ann.status_code == 200, ann.text
        assert ann.headers["etag"] == 'W/"7"'
        meta = ann.json()["meta"]
        assert (meta["created"], meta["lastModified"], meta["version"]) == (
            "2011-08-01T18:29:49.793000Z",
            "2011-08-01T18:31:02.000000Z",  # the same instant, in the store's form (UTC)
            'W/"7"',
        )
        assert meta["location"].endswith(f"/Users/{ANN}")
        staff = client.get(f"/Groups/{STAFF}").json()
        assert sorted(m["value"] for m in staff["members"]) == sorted([ANN, bob])
        assert staff["meta"]["version"] == 'W/"1"'
        everyone = client.get("/Groups/all-staff").json()
        assert [(m["value"], m["type"]) for m in everyone["members"]] == [(STAFF, "Group")]
        # The kept version is the one If-Match compares (RFC 7644 §3.14).
        patch = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}],
        }
        stale = client.patch(f"/Users/{ANN}", json=patch, headers={"If-Match": 'W/"1"'})
        assert is_scim_error(stale, 412, None)
        fresh = client.patch(f"/Users/{ANN}", json=patch, headers={"If-Match": 'W/"7"'})
        assert fresh.status_code == 200 and fresh.json()["meta"]["version"] == 'W/"8"'


def test_get_put_get_of_a_snapshot_gives_an_equal_document(mock: ScimMock) -> None:
    with admin(mock) as adm, scim(mock) as client:
        assert adm.post("/seed", json=SEED).status_code == 200
        # Changes after the seed: new versions and times, a user made by SCIM.
        made = client.post("/Users", json={"schemas": [USER], "userName": "cat@example.com"})
        cat = made.json()["id"]
        patch = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        assert client.patch(f"/Users/{cat}", json=patch).status_code == 200
        before = {u["id"]: u for u in client.get("/Users").json()["Resources"]}
        taken = adm.get("/snapshot").json()
        assert [u["id"] for u in taken["users"]][:1] == [ANN] and cat in before
        assert {u["id"]: u["meta"]["version"] for u in taken["users"]} == {
            i: u["meta"]["version"] for i, u in before.items()
        }
        # Put back over a tenant that has moved on: as it was, whole.
        client.delete(f"/Users/{ANN}")
        client.post("/Users", json={"schemas": [USER], "userName": "dan@example.com"})
        loaded = adm.put("/snapshot", json=taken)
        assert loaded.status_code == 200, loaded.text
        assert adm.get("/snapshot").json() == taken
        after = {u["id"]: u for u in client.get("/Users").json()["Resources"]}
        assert after == before  # ids, attributes, meta (times, versions, locations)
        assert client.get(f"/Groups/{STAFF}").json()["meta"] == (
            next(g for g in taken["groups"] if g["id"] == STAFF)["meta"]
            | {"resourceType": "Group", "location": f"{mock.url}/Groups/{STAFF}"}
        )


@pytest.mark.parametrize(
    ("document", "status", "scim_type", "detail"),
    [
        (
            {"users": [{"id": "Not-Lower", "userName": "a"}]},
            400,
            "invalidValue",
            "Field 'users[0].id' must be text matching the pattern",
        ),
        (
            {"users": [{"id": "x1", "userName": "a"}, {"id": "x1", "userName": "b"}]},
            409,
            "uniqueness",
            "users/1: id 'x1' is taken by users/0",
        ),
        (
            {"users": [{"userName": "a", "meta": {"created": "yesterday"}}]},
            400,
            "invalidValue",
            "users/0: meta.created: not an ISO 8601 date-time",
        ),
        (
            {
                "users": [
                    {
                        "userName": "a",
                        "meta": {"created": "2020-01-02T00:00:00Z", "lastModified": "2020-01-01"},
                    }
                ]
            },
            400,
            "invalidValue",
            "users/0: meta.lastModified is before meta.created",
        ),
    ],
)
def test_an_id_or_meta_a_seed_cannot_keep_is_refused_before_anything_is_written(
    mock: ScimMock, document: dict[str, Any], status: int, scim_type: str, detail: str
) -> None:
    with admin(mock) as adm, scim(mock) as client:
        refused = adm.post("/seed", json=document)
        assert is_scim_error(refused, status, scim_type), refused.text
        assert detail in refused.json()["detail"]
        assert client.get("/Users").json()["totalResults"] == 0


def test_a_seed_of_an_id_the_tenant_holds_is_409_and_writes_no_user(mock: ScimMock) -> None:
    with admin(mock) as adm, scim(mock) as client:
        assert (
            adm.post("/seed", json={"users": [{"id": ANN, "userName": "ann"}]}).status_code == 200
        )
        again = {"users": [{"id": "fresh", "userName": "new"}, {"id": ANN, "userName": "other"}]}
        refused = adm.post("/seed", json=again)
        assert is_scim_error(refused, 409, "uniqueness"), refused.text
        names = [u["userName"] for u in client.get("/Users").json()["Resources"]]
        assert names == ["ann"]  # the users of a seed are one transaction


def test_ten_thousand_users_load_over_http_with_their_ids(mock: ScimMock) -> None:
    """The seed's documented maximum, in one PUT (the store's bulk path;
    its time is measured by bench/mock_seed.py, not here)."""
    users = [
        {
            "id": f"user-{i:05d}",
            "userName": f"user{i:05d}@example.com",
            "name": {"givenName": f"Given{i}", "familyName": "Family"},
            "emails": [{"value": f"user{i:05d}@example.com", "primary": True}],
        }
        for i in range(10_000)
    ]
    with admin(mock) as adm, scim(mock) as client:
        loaded = adm.put("/snapshot", json={"users": users})
        assert loaded.status_code == 200, loaded.text[:500]
        assert loaded.json()["users"] == {u["userName"]: u["id"] for u in users}
        found: dict[str, str] = {}
        start = 1
        while True:
            page = client.get("/Users", params={"startIndex": start, "count": 1000}).json()
            found.update((u["id"], u["userName"]) for u in page["Resources"])
            start += len(page["Resources"])
            if not page["Resources"] or start > page["totalResults"]:
                break
        assert page["totalResults"] == 10_000
        assert found == {u["id"]: u["userName"] for u in users}
        assert client.get("/Users/user-09999").json()["name"]["givenName"] == "Given9999"
