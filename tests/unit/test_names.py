"""core/names.py: client names folded to the schema's (RFC 7643 §2.1)."""

from __future__ import annotations

from typing import Any

import pytest

from scimdock.core import leniency, names
from scimdock.core.errors import ScimError
from scimdock.core.names import fold_patch, fold_resource, fold_search
from scimdock.core.schema import ENTERPRISE_USER, GROUP, USER


def test_unchanged_bodies_are_returned_as_they_are() -> None:
    body = {"userName": "a", "emails": [{"value": "a@x", "primary": True}], ENTERPRISE_USER: {}}
    assert fold_resource(body, USER, lenient=True) is body
    ops = {"Operations": [{"op": "add", "path": "emails", "value": [{"value": "b"}]}]}
    assert fold_patch(ops, USER, lenient=True) is ops


def test_every_level_is_folded() -> None:
    body = {
        "Schemas": ["x"],
        "USERNAME": "a",
        "Emails": [{"Value": "a@x", "PRIMARY": True}, "not-an-object"],
        ENTERPRISE_USER.upper(): {"Department": "D", "Manager": {"Value": "m", "$REF": "u"}},
        "urn:example:other:2.0:User": {"Kept": 1},
    }
    assert fold_resource(body, USER, lenient=True) == {
        "schemas": ["x"],
        "userName": "a",
        "emails": [{"value": "a@x", "primary": True}, "not-an-object"],
        ENTERPRISE_USER: {"department": "D", "manager": {"value": "m", "$ref": "u"}},
        "urn:example:other:2.0:User": {"Kept": 1},  # core.leniency.foreign_schema_key decides
    }


def test_unknown_names_are_left_out_when_lenient_and_refused_in_strict_mode() -> None:
    body = {
        "displayName": "G",
        "owner": "x",
        "members": [{"value": "1", "displayName": "B", "Type": "User"}],
    }
    assert fold_resource(body, GROUP, lenient=True) == {
        "displayName": "G",
        "members": [{"value": "1", "type": "User"}],
    }
    with pytest.raises(ScimError) as err:
        fold_resource(body, GROUP, lenient=False)
    assert (err.value.status, err.value.scim_type) == (400, "invalidValue")
    assert "owner" in str(err.value.detail)


def test_manager_id_is_the_value_only_when_lenient() -> None:
    body = {ENTERPRISE_USER: {"manager": {"ManagerId": "m"}}}
    assert fold_resource(body, USER, lenient=True) == {ENTERPRISE_USER: {"manager": {"value": "m"}}}
    with pytest.raises(ScimError):
        fold_resource(body, USER, lenient=False)


def test_one_name_in_two_cases_is_given_twice() -> None:
    with pytest.raises(ScimError) as err:
        fold_resource({"userName": "a", "USERNAME": "b"}, USER, lenient=True)
    assert err.value.scim_type == "invalidValue"


