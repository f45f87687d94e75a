"""scimdock.mock.rules.matcher: the one question rules, stubs, verify and journal
queries ask of a request, and its reasons in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from scimdock.mock.rules.faultrules import RuleError, parse_rule
from scimdock.mock.rules.matcher import describe, resolve, why_not

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def request(
    method: str = "GET",
    path: str = "/Users",
    query: str = "",
    headers: dict[str, str] | None = None,
    body: Any = None,
    **entry: Any,
) -> dict[str, Any]:
    """A request as the journal shows it."""
    return {
        "method": method,
        "path": path,
        "query": query,
        "request": {"headers": headers or {}, "body": body},
        **entry,
    }


def test_method_and_path_without_case_as_routed() -> None:
    got = request("get", "/users/2819C223")
    assert why_not(got, {"method": "GET", "path": "/Users/2819c223*"}) == []
    assert why_not(got, {"method": "POST", "path": "/Groups*"}) == [
        "the method is get, not POST",
        "the path /users/2819C223 is not /Groups*",
    ]


def test_query_parameters_decoded_and_matched_as_text() -> None:
    got = request(query="filter=userName%20eq%20%22ann%22&count=10")
    assert why_not(got, {"query": {"filter": {"equalTo": 'userName eq "ann"'}}}) == []
    assert (
        why_not(got, {"query": {"filter": {"contains": "USERNAME", "caseInsensitive": True}}}) == []
    )
    assert (
        why_not(got, {"query": {"count": {"matches": "[0-9]+"}, "startIndex": {"absent": True}}})
        == []
    )
    assert why_not(got, {"query": {"filter": {"contains": "emails"}}}) == [
        'the query parameter filter is "userName eq \\"ann\\"", without "emails"'
    ]
    assert why_not(got, {"query": {"cursor": {"equalTo": "x"}}}) == [
        "the query parameter cursor is absent"
    ]


def test_headers_by_name_without_case() -> None:
    got = request(headers={"if-match": 'W/"3"', "user-agent": "Okta SCIM Client"})
    assert why_not(got, {"headers": {"If-Match": {"matches": 'W/".*"'}}}) == []
    assert why_not(got, {"headers": {"User-Agent": {"contains": "Entra"}}}) == [
        'the header User-Agent is "Okta SCIM Client", without "Entra"'
    ]


def test_body_by_scim_meaning() -> None:
    got = request(
        "PATCH",
        "/Users/1",
        body={
            "schemas": [PATCH],
            "Operations": [
                {"op": "Replace", "value": {"active": "False", "name": {"givenName": "A"}}}
            ],
        },
    )
    assert why_not(got, {"patch": [{"op": "replace", "path": "active", "value": False}]}) == []
    assert why_not(got, {"patch": [{"op": "replace", "path": "active", "value": True}]}) == [
        'the PatchOp has no operation replace active = true (it sets "False")'
    ]
    created = request(
        "POST", body={"userName": "ann", "emails": [{"value": "a@x", "primary": True}]}
    )
    assert why_not(created, {"resource": {"USERNAME": "ann", "emails": [{"value": "a@x"}]}}) == []
    assert why_not(created, {"resource": {"userName": "bob"}}) == ['userName is "ann", not "bob"']


def test_body_by_json_pointer() -> None:
    got = request(
        "POST", body={"name": {"givenName": "Ann"}, "a/b": 1, "emails": [{"value": "a@x"}]}
    )
    assert resolve(got["request"]["body"], "/a~1b") == (True, 1)
    assert why_not(got, {"jsonPointer": [{"pointer": "/name/givenName", "equalTo": "Ann"}]}) == []
    assert why_not(got, {"jsonPointer": [{"pointer": "/emails/0/value", "matches": ".*@x"}]}) == []
    assert why_not(got, {"jsonPointer": [{"pointer": "/emails", "contains": "a@x"}]}) == []
    assert why_not(got, {"jsonPointer": [{"pointer": "/password", "absent": True}]}) == []
    assert why_not(got, {"jsonPointer": [{"pointer": "/name/familyName", "equalTo": "J"}]}) == [
        "the body at /name/familyName is absent"
    ]


def test_bulk_operations() -> None:
    got = request(
        "POST",
        "/Bulk",
        body={
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "ann"}},
                {"method": "DELETE", "path": "/Groups/9"},
            ]
        },
    )
    assert why_not(got, {"bulk": [{"method": "delete", "path": "/groups/*"}]}) == []
    assert why_not(got, {"bulk": [{"method": "POST", "resource": {"userName": "ann"}}]}) == []
    assert why_not(got, {"bulk": [{"method": "POST", "resource": {"userName": "bob"}}]}) == [
        'no bulk operation is POST to any path with userName "bob"'
    ]
    assert why_not(request(body={}), {"bulk": [{"method": "POST"}]}) == [
        "the body is not a BulkRequest (no Operations)"
    ]


def test_journal_only_fields() -> None:
    dropped = request("POST", status=None, applied=True)
    assert why_not(dropped, {"status": 201}) == ["the answer was none (no answer sent), not 201"]
    assert why_not(dropped, {"applied": False}) == ["the server carried it out"]
    assert describe({"method": "post", "path": "/Users", "applied": True}) == (
        "POST /Users, carried out"
    )


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"path": "/Users"}, "has no action"),
        ({"status": 429, "drop": "reset"}, "two actions"),
        ({"status": 429, "sequence": [{"status": 500}]}, "two actions"),
        ({"drop": "reset", "retryAfter": 1}, "go with status"),
        ({"sequence": [{"drop": "reset", "malformed": "body"}]}, r"sequence\[0\] has two actions"),
        (
            {"match": {"query": {"filter": {"matches": "("}}}, "status": 400},
            "not a regular expression",
        ),
        ({"match": {"status": 200}, "status": 500}, "match"),
        ({"newScenarioState": "x"}, "goes with scenario"),
        ({"status": 409, "scimType": "taken"}, "scimType"),
    ],
)
def test_bad_rules_say_why(rule: dict[str, Any], says: str) -> None:
    with pytest.raises(RuleError, match=says):
        parse_rule(rule)
