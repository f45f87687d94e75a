"""core.patch: RFC 7644 §3.5.2 and every PATCH form Entra ID and Okta send (docs/idp-entra.md, docs/idp-okta.md)."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimdock.core.errors import ScimError
from scimdock.core.extensions import with_extensions
from scimdock.core.patch import apply_patch
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import (
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    USER,
    Attribute,
    ResourceType,
    Schema,
)
from tests.fuzzing import examples

E = ENTERPRISE_USER
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = ResourceType("Group", "/Groups", GROUP_SCHEMA)
THING = ResourceType(
    "Thing",
    "/Things",
    Schema(
        "urn:test:Thing",
        "Thing",
        "test",
        (
            Attribute("label", required=True),
            Attribute("code", mutability="immutable"),
            Attribute(
                "badge",
                "complex",
                sub_attributes=(Attribute("serial", mutability="immutable"), Attribute("colour")),
            ),
            Attribute("tags", multi_valued=True),
        ),
    ),
)

BASE: dict[str, Any] = {
    "userName": "bjensen",
    "active": True,
    "displayName": "Babs",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [
        {"value": "b@work", "type": "work", "primary": True},
        {"value": "b@home", "type": "home"},
    ],
    "phoneNumbers": [{"value": "555-1", "type": "mobile"}],
    "addresses": [{"type": "work", "streetAddress": "1 Main St", "locality": "Here"}],
    E: {"department": "Sales", "manager": {"value": "m1"}},
}


def patch(
    *ops: dict[str, Any],
    doc: dict[str, Any] | None = None,
    rt: ResourceType = USER,
    lenient: bool = True,
) -> dict[str, Any]:
    source = copy.deepcopy(BASE if doc is None else doc)
    snapshot = copy.deepcopy(source)
    out = apply_patch(source, list(ops), rt, lenient=lenient)
    assert source == snapshot, "apply_patch mutated its input"
    return out


def fails(
    *ops: dict[str, Any],
    doc: dict[str, Any] | None = None,
    rt: ResourceType = USER,
    lenient: bool = True,
) -> ScimError:
    source = copy.deepcopy(BASE if doc is None else doc)
    snapshot = copy.deepcopy(source)
    with pytest.raises(ScimError) as info:
        apply_patch(source, list(ops), rt, lenient=lenient)
    assert info.value.status == 400
    assert source == snapshot
    return info.value


# --- op and operations ---------------------------------------------------------


@pytest.mark.parametrize("op", ["replace", "Replace", "REPLACE"])
def test_op_is_case_insensitive(op: str) -> None:
    assert patch({"op": op, "path": "displayName", "value": "B"})["displayName"] == "B"


@pytest.mark.parametrize("ops", [[], None, {"op": "add"}, ["add"], [None]])
def test_operations_must_be_a_non_empty_list_of_objects(ops: Any) -> None:
    with pytest.raises(ScimError) as info:
        apply_patch(BASE, ops, USER)
    assert info.value.scim_type == "invalidSyntax"


@pytest.mark.parametrize("op", ["delete", "", None, 1, "move"])
def test_unknown_op_is_invalid_syntax(op: Any) -> None:
    assert fails({"op": op, "path": "title", "value": "x"}).scim_type == "invalidSyntax"


@pytest.mark.parametrize("op", ["add", "replace"])
def test_add_replace_need_a_value(op: str) -> None:
    assert fails({"op": op, "path": "title"}).scim_type == "invalidValue"


def test_operation_member_names_are_case_insensitive() -> None:
    assert patch({"Op": "Add", "Path": "title", "Value": "T"})["title"] == "T"


def test_operations_apply_in_order_and_the_error_names_the_operation() -> None:
    out = patch(
        {"op": "replace", "path": "title", "value": "A"},
        {"op": "replace", "path": "title", "value": "B"},
    )
    assert out["title"] == "B"
    e = fails(
        {"op": "replace", "path": "title", "value": "A"},
        {"op": "replace", "path": "active", "value": "maybe"},
    )
    assert e.scim_type == "invalidValue" and e.detail.startswith("Operations[1]")


def test_atomic_failure_in_the_middle_leaves_input_untouched() -> None:
    fails(
        {"op": "replace", "path": "displayName", "value": "X"},
        {"op": "remove", "path": "emails"},
        {"op": "add", "path": "displayName", "value": 1},
        {"op": "replace", "path": "title", "value": "Y"},
    )


# --- simple, sub-attribute and extension paths --------------------------------


def test_entra_string_booleans() -> None:
    assert patch({"op": "Replace", "path": "active", "value": "False"})["active"] is False
    assert (
        patch({"op": "Replace", "path": "active", "value": "True"}, doc={**BASE, "active": False})[
            "active"
        ]
        is True
    )
    assert (
        fails({"op": "Replace", "path": "active", "value": "False"}, lenient=False).scim_type
        == "invalidValue"
    )


def test_sub_attribute_path() -> None:
    out = patch({"op": "replace", "path": "name.givenName", "value": "Babs"})
    assert out["name"] == {"givenName": "Babs", "familyName": "Jensen"}
    out = patch({"op": "add", "path": "NAME.middleName", "value": "J"})
    assert out["name"]["middleName"] == "J"
    out = patch(
        {"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}
    )
    assert "name" not in out


def test_complex_replace_merges_sub_attributes() -> None:
    out = patch({"op": "replace", "path": "name", "value": {"familyName": "J", "formatted": "B J"}})
    assert out["name"] == {"givenName": "Barbara", "familyName": "J", "formatted": "B J"}
    out = patch({"op": "add", "path": "name", "value": {"givenName": None}})
    assert out["name"] == {"familyName": "Jensen"}


def test_urn_qualified_core_and_extension_paths() -> None:
    out = patch(
        {"op": "replace", "path": f"{CORE}:userName", "value": "bj"},
        {"op": "replace", "path": f"{E}:department", "value": "R&D"},
        {"op": "add", "path": f"{E}:employeeNumber", "value": "7"},
        {"op": "replace", "path": f"{E.upper()}:costCenter", "value": "C"},
    )
    assert out["userName"] == "bj"
    assert out[E] == {
        "department": "R&D",
        "manager": {"value": "m1"},
        "employeeNumber": "7",
        "costCenter": "C",
    }


def test_extension_created_and_removed_as_a_whole() -> None:
    doc = {"userName": "u"}
    out = patch({"op": "add", "path": f"{E}:department", "value": "X"}, doc=doc)
    assert out == {"userName": "u", E: {"department": "X"}}
    out = patch({"op": "remove", "path": f"{E}:department"}, doc=out)
    assert out == {"userName": "u"}
    assert patch({"op": "remove", "path": E}) == {k: v for k, v in BASE.items() if k != E}
    out = patch({"op": "replace", "path": E, "value": {"division": "D"}})
    assert out[E]["division"] == "D" and out[E]["department"] == "Sales"


def test_entra_manager_forms() -> None:
    out = patch({"op": "Replace", "path": f"{E}:manager", "value": {"value": "m2"}})
    assert out[E]["manager"] == {"value": "m2"}
    out = patch(
        {"op": "Add", "path": f"{E}:manager", "value": {"value": "m2"}}, doc={"userName": "u"}
    )
    assert out[E] == {"manager": {"value": "m2"}}
    out = patch({"op": "replace", "path": f"{E}:manager.value", "value": "m3"})
    assert out[E]["manager"] == {"value": "m3"}
    for op in (
        {"op": "Remove", "path": f"{E}:manager"},
        {"op": "Replace", "path": f"{E}:manager", "value": {"value": ""}},
        {"op": "Replace", "path": f"{E}:manager", "value": None},
        {"op": "replace", "path": f"{E}:manager.value", "value": ""},
        {"op": "remove", "path": f"{E}:manager.value"},
    ):
        assert patch(op)[E] == {"department": "Sales"}, op
    cleared = patch(
        {"op": "Replace", "path": f"{E}:manager", "value": {"value": ""}},
        doc={"userName": "u", E: {"manager": {"value": "m", "$ref": "../Users/m"}}},
    )
    assert E not in cleared


def test_manager_bare_string_lenient_only() -> None:
    op = {"op": "replace", "path": f"{E}:manager", "value": "m9"}
    assert patch(op)[E]["manager"] == {"value": "m9"}
    assert fails(op, lenient=False).scim_type == "invalidValue"


def test_manager_display_name_is_read_only() -> None:
    e = fails({"op": "replace", "path": f"{E}:manager.displayName", "value": "Boss"})
    assert e.scim_type == "mutability"
    out = patch(
        {"op": "replace", "path": f"{E}:manager", "value": {"value": "m2", "displayName": "Boss"}}
    )
    assert out[E]["manager"] == {"value": "m2"}


# --- no path -------------------------------------------------------------------


def test_okta_deactivate_without_path() -> None:
    assert patch({"op": "replace", "value": {"active": False}})["active"] is False


def test_entra_no_path_with_dotted_and_urn_keys() -> None:
    out = patch(
        {
            "op": "replace",
            "value": {
                "name.givenName": "A",
                f"{E}:employeeNumber": "7",
                "displayName": "D",
                f"{CORE}:title": "T",
            },
        }
    )
    assert out["name"]["givenName"] == "A" and out["name"]["familyName"] == "Jensen"
    assert out[E]["employeeNumber"] == "7" and out["displayName"] == "D" and out["title"] == "T"


def test_no_path_with_extension_object() -> None:
    out = patch(
        {
            "op": "add",
            "value": {
                E: {"department": "Ops", "manager": {"value": "m5"}},
                "emails": [{"value": "n@x", "type": "other"}],
            },
        }
    )
    assert out[E] == {"department": "Ops", "manager": {"value": "m5"}}
    assert len(out["emails"]) == 3


def test_no_path_value_must_be_an_object() -> None:
    assert fails({"op": "replace", "value": "x"}).scim_type == "invalidValue"
    assert fails({"op": "replace", "value": {E: "x"}}).scim_type == "invalidValue"


def test_remove_without_path_is_no_target() -> None:
    assert fails({"op": "remove"}).scim_type == "noTarget"
    assert fails({"op": "remove", "value": {"title": "x"}}).scim_type == "noTarget"


# --- multi-valued --------------------------------------------------------------


def test_add_appends_and_skips_present_values() -> None:
    out = patch(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "c@x", "type": "other"}, {"value": "B@HOME", "type": "home"}],
        }
    )
    assert [e["value"] for e in out["emails"]] == ["b@work", "b@home", "c@x"]
    out = patch({"op": "add", "path": "emails", "value": {"value": "d@x"}})
    assert out["emails"][-1] == {"value": "d@x"}
    e = fails({"op": "add", "path": "emails", "value": {"value": "d@x"}}, lenient=False)
    assert e.scim_type == "invalidValue"


def test_replace_replaces_the_whole_list() -> None:
    out = patch({"op": "replace", "path": "emails", "value": [{"value": "z@x"}]})
    assert out["emails"] == [{"value": "z@x"}]
    out = patch({"op": "replace", "path": "emails", "value": []})
    assert "emails" not in out


def test_remove_whole_multi_valued() -> None:
    assert "phoneNumbers" not in patch({"op": "remove", "path": "phoneNumbers"})


def test_new_primary_takes_it_from_the_others() -> None:
    out = patch({"op": "add", "path": "emails", "value": [{"value": "c@x", "primary": "True"}]})
    assert [e.get("primary") for e in out["emails"]] == [None, None, True]
    out = patch({"op": "replace", "path": 'emails[type eq "home"].primary', "value": True})
    assert [e.get("primary") for e in out["emails"]] == [None, True]
    e = fails(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "c@x", "primary": True}, {"value": "d@x", "primary": True}],
        }
    )
    assert e.scim_type == "invalidValue"
    e = fails({"op": "replace", "path": "emails[value pr].primary", "value": True})
    assert e.scim_type == "invalidValue"


# --- value filters -------------------------------------------------------------


def test_filter_with_sub_attribute_replaces_in_matches() -> None:
    out = patch({"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@work"})
    assert out["emails"][0] == {"value": "new@work", "type": "work", "primary": True}
    out = patch(
        {"op": "Replace", "path": 'addresses[type eq "work"].streetAddress', "value": "2 Side St"}
    )
    assert out["addresses"] == [{"type": "work", "streetAddress": "2 Side St", "locality": "Here"}]
    out = patch({"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "555-2"})
    assert out["phoneNumbers"] == [{"value": "555-2", "type": "mobile"}]


@pytest.mark.parametrize("op", ["Add", "Replace"])
def test_entra_filter_without_match_creates_the_element(op: str) -> None:
    out = patch({"op": op, "path": 'phoneNumbers[type eq "work"].value', "value": "555-9"})
    assert out["phoneNumbers"][-1] == {"type": "work", "value": "555-9"}
    out = patch(
        {"op": op, "path": 'emails[type eq "work"].value', "value": "a@b"}, doc={"userName": "u"}
    )
    assert out["emails"] == [{"type": "work", "value": "a@b"}]
    out = patch({"op": op, "path": 'addresses[type eq "home"].locality', "value": "There"})
    assert out["addresses"][-1] == {"type": "home", "locality": "There"}


def test_strict_replace_without_match_is_no_target_but_add_creates() -> None:
    op = {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": "555-9"}
    assert fails(op, lenient=False).scim_type == "noTarget"
    out = patch({**op, "op": "add"}, lenient=False)
    assert out["phoneNumbers"][-1] == {"type": "work", "value": "555-9"}


def test_filter_that_cannot_describe_an_element_is_no_target() -> None:
    e = fails(
        {"op": "add", "path": 'emails[type ne "work" or value pr].display', "value": "x"},
        doc={"userName": "u"},
    )
    assert e.scim_type == "noTarget"


def test_filter_without_sub_merges_into_matches() -> None:
    out = patch(
        {
            "op": "replace",
            "path": 'emails[type eq "home"]',
            "value": {"value": "h@x", "display": "Home"},
        }
    )
    assert out["emails"][1] == {"value": "h@x", "type": "home", "display": "Home"}


def test_remove_through_filter() -> None:
    out = patch({"op": "remove", "path": 'emails[type eq "home"]'})
    assert out["emails"] == [BASE["emails"][0]]
    out = patch({"op": "remove", "path": 'emails[type eq "fax"]'})
    assert out["emails"] == BASE["emails"]
    out = patch({"op": "remove", "path": 'emails[type eq "work"].primary'})
    assert out["emails"][0] == {"value": "b@work", "type": "work"}
    out = patch(
        {"op": "remove", "path": 'phoneNumbers[type eq "mobile"].value'},
        {"op": "remove", "path": 'phoneNumbers[type eq "mobile"].type'},
    )
    assert "phoneNumbers" not in out


def test_filter_on_single_valued_or_sub_of_multi_valued_without_filter() -> None:
    assert fails({"op": "replace", "path": "emails.value", "value": "x"}).scim_type == "invalidPath"


# --- groups (Entra and Okta membership) ----------------------------------------

GDOC = {"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]}


def test_entra_add_members() -> None:
    out = patch(
        {"op": "Add", "path": "members", "value": [{"value": "u4"}, {"value": "u1"}]},
        doc=GDOC,
        rt=GROUP,
    )
    assert [m["value"] for m in out["members"]] == ["u1", "u2", "u3", "u4"]


def test_entra_remove_members_with_value_removes_only_those() -> None:
    op = {"op": "Remove", "path": "members", "value": [{"value": "u2"}]}
    out = patch(op, doc=GDOC, rt=GROUP)
    assert out["members"] == [{"value": "u1"}, {"value": "u3"}]
    assert patch({**op, "value": []}, doc=GDOC, rt=GROUP)["members"] == GDOC["members"]
    assert fails(op, doc=GDOC, rt=GROUP, lenient=False).scim_type == "invalidSyntax"


def test_okta_membership_remove_then_add_in_order() -> None:
    out = patch(
        {"op": "remove", "path": 'members[value eq "u1"]'},
        {"op": "add", "path": "members", "value": [{"value": "u9", "display": "Nine"}]},
        doc=GDOC,
        rt=GROUP,
        lenient=False,
    )
    # display is kept as given (immutable, RFC 7643 §2.4), as Okta sends it
    assert out["members"] == [{"value": "u2"}, {"value": "u3"}, {"value": "u9", "display": "Nine"}]


def test_okta_replace_members_sets_exactly_that_list() -> None:
    out = patch(
        {"op": "replace", "path": "members", "value": [{"value": "u7"}]}, doc=GDOC, rt=GROUP
    )
    assert out["members"] == [{"value": "u7"}]


def test_member_value_is_immutable_through_a_filter() -> None:
    e = fails(
        {"op": "replace", "path": 'members[value eq "u1"].value', "value": "u8"}, doc=GDOC, rt=GROUP
    )
    assert e.scim_type == "mutability"


def test_remove_all_members_and_null_value_on_remove() -> None:
    assert "members" not in patch({"op": "remove", "path": "members"}, doc=GDOC, rt=GROUP)
    assert "members" not in patch(
        {"op": "remove", "path": "members", "value": None}, doc=GDOC, rt=GROUP, lenient=False
    )


# --- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["id", "meta", "schemas", "groups", "meta.created", f"{CORE}:id", "ID"]
)
def test_provider_owned_and_read_only_targets_are_mutability(path: str) -> None:
    for op in ({"op": "replace", "path": path, "value": "x"}, {"op": "remove", "path": path}):
        assert fails(op).scim_type == "mutability"
    no_path = {"op": "replace", "value": {path: "x"}}
    assert fails(no_path, lenient=False).scim_type == "mutability"
    if path.lower() in ("id", "meta", "schemas"):  # Okta repeats the id: ignored (leniency)
        assert apply_patch(copy.deepcopy(BASE), [no_path], USER) == BASE
    else:
        assert fails(no_path).scim_type == "mutability"


@pytest.mark.parametrize(
    "path",
    ["bogus", "name.bogus", f"{E}:bogus", "emails[type eq", 'emails[bogus eq "x"].value', ""],
)
def test_bad_paths_are_invalid_path(path: str) -> None:
    """An unknown attribute is refused in lenient mode too: skipping the
    operation would answer 2xx for a change never made (RFC 7644 §3.5.2)."""
    op = {"op": "replace", "path": path, "value": "x"}
    assert fails(op, lenient=False).scim_type == "invalidPath"
    assert fails(op, {"op": "replace", "path": "title", "value": "T"}).scim_type == "invalidPath"
    if path:
        assert fails({"op": "remove", "path": path}).scim_type == "invalidPath"


def test_non_string_path_is_invalid_path() -> None:
    assert fails({"op": "replace", "path": 3, "value": "x"}).scim_type == "invalidPath"


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "displayName", "value": 5},
        {"op": "replace", "path": "name", "value": "Babs"},
        {"op": "add", "path": "emails", "value": [{"value": "x", "bogus": 1}]},
        {"op": "replace", "path": 'emails[type eq "work"].primary', "value": "sure"},
    ],
)
def test_wrong_values_are_invalid_value(op: dict[str, Any]) -> None:
    assert fails(op).scim_type == "invalidValue"


def test_removing_user_name_is_invalid_value_after_all_ops() -> None:
    e = fails({"op": "remove", "path": "userName"})
    assert e.scim_type == "invalidValue" and "userName" in e.detail
    assert fails({"op": "replace", "path": "userName", "value": ""}).scim_type == "invalidValue"
    out = patch(
        {"op": "remove", "path": "userName"}, {"op": "add", "path": "userName", "value": "n"}
    )
    assert out["userName"] == "n"


def test_immutable_attribute() -> None:
    doc = {"label": "l", "code": "C", "badge": {"serial": "S"}}
    assert patch({"op": "replace", "path": "code", "value": "C"}, doc=doc, rt=THING) == doc
    for op in (
        {"op": "replace", "path": "code", "value": "D"},
        {"op": "remove", "path": "code"},
        {"op": "replace", "path": "badge.serial", "value": "T"},
        {"op": "replace", "path": "badge", "value": {"serial": "T"}},
        {"op": "remove", "path": "badge"},
    ):
        assert fails(op, doc=doc, rt=THING).scim_type == "mutability", op
    out = patch(
        {"op": "add", "path": "code", "value": "C"},
        {"op": "add", "path": "badge.colour", "value": "red"},
        doc={"label": "l"},
        rt=THING,
    )
    assert out == {"label": "l", "code": "C", "badge": {"colour": "red"}}


def test_password_is_accepted_and_discarded() -> None:
    assert patch({"op": "replace", "path": "password", "value": "n3w!"}) == BASE


def test_simple_multi_valued_attribute() -> None:
    out = patch(
        {"op": "add", "path": "tags", "value": ["a", "b"]},
        {"op": "add", "path": "tags", "value": ["b", "c"]},
        doc={"label": "l"},
        rt=THING,
    )
    assert out["tags"] == ["a", "b", "c"]


def test_adding_a_present_member_with_more_detail_does_not_duplicate_it() -> None:
    out = patch(
        {"op": "add", "path": "members", "value": [{"value": "U1", "type": "User"}]},
        doc=GDOC,
        rt=GROUP,
    )
    assert out["members"] == [{"value": "u1", "type": "User"}, {"value": "u2"}, {"value": "u3"}]
    out = patch({"op": "add", "path": "emails", "value": [{"value": "b@home", "type": "work"}]})
    assert len(out["emails"]) == 3  # same address, different type: a new value
    out = patch({"op": "add", "path": "emails", "value": [{"value": "b@home", "primary": True}]})
    assert out["emails"] == [
        {"value": "b@work", "type": "work"},
        {"value": "b@home", "type": "home", "primary": True},
    ]


def test_primary_moves_even_from_an_element_that_only_had_primary() -> None:
    doc = {"userName": "u", "emails": [{"primary": True}, {"value": "a@x", "primary": False}]}
    out = patch(
        {"op": "replace", "path": 'emails[value eq "a@x"].primary', "value": "true"}, doc=doc
    )
    assert out["emails"] == [{"value": "a@x", "primary": True}]


def test_setting_nothing_through_an_unmatched_filter_creates_nothing() -> None:
    for value in ("", None):
        out = patch({"op": "add", "path": 'phoneNumbers[type eq "fax"].value', "value": value})
        assert out["phoneNumbers"] == BASE["phoneNumbers"]


def test_whole_extension_set_to_null_clears_it() -> None:
    assert E not in patch({"op": "replace", "value": {E: None}})
    assert E not in patch({"op": "replace", "path": E, "value": None})


# --- properties ----------------------------------------------------------------

_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["True", "False", "", "work", "u1"]),
)
_json = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "value",
                    "type",
                    "primary",
                    "display",
                    "givenName",
                    "active",
                    "department",
                    f"{E}:manager",
                    "name.givenName",
                    E,
                    "bogus",
                    "Value",
                ]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
_paths = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "displayName",
            "active",
            "name",
            "name.givenName",
            "emails",
            'emails[type eq "work"]',
            'emails[type eq "work"].value',
            'emails[value co "@"].primary',
            "phoneNumbers",
            f"{E}:manager",
            f"{E}:manager.value",
            f"{E}:department",
            E,
            f"{CORE}:userName",
            "members",
            'members[value eq "u1"]',
            "groups",
            "id",
            "emails[",
            "addresses[type eq 1]",
            'emails[type eq "work" and primary eq true].display',
            "userName",
            "x509Certificates",
        ]
    ),
)
_ops = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "Add", "replace", "REPLACE", "remove", "nope", 3])},
        optional={"path": _paths, "value": _json},
    ),
    max_size=4,
)


@settings(max_examples=examples(400), deadline=None)
@given(_ops, st.booleans(), st.sampled_from([USER, GROUP]))
def test_arbitrary_operations_raise_only_scim_error(
    ops: list[dict[str, Any]], lenient: bool, rt: ResourceType
) -> None:
    doc = copy.deepcopy(BASE if rt is USER else GDOC)
    snapshot = copy.deepcopy(doc)
    try:
        out = apply_patch(doc, ops, rt, lenient=lenient)
    except ScimError as e:
        assert e.status == 400 and e.scim_type is not None
    else:
        assert normalize_resource(out, rt, lenient=False) == out  # still a clean doc
    assert doc == snapshot


#: Text any attribute keeps as sent, ``userName`` included (core.identity:
#: NFC, no control character).
_text = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=8)
    .map(lambda s: unicodedata.normalize("NFC", s))
    .filter(lambda s: s.strip() == s and s)
)


@settings(max_examples=examples(150), deadline=None)
@given(
    st.sampled_from(
        [
            "displayName",
            "title",
            "name.givenName",
            f"{E}:department",
            f"{CORE}:userName",
            f"{E}:manager.value",
            'emails[type eq "work"].value',
            'addresses[type eq "home"].region',
        ]
    ),
    _text,
    st.sampled_from(["add", "replace"]),
    st.booleans(),
)
def test_replace_then_read_gives_the_value(path: str, value: str, op: str, lenient: bool) -> None:
    operation = {"op": op, "path": path, "value": value}
    if "home" in path and op == "replace" and not lenient:  # no home address to replace in
        assert fails(operation, lenient=False).scim_type == "noTarget"
        return
    out = apply_patch(BASE, [operation], USER, lenient=lenient)
    if path.startswith(E):
        target: Any = out[E]
        path = path[len(E) + 1 :]
    elif path.startswith(CORE):
        target, path = out, path[len(CORE) + 1 :]
    else:
        target = out
    if "[" in path:
        attr, rest = path.split("[", 1)
        kind, sub = rest.split('"')[1], rest.rsplit(".", 1)[1]
        assert [e[sub] for e in target[attr] if e.get("type") == kind] == [value]
    elif "." in path:
        attr, sub = path.split(".")
        assert target[attr][sub] == value
    else:
        assert target[path] == value


def test_schemas_inside_an_extension_value_is_ignored_only_when_lenient() -> None:
    """python-scim's scim2-models sends an extension with its own ``schemas``."""
    from scimdock.core.errors import ScimError
    from scimdock.core.patch import apply_patch
    from scimdock.core.schema import ENTERPRISE_USER, USER

    doc = {"userName": "u"}
    ops = [
        {
            "op": "add",
            "path": ENTERPRISE_USER,
            "value": {"schemas": [ENTERPRISE_USER], "department": "D"},
        }
    ]
    assert apply_patch(doc, ops, USER)[ENTERPRISE_USER] == {"department": "D"}
    try:
        apply_patch(doc, ops, USER, lenient=False)
    except ScimError as exc:
        assert exc.scim_type == "invalidValue"
    else:
        raise AssertionError("strict mode accepted 'schemas' inside an extension")


