"""core.audit (names of the attributes a write changed, never values) and
core.access (the sign-in decision)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimdock.core.access import Decision, decide
from scimdock.core.audit import changed, with_members
from scimdock.core.patch import apply_patch
from scimdock.core.resource import normalize_resource, replace_resource
from scimdock.core.schema import ENTERPRISE_USER as ENTERPRISE
from scimdock.core.schema import USER

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _doc(**attrs: Any) -> dict[str, Any]:
    return normalize_resource({"userName": "ann@example.com", **attrs}, USER)


# --- core.audit -----------------------------------------------------------
def test_nothing_changed_names_nothing() -> None:
    doc = _doc(name={"givenName": "Ann"}, emails=[{"value": "a@x", "primary": True}])
    assert changed(doc, dict(doc)) == ()
    assert changed(None, None) == ()
    assert changed({}, {}) == ()


def test_create_names_every_attribute_set_once() -> None:
    doc = _doc(
        name={"givenName": "Ann", "familyName": "Lee"},
        active=True,
        emails=[{"value": "a@x"}],
        **{ENT: {"department": "R&D", "manager": {"value": "m1"}}},
    )
    assert changed(None, doc) == (
        "active",
        "emails",
        "name",
        f"{ENT}:department",
        f"{ENT}:manager",
        "userName",
    )


def test_sub_attributes_of_a_complex_attribute_are_named_with_a_dot() -> None:
    before = _doc(name={"givenName": "Ann", "familyName": "Lee"})
    after = _doc(name={"givenName": "Anne", "familyName": "Lee", "middleName": "Q"})
    assert changed(before, after) == ("name.givenName", "name.middleName")


def test_a_complex_attribute_added_or_removed_is_named_whole() -> None:
    assert changed(_doc(), _doc(name={"givenName": "Ann"})) == ("name",)
    assert changed(_doc(name={"givenName": "Ann"}), _doc()) == ("name",)


def test_multi_valued_attributes_are_named_whole() -> None:
    before = _doc(emails=[{"value": "a@x", "type": "work"}])
    after = _doc(emails=[{"value": "b@x", "type": "work"}])
    assert changed(before, after) == ("emails",)
    reordered = _doc(emails=[{"value": "b@x"}, {"value": "a@x"}])
    assert changed(_doc(emails=[{"value": "a@x"}, {"value": "b@x"}]), reordered) == ("emails",)


def test_extension_attributes_use_the_urn_qualified_name() -> None:
    before = _doc(**{ENT: {"department": "R&D"}})
    after = _doc(**{ENT: {"department": "R&D", "manager": {"value": "m1"}}})
    assert changed(before, after) == (f"{ENT}:manager",)
    moved = _doc(**{ENT: {"department": "R&D", "manager": {"value": "m2"}}})
    assert changed(after, moved) == (f"{ENT}:manager.value",)
    assert changed(after, _doc()) == (f"{ENT}:department", f"{ENT}:manager")


def test_booleans_and_numbers_are_not_confused() -> None:
    assert changed({"active": True}, {"active": 1}) == ("active",)
    assert changed({"active": False}, {"active": None}) == ("active",)
    assert changed({"active": None}, {}) == ()


def test_names_only_never_values() -> None:
    secret = "hunter2-very-secret"
    before = _doc(displayName="Old Name")
    after = _doc(displayName=secret, nickName=secret)
    names = changed(before, after)
    assert names == ("displayName", "nickName")
    assert all(secret not in n for n in names)


def test_password_is_never_in_a_document_so_never_in_a_diff() -> None:
    # RFC 7643 §4.1.1: password is writeOnly; core.resource and core.patch discard it.
    before = _doc()
    after = replace_resource(before, {"userName": "ann@example.com", "password": "Pw-1!x"}, USER)
    assert changed(before, after) == ()
    patched = apply_patch(before, [{"op": "replace", "path": "password", "value": "Pw-2!"}], USER)
    assert changed(before, patched) == ()


def test_patch_results_name_what_the_operations_touched() -> None:
    before = _doc(name={"givenName": "Ann"}, active=True)
    ops = [
        {"op": "replace", "value": {"active": False, "name.givenName": "Anne"}},
        {"op": "add", "path": f"{ENT}:employeeNumber", "value": "42"},
    ]
    assert changed(before, apply_patch(before, ops, USER)) == (
        "active",
        "name.givenName",
        f"{ENT}:employeeNumber",
    )


def test_with_members_adds_members_only_when_they_changed() -> None:
    assert with_members(("displayName",), True) == ("displayName", "members")
    assert with_members(("displayName",), False) == ("displayName",)
    assert with_members((), True) == ("members",)


_values = st.recursive(
    st.booleans() | st.integers(-2, 2) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "value"]), inner, max_size=3)
    ),
    max_leaves=8,
)
_docs = st.dictionaries(
    st.sampled_from(["userName", "name", "emails", "active", ENT]), _values, max_size=5
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy CI machine
@given(_docs, _docs)
def test_diff_properties(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Symmetric, sorted, unique; empty for a document and itself; never
    empty for documents that differ; every name is rooted in a key of
    one of the documents."""
    names = changed(a, b)
    assert names == changed(b, a)
    assert list(names) == sorted(set(names))
    assert changed(a, a) == () and changed(b, b) == ()
    if a != b:
        assert names
    for name in names:
        root = ENT if name.startswith(ENT) else name.split(".")[0]
        assert root in a or root in b, name


# --- core.access ----------------------------------------------------------
@pytest.mark.parametrize(
    ("enabled", "state", "active", "expected"),
    [
        (True, "live", True, Decision(True, "active")),
        (True, "live", None, Decision(True, "active")),
        (True, "live", False, Decision(False, "inactive")),
        (False, "live", True, Decision(False, "tenantDisabled")),
        (False, "live", False, Decision(False, "tenantDisabled")),
        (True, "deleted", True, Decision(False, "deleted")),
        (False, "deleted", None, Decision(False, "deleted")),
        (True, "unknown", None, Decision(False, "notFound")),
        (False, "unknown", None, Decision(False, "notFound")),
    ],
)
def test_access_decision(enabled: bool, state: Any, active: object, expected: Decision) -> None:
    assert decide(tenant_scim_enabled=enabled, state=state, active=active) == expected


def test_only_an_explicit_false_deactivates() -> None:
    for value in (True, None, "false", 0):
        assert decide(tenant_scim_enabled=True, state="live", active=value).allowed


@pytest.mark.parametrize(
    "doc",
    [
        {"userName": "a", "name": {"givenName": "g"}, "emails": [{"value": "a@x"}], "gone": None},
        {"userName": "a", ENTERPRISE: {"department": "D", "manager": {"value": "m"}, "x": None}},
        {"userName": "a", ENTERPRISE: {}, "urn:x:y": "not an object", "urn:x:z": None},
        {},
    ],
)
def test_a_create_names_what_the_walk_against_nothing_names(doc: dict[str, Any]) -> None:
    """``changed(None, doc)`` (every create) takes a shortcut; its names
    are the ones the general walk finds against an empty document."""
    from scimdock.core.audit import _walk

    walked: set[str] = set()
    _walk({}, doc, "", walked, top=True)
    assert changed(None, doc) == tuple(sorted(walked))
