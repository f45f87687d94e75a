"""What the recording proxy makes of a target's answers (scimdock.mock.rules.recording):
the snapshot of the users and groups it saw, and the profile guessed from
how it answered, each field from its evidence."""

from __future__ import annotations

from typing import Any

from scimdock.core.schema import CORE_USER, LIST_RESPONSE
from scimdock.mock.rules.profile import parse_profile
from scimdock.mock.rules.recording import Exchange, Recording
from scimdock.mock.rules.seedfile import plan

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def ex(method: str, path: str, status: int, body: Any = None, **kw: Any) -> Exchange:
    return Exchange(
        method, path, kw.get("query", {}), kw.get("request"), status, kw.get("headers", {}), body
    )


def user(uid: str, name: str, **more: Any) -> dict[str, Any]:
    return {"schemas": [CORE_USER], "id": uid, "userName": name, "meta": {"version": "1"}, **more}


def listing(*docs: Any, total: int | None = None) -> dict[str, Any]:
    n = len(docs) if total is None else total
    return {"schemas": [LIST_RESPONSE], "totalResults": n, "startIndex": 1, "Resources": list(docs)}


def test_the_snapshot_is_a_seed_document_of_the_state_last_seen() -> None:
    rec = Recording()
    rec.observe(ex("POST", "/Users", 201, user("u1", "ann", password="s3cret")))
    rec.observe(ex("POST", "/Users", 201, user("u2", "bob")))
    rec.observe(
        ex(
            "POST",
            "/Groups",
            201,
            {"id": "g1", "displayName": "Inner", "members": [{"value": "u1"}]},
        )
    )
    outer = {"id": "g0", "displayName": "Outer", "members": [{"value": "g1"}, {"value": "gone"}]}
    rec.observe(ex("POST", "/Groups", 201, outer))
    rec.observe(
        ex(
            "GET",
            "/Users",
            200,
            listing(user("u2", "bob", active=False)),
            query={"attributes": "active"},
        )
    )
    rec.observe(ex("DELETE", "/Users/u1", 204))
    snap = rec.snapshot()
    assert [u["userName"] for u in snap["users"]] == ["bob"]
    assert snap["users"][0]["active"] is False and "meta" not in snap["users"][0]
    assert [(g["displayName"], g["members"]) for g in snap["groups"]] == [
        ("Inner", []),
        ("Outer", ["Inner"]),
    ]
    assert plan(snap).users[0][0] == "bob"  # what --seed and PUT /snapshot take


def test_a_write_answered_without_its_resource_is_read_back() -> None:
    rec = Recording()
    assert rec.read_back(ex("PATCH", "/Users/u1", 204)) == "/Users/u1"
    assert rec.read_back(ex("PATCH", "/Users/u1", 200, user("u1", "ann"))) is None
    assert rec.read_back(ex("PATCH", "/Users/u1", 404)) is None


def test_the_profile_follows_what_the_target_did() -> None:
    rec = Recording()
    rec.observe(
        ex(
            "GET",
            "/ServiceProviderConfig",
            200,
            {"etag": {"supported": True}, "filter": {"supported": True, "maxResults": 50}},
        )
    )
    rec.observe(ex("POST", "/Users", 201, user("u1", "Ann")))
    rec.observe(ex("POST", "/Users", 201, user("u2", "ann"), request={"userName": "ann"}))
    rec.observe(ex("PATCH", "/Users/u1", 204))
    rec.observe(ex("PATCH", "/Groups/g1", 204))
    rec.observe(
        ex("GET", "/Users", 200, listing(user("u1", "Ann")), query={"filter": 'userName eq "Ann"'})
    )
    refused = {"schemas": [ERROR], "status": "400", "scimType": "invalidFilter"}
    rec.observe(ex("GET", "/Users", 400, refused, query={"filter": 'userName sw "A"'}))
    rec.observe(ex("GET", "/Users", 200, listing(user("u1", "Ann"), total=2), query={"count": "5"}))
    profile, why = rec.profile("recorded")
    assert (profile.patchResponse, profile.filter, profile.etag) == ("noContent", "eq", True)
    assert profile.userNameCaseExact is True  # "ann" created beside "Ann"
    assert profile.maxCount == 1  # a page of 5 asked for, cut at 1 with more left
    assert parse_profile(profile.view()) == profile
    assert set(why) >= {"patchResponse", "filter", "etag", "maxCount", "userNameCaseExact"}


def test_without_evidence_the_profile_is_what_the_target_advertises() -> None:
    rec = Recording()
    rec.observe(
        ex(
            "GET",
            "/ServiceProviderConfig",
            200,
            {"etag": {"supported": False}, "filter": {"supported": False}},
        )
    )
    schema = {"id": CORE_USER, "attributes": [{"name": "userName", "caseExact": True}]}
    rec.observe(ex("GET", "/Schemas", 200, {"Resources": [schema]}))
    profile, _ = rec.profile("x")
    assert (profile.filter, profile.etag, profile.userNameCaseExact) == ("none", False, True)
    assert profile.patchResponse == "default"


def test_users_answered_200_and_groups_204_is_the_default_patch_answer() -> None:
    rec = Recording()
    rec.observe(ex("PATCH", "/Users/u1", 200, user("u1", "ann")))
    rec.observe(ex("PATCH", "/Groups/g1", 204))
    assert rec.profile("x")[0].patchResponse == "default"
    rec = Recording()
    rec.observe(ex("PATCH", "/Users/u1", 200, user("u1", "ann")))
    assert rec.profile("x")[0].patchResponse == "resource"