def test_provider_owned_keys_in_a_value_object_are_ignored_only_when_lenient() -> None:
    """Okta renames a group with {"op":"replace","value":{"id":..,"displayName":..}}."""
    from scimdock.core.errors import ScimError
    from scimdock.core.patch import apply_patch
    from scimdock.core.schema import USER

    ops = [{"op": "replace", "value": {"id": "abc", "schemas": [], "displayName": "New"}}]
    assert apply_patch({"userName": "u"}, ops, USER)["displayName"] == "New"
    try:
        apply_patch({"userName": "u"}, ops, USER, lenient=False)
    except ScimError as exc:
        assert exc.scim_type == "mutability"
    else:
        raise AssertionError("strict mode ignored 'id' in a PATCH value")


CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


@pytest.mark.parametrize(
    "op",
    [
        {"op": "Replace", "path": f"{CUSTOM}:tag", "value": "701984"},
        {"op": "Add", "path": CUSTOM, "value": {"tag": "701984"}},
        {"op": "Remove", "path": f"{CUSTOM}:tag"},
        {"op": "replace", "value": {f"{CUSTOM}:tag": "701984", "displayName": "Barb"}},
    ],
)
def test_a_custom_extension_path_is_invalid_path_when_lenient(op: dict[str, Any]) -> None:
    """An Entra custom extension attribute is ignored in POST bodies, but a
    PATCH of it is refused, not skipped: a 200 would say it was applied
    (a tenant that wants it registers the extension)."""
    caught = fails(op)
    assert caught.scim_type == "invalidPath" and "unknown schema" in caught.detail


