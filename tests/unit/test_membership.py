"""Membership planning (core.membership): every membership form Entra ID and
Okta send (docs/idp-entra.md, docs/idp-okta.md) becomes the right action, and — property
tested — the fast path means exactly what the ordinary PATCH engine
(core.patch) does to a group whose members are in the document."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimdock.core.errors import ScimError
from scimdock.core.membership import (
    Action,
    AddMembers,
    ClearMembers,
    GroupChange,
    Member,
    RemoveMembers,
    ReplaceMembers,
    RewriteMembers,
    plan_create,
    plan_patch,
    plan_replace,
)
from scimdock.core.patch import apply_patch
from scimdock.core.schema import GROUP
from tests.fuzzing import examples

DOC = {"displayName": "Team"}


def plan(*ops: dict[str, Any], lenient: bool = True) -> GroupChange:
    return plan_patch(DOC, list(ops), lenient=lenient)


def error(*ops: dict[str, Any], lenient: bool = True) -> ScimError:
    with pytest.raises(ScimError) as info:
        plan(*ops, lenient=lenient)
    return info.value


def test_entra_add_with_value_array_folds_and_drops_duplicates() -> None:
    change = plan(
        {
            "op": "Add",
            "path": "members",
            "value": [{"value": "A1"}, {"value": "b2", "type": "user"}, {"value": "a1"}],
        }
    )
    assert change.doc == DOC
    assert change.actions == (AddMembers((Member("a1"), Member("b2", "User")), "Operations[0]"),)


def test_okta_display_is_kept_and_single_object_is_wrapped_when_lenient() -> None:
    change = plan({"op": "add", "path": "members", "value": {"value": "x", "display": "X Y"}})
    assert change.actions == (AddMembers((Member("x", None, "X Y"),), "Operations[0]"),)
    assert (
        error({"op": "add", "path": "members", "value": {"value": "x"}}, lenient=False).scim_type
        == "invalidValue"
    )


def test_remove_by_value_filter_and_ored_value_filters() -> None:
    assert plan({"op": "remove", "path": 'members[value eq "U1"]'}).actions == (
        RemoveMembers(("u1",), "Operations[0]"),
    )
    flt = 'members[value eq "a" or (value eq "b" or value eq "a")]'
    assert plan({"op": "remove", "path": flt}).actions == (
        RemoveMembers(("a", "b"), "Operations[0]"),
    )


def test_entra_remove_with_value_array_removes_only_those_listed() -> None:
    op = {"op": "Remove", "path": "members", "value": [{"value": "a"}, {"value": "B"}]}
    assert plan(op).actions == (RemoveMembers(("a", "b"), "Operations[0]"),)
    strict = error(op, lenient=False)  # core.leniency: RFC 7644 §3.5.2.2 has no value
    assert strict.scim_type == "invalidSyntax" and strict.detail.startswith("Operations[0]")


def test_remove_without_value_clears_and_replace_sets_exactly() -> None:
    assert plan({"op": "remove", "path": "members"}).actions == (ClearMembers("Operations[0]"),)
    assert plan({"op": "remove", "path": "members", "value": None}).actions == (
        ClearMembers("Operations[0]"),
    )
    assert plan({"op": "replace", "path": "members", "value": [{"value": "z"}]}).actions == (
        ReplaceMembers((Member("z"),), "Operations[0]"),
    )
    assert plan({"op": "replace", "path": "members", "value": []}).actions == (
        ReplaceMembers((), "Operations[0]"),
    )


def test_no_path_value_object_splits_members_from_the_document() -> None:
    change = plan(
        {"op": "replace", "value": {"displayName": "New", "members": [{"value": "m"}]}},
        {"op": "add", "value": {"Members": [{"value": "n"}]}},
    )
    assert change.doc == {"displayName": "New"}
    assert change.actions == (
        ReplaceMembers((Member("m"),), "Operations[0]"),
        AddMembers((Member("n"),), "Operations[1]"),
    )
    urn = "urn:ietf:params:scim:schemas:core:2.0:Group:members"
    assert plan({"op": "add", "value": {urn: [{"value": "q"}]}}).actions == (
        AddMembers((Member("q"),), "Operations[0]"),
    )


def test_okta_remove_then_add_keeps_request_order_and_doc_ops_keep_their_index() -> None:
    change = plan(
        {"op": "remove", "path": 'members[value eq "a"]'},
        {"op": "replace", "path": "externalId", "value": "e"},
        {"op": "add", "path": "members", "value": [{"value": "a"}]},
    )
    assert change.doc == {"displayName": "Team", "externalId": "e"}
    assert [type(a) for a in change.actions] == [RemoveMembers, AddMembers]
    bad = error(
        {"op": "add", "path": "members", "value": [{"value": "a"}]},
        {"op": "replace", "path": "displayName", "value": 5},
    )
    assert bad.scim_type == "invalidValue" and bad.detail.startswith("Operations[1]:")


@pytest.mark.parametrize(
    "value, scim_type",
    [
        ([{"type": "User"}], "invalidValue"),  # a member needs its id
        ([{"value": "a", "type": "Robot"}], "invalidValue"),
        ([{"value": 7}], "invalidValue"),
        ([{"value": "a", "bogus": 1}], "invalidValue"),
    ],
)
def test_malformed_members_are_400_naming_the_operation(value: Any, scim_type: str) -> None:
    bad = error(
        {"op": "replace", "path": "displayName", "value": "ok"},
        {"op": "add", "path": "members", "value": value},
    )
    assert bad.scim_type == scim_type and bad.detail.startswith("Operations[1]:"), bad


def test_other_targets_take_the_slow_path_with_the_engine_rules() -> None:
    (action,) = plan({"op": "remove", "path": 'members[type eq "Group"]'}).actions
    assert isinstance(action, RewriteMembers)
    current = [{"value": "u", "type": "User"}, {"value": "g", "type": "Group", "display": "G"}]
    assert action.apply(current) == (Member("u", "User"),)
    (action,) = plan({"op": "add", "path": "members.value", "value": "x"}).actions
    with pytest.raises(ScimError) as info:
        action.apply(current)
    assert info.value.scim_type == "invalidPath" and info.value.detail.startswith("Operations[0]")
    (action,) = plan(
        {"op": "replace", "path": 'members[value eq "g"].type', "value": "User"}
    ).actions
    with pytest.raises(ScimError) as info:
        action.apply(current)
    assert info.value.scim_type == "mutability"


def test_plain_attribute_operations_never_become_actions() -> None:
    change = plan(
        {"op": "replace", "path": "displayName", "value": "X"},
        {"op": "remove", "path": "externalId"},
    )
    assert change == GroupChange({"displayName": "X"}, ())
    assert DOC == {"displayName": "Team"}  # the input is never modified
    assert error({"op": "remove", "path": "displayName"}).scim_type == "invalidValue"  # required
    assert error({"op": "remove", "path": "bogus["}).scim_type == "invalidPath"


def test_post_and_put_bodies() -> None:
    doc, members = plan_create(
        {
            "schemas": [GROUP.schema.id],
            "displayName": "G",
            "members": [{"value": "A", "$ref": "ignored"}, {"value": "a"}],
        }
    )
    assert doc == {"displayName": "G"} and members == (Member("a"),)
    change = plan_replace({"displayName": "G", "externalId": "x"}, {"displayName": "H"})
    assert change == GroupChange({"displayName": "H"}, (ReplaceMembers((), "members"),))


# --- the fast path agrees with the PATCH engine -----------------------------------------

IDS = ["a", "b", "c", "d"]
ELEMENTS = st.lists(st.sampled_from(IDS).map(lambda i: {"value": i}), max_size=4)
FILTERS = st.lists(st.sampled_from(IDS), min_size=1, max_size=3).map(
    lambda ids: "members[" + " or ".join(f'value eq "{i}"' for i in ids) + "]"
)
OPS = st.one_of(
    st.builds(lambda v: {"op": "add", "path": "members", "value": v}, ELEMENTS),
    st.builds(lambda v: {"op": "replace", "path": "members", "value": v}, ELEMENTS),
    st.builds(lambda v: {"op": "remove", "path": "members", "value": v}, ELEMENTS.filter(bool)),
    st.just({"op": "remove", "path": "members"}),
    st.builds(lambda p: {"op": "remove", "path": p}, FILTERS),
    st.builds(lambda v: {"op": "add", "value": {"members": v}}, ELEMENTS),
    st.builds(lambda v: {"op": "replace", "value": {"members": v, "displayName": "R"}}, ELEMENTS),
)


def run_actions(members: list[str], actions: tuple[Action, ...]) -> list[str]:
    """What the store does with actions, on a list of ids."""
    for action in actions:
        if isinstance(action, AddMembers):
            members = members + [m.value for m in action.members if m.value not in members]
        elif isinstance(action, RemoveMembers):
            members = [m for m in members if m not in action.ids]
        elif isinstance(action, ClearMembers):
            members = []
        elif isinstance(action, ReplaceMembers):
            members = [m.value for m in action.members]
        else:
            raise AssertionError(f"unexpected slow path: {action}")
    return members


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from(IDS), unique=True), st.lists(OPS, min_size=1, max_size=5))
def test_fast_path_equals_the_patch_engine(start: list[str], ops: list[dict[str, Any]]) -> None:
    doc = {"displayName": "G", **({"members": [{"value": i} for i in start]} if start else {})}
    engine = apply_patch(doc, ops, GROUP)
    change = plan_patch({"displayName": "G"}, ops)
    assert change.doc == {k: v for k, v in engine.items() if k != "members"}
    # Membership is a set: the engine may keep a value listed twice in one
    # replace, the store keeps one row per member.
    expected = {m["value"] for m in engine.get("members", [])}
    after = run_actions(start, change.actions)
    assert set(after) == expected and len(after) == len(expected)