@pytest.mark.parametrize(
    ("op", "folded"),
    [
        (
            {"Op": "add", "Path": "EMAILS", "Value": {"VALUE": "a"}},
            {"op": "add", "path": "EMAILS", "value": {"value": "a"}},
        ),
        (
            {"op": "add", "path": 'emails[type eq "work"]', "value": {"Primary": True}},
            {"op": "add", "path": 'emails[type eq "work"]', "value": {"primary": True}},
        ),
        (
            {"op": "add", "path": "name.givenName", "value": "Kept"},
            {"op": "add", "path": "name.givenName", "value": "Kept"},
        ),
        (
            {"op": "replace", "path": ENTERPRISE_USER, "value": {"Department": "D"}},
            {"op": "replace", "path": ENTERPRISE_USER, "value": {"department": "D"}},
        ),
        (
            {"op": "replace", "value": {"NickName": "n", "name.givenName": "g", "bogus": 1}},
            # kept: core.patch refuses it rather than answer 2xx for a dropped name
            {"op": "replace", "value": {"nickName": "n", "name.givenName": "g", "bogus": 1}},
        ),
        (
            {"op": "add", "path": "name", "value": {"GivenName": "g", "givenNme": "x"}},
            {"op": "add", "path": "name", "value": {"givenName": "g", "givenNme": "x"}},
        ),
        (
            {"op": "add", "path": "Manager", "value": [{"$Ref": None, "Value": "m"}]},
            {"op": "add", "path": "Manager", "value": [{"$ref": None, "value": "m"}]},
        ),
        (
            {"op": "add", "value": {"Department": "D", "Manager": {"Value": "m"}}},
            {"op": "add", "value": {"department": "D", "manager": {"value": "m"}}},
        ),
        (
            {"op": "replace", "value": {f"{ENTERPRISE_USER}:manager": {"Value": "m"}}},
            {"op": "replace", "value": {f"{ENTERPRISE_USER}:manager": {"value": "m"}}},
        ),
        (
            {"op": "replace", "path": "nosuch", "value": {"A": 1}},
            {"op": "replace", "path": "nosuch", "value": {"A": 1}},  # core.patch: invalidPath
        ),
        (
            {"op": "replace", "path": "emails[", "value": {"A": 1}},
            {"op": "replace", "path": "emails[", "value": {"A": 1}},  # core.patch: invalidPath
        ),
    ],
)
def test_patch_operations(op: dict[str, Any], folded: dict[str, Any]) -> None:
    assert fold_patch({"operations": [op]}, USER, lenient=True) == {"Operations": [folded]}


def test_search_request_names() -> None:
    assert fold_search({"SortBy": "userName", "Filter": "x", "other": 1}) == {
        "sortBy": "userName",
        "filter": "x",
        "other": 1,
    }
    assert fold_search([1]) == [1]


def test_read_only_values_are_not_looked_into() -> None:
    """``meta`` and ``groups`` are ignored by the core (RFC 7643 §2.2)."""
    body = {"userName": "a", "META": {"resourceType": "User", "etc": 1}, "groups": [{"x": 1}]}
    assert fold_resource(body, USER, lenient=False) == {
        "userName": "a",
        "meta": {"resourceType": "User", "etc": 1},
        "groups": [{"x": 1}],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"userName": "a", "name": {"givenName": "g"}, "emails": [{"value": "a@x", "type": "w"}]},
        {"userName": "a", "emails": [{"value": "a@x", "Type": "w"}]},  # one sub-name to fold
        {"userName": "a", "emails": [{"value": "a@x", "bogus": 1}]},  # an unknown sub-name
        {"userName": "a", "emails": {"value": "a@x"}, "name": ["not", "an object"]},
        {"userName": "a", "meta": {"Anything": 1}, "id": "x", "externalId": "e"},
        {"userName": "a", ENTERPRISE_USER: {"department": "D", "manager": {"value": "m"}}},
        {"userName": "a", ENTERPRISE_USER: {"department": "D", "manager": {"Value": "m"}}},
        {"userName": "a", ENTERPRISE_USER: {"Department": "D"}},
        {"userName": "a", ENTERPRISE_USER: "not an object"},
        {"userName": "a", "department": "D"},  # an extension's name, unqualified
        {"userName": "a", "urn:example:other:2.0:User": {"Kept": 1}},
        {"userName": "a", "nickname": "n"},
        {"displayName": "G", "members": [{"value": "u"}]},
    ],
)
def test_a_body_spelled_as_the_schema_spells_it_is_returned_itself(
    body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """fold_resource answers a body whose names are all canonical without
    folding it (core.names._canonical): the same answer, and the same
    leniencies noted, as the walk that folds every name (the check turned
    off), which returns the body itself exactly when nothing needed folding."""
    rt = GROUP if "displayName" in body else USER
    with leniency.noting() as quick:
        found = fold_resource(body, rt, lenient=True)
    monkeypatch.setattr(names, "_canonical", lambda body, rt: False)
    with leniency.noting() as full:
        folded = fold_resource(body, rt, lenient=True)
    assert found == folded and (found is body) == (folded is body) and quick == full