@pytest.mark.parametrize("path", [f"{CUSTOM}:tag", CUSTOM, "urn:nope:Thing:x"])
def test_a_custom_extension_path_is_invalid_path_when_strict(path: str) -> None:
    with pytest.raises(ScimError) as caught:
        patch({"op": "replace", "path": path, "value": "x"}, lenient=False)
    assert caught.value.scim_type == "invalidPath" and "unknown schema" in caught.value.detail


# --- extension attributes named without their URN ------------------------------

#: A tenant's own extension (core.extensions) with an attribute of its own
#: and one the enterprise extension has too.
BADGE = "urn:example:params:scim:schemas:extension:badge:2.0:User"
TENANT = with_extensions(
    USER, [(Schema(BADGE, "Badge", "", (Attribute("badgeCode"), Attribute("division"))), False)]
)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("department", "Ops", {"department": "Ops"}),
        ("employeeNumber", "701984", {"employeeNumber": "701984"}),
        ("COSTCENTER", "4130", {"costCenter": "4130"}),
        ("organization", "Universal Studios", {"organization": "Universal Studios"}),
        ("division", "Theme Park", {"division": "Theme Park"}),
        ("manager", {"value": "m2"}, {"manager": {"value": "m2"}}),
        ("manager.value", "m2", {"manager": {"value": "m2"}}),
    ],
)
@pytest.mark.parametrize("op", ["add", "Replace"])
def test_an_unqualified_enterprise_path_is_the_enterprise_attribute(
    path: str, value: Any, expected: dict[str, Any], op: str
) -> None:
    """RFC 7644 §3.10 wants the URN; Entra ID leaves it out (leniency
    ``unqualified-extension``); strict mode answers 400 invalidPath."""
    operation = {"op": op, "path": path, "value": value}
    out = patch(operation)
    assert out[E] == {**BASE[E], **expected}
    caught = fails(operation, lenient=False)
    assert caught.scim_type == "invalidPath" and f"{E}:" in caught.detail
    no_path = {"op": op, "value": {path: value}}
    assert patch(no_path) == out
    assert fails(no_path, lenient=False).scim_type == "invalidPath"


