"""The notes on a target's answers (scimdock.mock.rules.target_notes): each rule applies
to the answer RFC 7644 says it does, and not to the conforming one."""

from __future__ import annotations

from typing import Any

import pytest

from scimdock.core.errors import ERROR_SCHEMA
from scimdock.core.schema import CORE_USER, LIST_RESPONSE
from scimdock.core.schema import USER as USER_TYPE
from scimdock.mock.rules.target_notes import TARGET_RULES, answer_notes, miscased

SCIM = {"content-type": "application/scim+json"}
USER = {"schemas": [CORE_USER], "id": "1", "userName": "bjensen", "meta": {"version": 'W/"1"'}}
PAGE = {"schemas": [LIST_RESPONSE], "totalResults": 1, "itemsPerPage": 1, "startIndex": 1}


def rules(*args: Any, **kw: Any) -> dict[str, int]:
    return {n["rule"]: n["count"] for n in answer_notes(*args, **kw)}


def test_a_conforming_exchange_has_no_notes() -> None:
    created = {**SCIM, "location": "http://t/Users/1", "etag": 'W/"1"'}
    assert rules("POST", "/Users", {}, 201, created, USER, etags=True) == {}
    assert rules("PATCH", "/Users/1", {}, 200, {**SCIM, "etag": 'W/"1"'}, USER, etags=True) == {}
    assert rules("GET", "/Users", {"count": "1"}, 200, SCIM, {**PAGE, "Resources": [USER]}) == {}
    assert rules("DELETE", "/Users/1", {}, 204, {}, None) == {}
    error = {"schemas": [ERROR_SCHEMA], "status": "404", "detail": "no"}
    assert rules("GET", "/Users/2", {}, 404, SCIM, error) == {}


@pytest.mark.parametrize(
    ("method", "path", "query", "status", "headers", "body", "expected"),
    [
        ("PATCH", "/Users/1", {}, 204, {}, None, "patch-no-content"),
        ("POST", "/Users", {}, 200, SCIM, USER, "create-status"),
        ("POST", "/Groups", {}, 201, SCIM, {"schemas": [], "id": "g"}, "create-no-location"),
        ("DELETE", "/Users/1", {}, 200, {}, None, "delete-status"),
        (
            "GET",
            "/Users/1",
            {},
            200,
            {"content-type": "application/json"},
            USER,
            "answer-media-type",
        ),
        ("GET", "/Users/1", {}, 404, SCIM, {"message": "not found"}, "error-not-scim"),
        (
            "GET",
            "/Users/1",
            {},
            404,
            SCIM,
            {"schemas": [ERROR_SCHEMA], "status": 404},
            "error-status",
        ),
        (
            "GET",
            "/Users",
            {},
            200,
            SCIM,
            {"schemas": [LIST_RESPONSE], "Resources": []},
            "list-total",
        ),
        ("GET", "/Users", {}, 200, SCIM, {"totalResults": 0, "Resources": []}, "list-schema"),
        (
            "GET",
            "/Users",
            {"count": "1"},
            200,
            SCIM,
            {"schemas": [LIST_RESPONSE], "totalResults": 3, "Resources": [USER]},
            "list-paging",
        ),
        ("GET", "/Users/1", {}, 200, SCIM, {"id": "1", "userName": "b"}, "resource-schemas"),
    ],
)
def test_each_rule_notes_its_deviation(
    method: str,
    path: str,
    query: dict[str, str],
    status: int,
    headers: dict[str, str],
    body: Any,
    expected: str,
) -> None:
    found = rules(method, path, query, status, headers, body)
    assert expected in found, found
    assert TARGET_RULES[expected].kind in ("target", "target-choice")


def test_etags_are_expected_only_when_advertised() -> None:
    bare = {**USER, "meta": {}}
    assert rules("GET", "/Users/1", {}, 200, SCIM, bare, etags=True) == {"etag-missing": 1}
    assert rules("GET", "/Users/1", {}, 200, SCIM, bare, etags=False) == {}
    assert rules("GET", "/Users/1", {}, 200, SCIM, bare, etags=None) == {}


def test_names_in_another_case_are_each_counted_once() -> None:
    doc = {
        **USER,
        "UserName": "x",
        "Emails": [{"Value": "a@b"}, {"Value": "c@d"}],
        "meta": {"Version": "1"},
    }
    assert miscased(doc, USER_TYPE) == [
        "Emails",
        "UserName",
        "Value",
        "Version",
    ]
    assert rules("GET", "/Users/1", {}, 200, SCIM, doc)["answer-name-case"] == 4


def test_a_root_search_notes_each_resource_by_its_type() -> None:
    user = {"id": "1", "UserName": "b", "meta": {"resourceType": "User"}}
    group = {"id": "2", "displayName": "g", "meta": {"resourceType": "Group"}}
    odd = {"id": "3", "whatever": 1}
    page = {**PAGE, "totalResults": 3, "itemsPerPage": 3, "Resources": [user, group, odd]}
    found = rules("POST", "/.search", {}, 200, SCIM, page)
    assert found == {"resource-schemas": 2, "answer-name-case": 1}
