"""core.resource: POST/PUT bodies → docs (RFC 7643 §2, §4; RFC 7644 §3.3, §3.5.1)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimdock.core.errors import ScimError
from scimdock.core.resource import (
    changed_attributes,
    normalize_resource,
    replace_resource,
    schemas_for,
)
from scimdock.core.schema import (
    CORE_USER,
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    USER,
    Attribute,
    ResourceType,
    Schema,
)
from tests.fuzzing import examples

GROUP = ResourceType("Group", "/Groups", GROUP_SCHEMA)
THING_EXT = "urn:test:schemas:extension:Thing"
THING = ResourceType(
    "Thing",
    "/Things",
    Schema(
        "urn:test:schemas:Thing",
        "Thing",
        "test",
        (
            Attribute("label", required=True),
            Attribute("count", "integer"),
            Attribute("ratio", "decimal"),
            Attribute("when", "dateTime"),
            Attribute("code", case_exact=True, mutability="immutable"),
            Attribute(
                "badge",
                "complex",
                sub_attributes=(Attribute("serial", mutability="immutable"), Attribute("colour")),
            ),
            Attribute(
                "parts",
                "complex",
                multi_valued=True,
                sub_attributes=(Attribute("value", required=True), Attribute("note")),
            ),
            Attribute("secret", mutability="writeOnly", returned="never"),
        ),
    ),
    (Schema(THING_EXT, "ThingExt", "test", (Attribute("level", "integer"),)),),
)


def err(fn: Any, *args: Any, **kwargs: Any) -> ScimError:
    with pytest.raises(ScimError) as info:
        fn(*args, **kwargs)
    assert info.value.status == 400
    return info.value


def norm(body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return normalize_resource(body, USER, **kw)


# --- names and structure (RFC 7643 §2.1, §3) ---------------------------------


def test_names_are_case_insensitive_and_come_back_canonical() -> None:
    doc = norm({"USERNAME": "a", "Name": {"GIVENNAME": "A"}, "EMAILS": [{"VALUE": "a@x"}]})
    assert doc == {"userName": "a", "name": {"givenName": "A"}, "emails": [{"value": "a@x"}]}


def test_extension_key_case_insensitive_and_nested() -> None:
    doc = norm(
        {
            "userName": "a",
            ENTERPRISE_USER.upper(): {"Department": "R&D", "MANAGER": {"value": "m1"}},
        }
    )
    assert doc[ENTERPRISE_USER] == {"department": "R&D", "manager": {"value": "m1"}}


def test_id_meta_schemas_ignored_and_external_id_kept() -> None:
    doc = norm(
        {
            "id": "x",
            "meta": {"resourceType": "User"},
            "schemas": [CORE_USER],
            "userName": "a",
            "externalId": "e1",
        }
    )
    assert doc == {"userName": "a", "externalId": "e1"}


def test_unknown_attribute_is_invalid_value_naming_it() -> None:
    e = err(norm, {"userName": "a", "shoeSize": 42})
    assert e.scim_type == "invalidValue" and "shoeSize" in e.detail


def test_unknown_sub_attribute_is_invalid_value() -> None:
    e = err(norm, {"userName": "a", "name": {"nick": "x"}})
    assert e.scim_type == "invalidValue" and "nick" in e.detail


def test_same_attribute_twice_in_different_case_is_rejected() -> None:
    assert err(norm, {"userName": "a", "username": "b"}).scim_type == "invalidValue"
    assert (
        err(norm, {"userName": "a", "name": {"givenName": "x", "GivenName": "y"}}).scim_type
        == "invalidValue"
    )


def test_body_must_be_an_object() -> None:
    assert err(normalize_resource, ["userName"], USER).scim_type == "invalidSyntax"


def test_urn_qualified_keys_are_not_accepted_in_a_body() -> None:
    for key in (f"{CORE_USER}:userName", f"{ENTERPRISE_USER}:department", CORE_USER):
        for lenient in (True, False):
            e = err(norm, {"userName": "a", key: "x"}, lenient=lenient)
            assert e.scim_type == "invalidValue"


def test_foreign_schema_keys_ignored_when_lenient_rejected_when_strict() -> None:
    ms = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
    body = {"displayName": "G", ms: {"x": 1}, "urn:other:ext": {"y": 2}}
    assert normalize_resource(body, GROUP) == {"displayName": "G"}
    assert err(normalize_resource, body, GROUP, lenient=False).scim_type == "invalidValue"


def test_extension_must_be_an_object_and_null_extension_is_dropped() -> None:
    assert err(norm, {"userName": "a", ENTERPRISE_USER: "x"}).scim_type == "invalidValue"
    assert norm({"userName": "a", ENTERPRISE_USER: None}) == {"userName": "a"}
    assert norm({"userName": "a", ENTERPRISE_USER: {"department": None}}) == {"userName": "a"}


def test_unknown_extension_attribute_is_invalid_value() -> None:
    e = err(norm, {"userName": "a", ENTERPRISE_USER: {"shoe": 1}})
    assert e.scim_type == "invalidValue" and "shoe" in e.detail


# --- unassigned, readOnly, writeOnly (RFC 7643 §2.2, §2.5) -------------------


def test_null_and_empty_values_are_unassigned() -> None:
    doc = norm(
        {
            "userName": "a",
            "displayName": None,
            "title": "",
            "emails": [],
            "name": {},
            "phoneNumbers": None,
            "addresses": [{"type": None}],
        }
    )
    assert doc == {"userName": "a"}


def test_null_sub_attributes_and_empty_elements_dropped() -> None:
    doc = norm(
        {"userName": "a", "emails": [{"value": "a@x", "type": None}, {"display": None}, None, {}]}
    )
    assert doc["emails"] == [{"value": "a@x"}]


def test_read_only_values_are_ignored() -> None:
    doc = norm(
        {
            "userName": "a",
            "groups": [{"value": "g1"}],
            "meta": {"created": "x"},
            ENTERPRISE_USER: {"manager": {"value": "m", "displayName": "Boss"}},
        }
    )
    assert doc == {"userName": "a", ENTERPRISE_USER: {"manager": {"value": "m"}}}


def test_manager_with_only_display_name_is_unassigned() -> None:
    doc = norm({"userName": "a", ENTERPRISE_USER: {"manager": {"displayName": "Boss"}}})
    assert doc == {"userName": "a"}


def test_password_is_accepted_and_discarded() -> None:
    assert norm({"userName": "a", "password": "s3cret!"}) == {"userName": "a"}
    assert normalize_resource({"label": "l", "secret": "x"}, THING) == {"label": "l"}


def test_required_attribute_missing_or_empty() -> None:
    for body in ({}, {"userName": ""}, {"userName": None}, {"displayName": "x"}):
        e = err(norm, body)
        assert e.scim_type == "invalidValue" and "userName" in e.detail


def test_required_sub_attribute_of_an_element() -> None:
    e = err(normalize_resource, {"label": "l", "parts": [{"note": "n"}]}, THING)
    assert e.scim_type == "invalidValue" and "parts.value" in e.detail


# --- types (RFC 7643 §2.3) ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"userName": 5},
        {"userName": "a", "displayName": True},
        {"userName": "a", "name": "x"},
        {"userName": "a", "active": 1},
        {"userName": "a", "active": "yes"},
        {"userName": "a", "emails": [{"value": 5}]},
        {"userName": "a", "emails": ["a@x"]},
        {"userName": "a", "profileUrl": 3},
        {"userName": "a", "x509Certificates": [{"value": 1}]},
        {"userName": "a", "name": ["x", "y"]},
    ],
)
def test_wrong_types_are_invalid_value(body: dict[str, Any]) -> None:
    for lenient in (True, False):
        assert err(norm, body, lenient=lenient).scim_type == "invalidValue"


def test_integer_decimal_datetime() -> None:
    doc = normalize_resource(
        {
            "label": "l",
            "count": 3,
            "ratio": 0.5,
            "when": "2008-01-23T04:56:22Z",
            THING_EXT: {"level": 2},
        },
        THING,
    )
    assert doc == {
        "label": "l",
        "count": 3,
        "ratio": 0.5,
        "when": "2008-01-23T04:56:22Z",
        THING_EXT: {"level": 2},
    }
    assert (
        normalize_resource(
            {"label": "l", "ratio": 2, "when": "2008-01-23T04:56:22.5+02:00"}, THING
        )["ratio"]
        == 2
    )
    for bad in (
        {"count": True},
        {"count": 1.5},
        {"count": "3"},
        {"ratio": False},
        {"ratio": "0.5"},
        {"when": "2008-01-23"},
        {"when": "2008-13-01T00:00:00Z"},
        {"when": "yesterday"},
        {"when": 1200000000},
        {THING_EXT: {"level": "2"}},
    ):
        e = err(normalize_resource, {"label": "l", **bad}, THING)
        assert e.scim_type == "invalidValue"


def test_string_booleans_lenient_only() -> None:
    body = {
        "userName": "a",
        "active": "False",
        "emails": [{"value": "a@x", "primary": "True"}, {"value": "b@x", "primary": "false"}],
    }
    doc = norm(body)
    assert doc["active"] is False
    assert doc["emails"] == [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": False}]
    assert norm({"userName": "a", "active": "TRUE"})["active"] is True
    assert err(norm, body, lenient=False).scim_type == "invalidValue"


def test_bare_string_and_list_wrapped_manager_lenient_only() -> None:
    for manager in ("m1", [{"value": "m1"}]):
        body = {"userName": "a", ENTERPRISE_USER: {"manager": manager}}
        assert norm(body)[ENTERPRISE_USER] == {"manager": {"value": "m1"}}
        assert err(norm, body, lenient=False).scim_type == "invalidValue"


def test_single_value_for_multi_valued_lenient_only() -> None:
    body = {"userName": "a", "emails": {"value": "a@x", "type": "work"}}
    assert norm(body)["emails"] == [{"value": "a@x", "type": "work"}]
    assert err(norm, body, lenient=False).scim_type == "invalidValue"


def test_canonical_values_are_not_enforced() -> None:
    doc = norm({"userName": "a", "emails": [{"value": "a@x", "type": "Corporate"}]})
    assert doc["emails"][0]["type"] == "Corporate"


def test_at_most_one_primary() -> None:
    body = {
        "userName": "a",
        "emails": [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": "true"}],
    }
    e = err(norm, body)
    assert e.scim_type == "invalidValue" and "primary" in e.detail


# --- what the identity providers send ----------------------------------------


def test_entra_create_user() -> None:
    body = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "externalId": "0a21f0f2",
        "userName": "Test_User",
        "active": True,
        "displayName": None,
        "nickName": None,
        "emails": [{"primary": True, "type": "work", "value": "t@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
        "title": None,
        ENTERPRISE_USER: {
            "department": "Sales",
            "manager": {"value": "mgr-id"},
            "employeeNumber": None,
        },
    }
    assert norm(body, lenient=False) == {
        "externalId": "0a21f0f2",
        "userName": "Test_User",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "t@contoso.com"}],
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        ENTERPRISE_USER: {"department": "Sales", "manager": {"value": "mgr-id"}},
    }


def test_okta_create_user_with_password_groups_locale() -> None:
    body = {
        "schemas": [CORE_USER],
        "userName": "a@example.com",
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"primary": True, "value": "a@example.com", "type": "work"}],
        "displayName": "A B",
        "locale": "en-US",
        "externalId": "00u1",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    doc = norm(body, lenient=False)
    assert "password" not in doc and "groups" not in doc and doc["locale"] == "en-US"


def test_entra_group_with_extra_schema_uri() -> None:
    body = {
        "schemas": [
            GROUP.schema.id,
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ],
        "externalId": "8aa1",
        "displayName": "Group1",
        "members": [{"value": "u1"}],
    }
    assert normalize_resource(body, GROUP, lenient=False) == {
        "externalId": "8aa1",
        "displayName": "Group1",
        "members": [{"value": "u1"}],
    }


def test_input_is_not_mutated() -> None:
    body = {"userName": "a", "emails": {"value": "a@x", "primary": "True"}}
    snapshot = repr(body)
    norm(body)
    assert repr(body) == snapshot


# --- PUT (RFC 7644 §3.5.1) ----------------------------------------------------


def test_put_replaces_and_clears_unsent() -> None:
    old = {"userName": "a", "title": "Boss", ENTERPRISE_USER: {"department": "X"}}
    new = replace_resource(old, {"id": "1", "meta": {}, "userName": "a", "nickName": "n"}, USER)
    assert new == {"userName": "a", "nickName": "n"}


def test_put_immutable() -> None:
    old = {"label": "l", "code": "C1", "badge": {"serial": "S", "colour": "red"}}
    assert replace_resource(old, {"label": "l", "code": "C1"}, THING)["code"] == "C1"
    kept = replace_resource(old, {"label": "m"}, THING)
    assert kept == {"label": "m", "code": "C1", "badge": {"serial": "S"}}
    assert err(replace_resource, old, {"label": "l", "code": "c1"}, THING).scim_type == "mutability"
    e = err(replace_resource, old, {"label": "l", "badge": {"serial": "T"}}, THING)
    assert e.scim_type == "mutability" and "serial" in e.detail
    assert replace_resource({"label": "l"}, {"label": "l", "code": "C2"}, THING)["code"] == "C2"


def test_put_may_change_members_whose_value_is_immutable() -> None:
    old = {"displayName": "G", "members": [{"value": "u1"}]}
    new = replace_resource(old, {"displayName": "G", "members": [{"value": "u2"}]}, GROUP)
    assert new["members"] == [{"value": "u2"}]


def test_put_ignores_read_only_and_validates() -> None:
    old = {"userName": "a"}
    assert replace_resource(old, {"userName": "b", "groups": [{"value": "g"}]}, USER) == {
        "userName": "b"
    }
    assert err(replace_resource, old, {"displayName": "x"}, USER).scim_type == "invalidValue"


# --- helpers ------------------------------------------------------------------


def test_changed_attributes() -> None:
    old = {
        "userName": "a",
        "name": {"givenName": "A"},
        ENTERPRISE_USER: {"department": "X", "division": "D"},
    }
    new = {
        "userName": "a",
        "name": {"givenName": "B"},
        "title": "T",
        ENTERPRISE_USER: {"department": "Y", "division": "D"},
    }
    assert changed_attributes(old, new) == ["name", "title", f"{ENTERPRISE_USER}:department"]
    assert changed_attributes(old, old) == []
    assert changed_attributes(
        {"userName": "a"}, {"userName": "a", ENTERPRISE_USER: {"costCenter": "1"}}
    ) == [f"{ENTERPRISE_USER}:costCenter"]


def test_schemas_for() -> None:
    assert schemas_for({"userName": "a"}, USER) == [CORE_USER]
    assert schemas_for({"userName": "a", ENTERPRISE_USER: {"department": "X"}}, USER) == [
        CORE_USER,
        ENTERPRISE_USER,
    ]


# --- properties ---------------------------------------------------------------

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(["True", "false", ""]),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
user_keys = st.sampled_from(
    [
        "userName",
        "USERNAME",
        "name",
        "emails",
        "active",
        "title",
        "groups",
        "password",
        "id",
        "meta",
        ENTERPRISE_USER,
        "urn:x:y",
        "bogus",
        "phoneNumbers",
        "addresses",
        "x509Certificates",
    ]
)
sub_dict = st.dictionaries(
    st.sampled_from(
        ["value", "type", "primary", "givenName", "display", "department", "manager", "formatted"]
    ),
    json_value,
    max_size=3,
)
bodies = st.dictionaries(
    user_keys, st.one_of(json_value, sub_dict, st.lists(sub_dict, max_size=3)), max_size=6
)


def _no_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(_no_empty(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and all(_no_empty(v) for v in value)
    return value is not None and value != ""


@settings(max_examples=examples(300), deadline=None)
@given(bodies, st.booleans())
def test_normalize_returns_a_clean_doc_or_raises_scim_error(
    body: dict[str, Any], lenient: bool
) -> None:
    try:
        doc = norm(body, lenient=lenient)
    except ScimError as e:
        assert e.status == 400 and e.scim_type in ("invalidValue", "invalidSyntax")
        return
    assert _no_empty(doc) and isinstance(doc["userName"], str)
    assert not {"id", "meta", "schemas", "password", "groups"} & set(doc)
    assert norm(doc, lenient=False) == doc  # a doc is its own normal form


def test_schemas_inside_an_extension_object_is_ignored_only_when_lenient() -> None:
    from scimdock.core.errors import ScimError
    from scimdock.core.resource import normalize_resource
    from scimdock.core.schema import ENTERPRISE_USER, USER

    body = {"userName": "u", ENTERPRISE_USER: {"schemas": [ENTERPRISE_USER], "division": "X"}}
    assert normalize_resource(body, USER)[ENTERPRISE_USER] == {"division": "X"}
    try:
        normalize_resource(body, USER, lenient=False)
    except ScimError as exc:
        assert exc.scim_type == "invalidValue"
    else:
        raise AssertionError("strict mode accepted 'schemas' inside an extension")