@pytest.mark.parametrize("ref", [None, "https://scim.example.com/scim/v1/Users/m2"])
def test_entra_array_wrapped_manager_with_an_unqualified_path(ref: str | None) -> None:
    """Microsoft, "Use SCIM to automatically provision users and groups":
    ``{"op": "Add", "path": "manager", "value": [{"$ref": ..., "value": ...}]}``."""
    op = {"op": "Add", "path": "manager", "value": [{"$ref": ref, "value": "m2"}]}
    out = patch(op, doc={"userName": "u"})
    assert out[E]["manager"] == ({"value": "m2"} if ref is None else {"value": "m2", "$ref": ref})
    assert fails(op, lenient=False).scim_type == "invalidPath"
    qualified = {**op, "path": f"{E}:manager"}
    assert patch(qualified, doc={"userName": "u"}) == out
    assert fails(qualified, lenient=False).scim_type == "invalidValue"  # the array


def test_remove_through_an_unqualified_path() -> None:
    assert patch({"op": "remove", "path": "manager"})[E] == {"department": "Sales"}
    assert E not in patch(
        {"op": "remove", "path": "department"}, {"op": "remove", "path": "manager"}
    )
    assert patch({"op": "remove", "path": "costCenter"}) == BASE  # unassigned: nothing to remove


def test_a_tenant_extension_attribute_unqualified() -> None:
    out = patch({"op": "add", "path": "badgeCode", "value": "B-7"}, rt=TENANT)
    assert out[BADGE] == {"badgeCode": "B-7"}
    caught = fails({"op": "add", "path": "badgeCode", "value": "B-7"}, rt=TENANT, lenient=False)
    assert caught.scim_type == "invalidPath" and f"{BADGE}:badgeCode" in caught.detail


def test_a_name_two_extensions_define_is_not_guessed() -> None:
    for lenient in (True, False):
        caught = fails({"op": "add", "path": "division", "value": "D"}, rt=TENANT, lenient=lenient)
        assert caught.scim_type == "invalidPath" and "ambiguous" in caught.detail
        assert E in caught.detail and BADGE in caught.detail
    out = patch({"op": "add", "path": f"{BADGE}:division", "value": "D"}, rt=TENANT)
    assert out[BADGE] == {"division": "D"} and out[E] == BASE[E]


def test_a_core_name_is_never_an_extension_one() -> None:
    """``displayName`` of the core schema wins over an extension's."""
    ext = Schema(BADGE, "Badge", "", (Attribute("displayName"),))
    rt = with_extensions(USER, [(ext, False)])
    out = patch({"op": "replace", "path": "displayName", "value": "D"}, rt=rt)
    assert out["displayName"] == "D" and BADGE not in out


def test_unqualified_extension_names_in_a_body() -> None:
    body = {"userName": "u", "Department": "Ops", "manager": [{"$ref": None, "value": "m"}]}
    doc = normalize_resource(body, USER)
    assert doc == {"userName": "u", E: {"department": "Ops", "manager": {"value": "m"}}}
    with_object = {"userName": "u", E: {"costCenter": "C"}, "department": "Ops"}
    assert normalize_resource(with_object, USER)[E] == {"costCenter": "C", "department": "Ops"}
    for bad, lenient in (
        ({"userName": "u", "department": "Ops"}, False),
        ({"userName": "u", "department": "A", E: {"department": "B"}}, True),
        ({"userName": "u", "division": "A"}, True),
    ):
        rt = TENANT if "division" in bad else USER
        with pytest.raises(ScimError) as caught:
            normalize_resource(bad, rt, lenient=lenient)
        assert caught.value.scim_type == "invalidValue", bad


# --- property: an operation answered with success was applied ------------------

#: Simple paths (no filter) of TENANT and where each one's value is stored:
#: (extension URN or None, attribute, sub-attribute or None), and whether
#: it is named without its URN (strict mode refuses those).
_SIMPLE: dict[str, tuple[str | None, str, str | None, bool]] = {
    "displayName": (None, "displayName", None, False),
    "title": (None, "title", None, False),
    "name.givenName": (None, "name", "givenName", False),
    f"{CORE}:nickName": (None, "nickName", None, False),
    "active": (None, "active", None, False),
    f"{E}:department": (E, "department", None, False),
    "department": (E, "department", None, True),
    "EmployeeNumber": (E, "employeeNumber", None, True),
    "costCenter": (E, "costCenter", None, True),
    f"{E}:manager.value": (E, "manager", "value", False),
    "manager.value": (E, "manager", "value", True),
    "badgeCode": (BADGE, "badgeCode", None, True),
}
#: Paths that name nothing (or, ``division``, two extensions' attributes).
_NOWHERE = [
    "bogus",
    "name.bogus",
    f"{E}:bogus",
    f"{CORE}:bogus",
    "urn:example:nope:2.0:User:tag",
    "division",
    "emails.bogus",
]
_FILTERED = ['emails[type eq "work"].value', 'emails[type eq "fax"].value']
#: An operation without ``value``.
_ABSENT = object()


def _read(doc: dict[str, Any], path: str) -> Any:
    urn, attr, sub, _ = _SIMPLE[path]
    holder = doc.get(urn) or {} if urn else doc
    value = holder.get(attr)
    return value.get(sub) if sub is not None and isinstance(value, dict) else value


def _typed(path: str, value: Any, lenient: bool) -> Any:
    """What a successful add/replace must leave at ``path``."""
    if value is None or value == "":
        return None
    if path == "active" and lenient and isinstance(value, str):
        return value.lower() == "true"
    return value


@settings(max_examples=examples(300), deadline=None)
@given(
    st.sampled_from(["add", "Add", "replace", "Replace", "remove"]),
    st.sampled_from([*_SIMPLE, *_NOWHERE, *_FILTERED]),
    st.one_of(
        st.just(_ABSENT),
        st.none(),
        st.just(""),
        _text,
        st.sampled_from(["True", "false", "Sales", "m1"]),
        st.booleans(),
        st.integers(),
        st.just(["x"]),
        st.just({"value": "x"}),
    ),
    st.booleans(),
    st.booleans(),
)
def test_a_successful_operation_did_what_it_says(
    op: str, path: str, value: Any, lenient: bool, without_path: bool
) -> None:
    """Each success changes the doc as the operation says; each refusal
    (ScimError) leaves the input untouched (RFC 7644 §3.5.2: no 2xx for an
    operation that was not applied)."""
    doc = copy.deepcopy({**BASE, BADGE: {"badgeCode": "B-1"}})
    snapshot = copy.deepcopy(doc)
    operation: dict[str, Any] = {"op": op}
    if without_path and op.lower() != "remove" and "[" not in path:
        operation["value"] = {path: None if value is _ABSENT else value}
    else:
        operation["path"] = path
        if value is not _ABSENT:
            operation["value"] = value
    try:
        out = apply_patch(doc, [operation], TENANT, lenient=lenient)
    except ScimError as e:
        assert e.status == 400 and e.scim_type is not None
        assert doc == snapshot
        well_formed = op == "remove" or value is not _ABSENT
        unqualified = path in _SIMPLE and _SIMPLE[path][3] and not lenient
        if well_formed and (path in _NOWHERE or unqualified):
            assert e.scim_type == "invalidPath", (operation, e.detail)
        return
    assert doc == snapshot
    assert path not in _NOWHERE, operation
    given_value = operation["value"][path] if "path" not in operation else value
    if path in _SIMPLE:
        assert lenient or not _SIMPLE[path][3], operation
        expected = None if op == "remove" else _typed(path, given_value, lenient)
        assert _read(out, path) == expected, operation
        assert out != doc or _read(doc, path) == expected, operation
        return
    kind = path.split('"')[1]
    matching = [e for e in out.get("emails", []) if e.get("type") == kind]
    if op == "remove":
        assert all("value" not in e for e in matching), operation
    elif isinstance(value, str) and value:
        assert matching and all(e["value"] == value for e in matching), operation
        assert out != doc or any(e.get("value") == value for e in doc["emails"]), operation


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": f"{E}:manager", "value": {"displayName": "Boss"}},
        {"op": "add", "path": "manager", "value": [{"displayName": "Boss"}]},
        {"op": "replace", "value": {f"{E}:manager": {"displayName": "Boss"}}},
    ],
)
def test_a_value_of_only_read_only_sub_attributes_is_refused(op: dict[str, Any]) -> None:
    """Dropping ``displayName`` (RFC 7643 §4.3: readOnly) would leave the
    operation with nothing to do: 400 mutability, not a 200."""
    assert fails(op).scim_type == "mutability"
    assert fails(op, doc={"userName": "u"}).scim_type == "mutability"
