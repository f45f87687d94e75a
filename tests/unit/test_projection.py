"""core.projection: attributes / excludedAttributes (RFC 7644 §3.4.2.5) and
``returned`` (RFC 7643 §2.2)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from scimdock.core.projection import parse_attribute_list, project, returns_attribute
from scimdock.core.schema import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    USER,
    Attribute,
    ResourceType,
    Schema,
)
from tests.fuzzing import examples

E = ENTERPRISE_USER
GROUP = ResourceType("Group", "/Groups", GROUP_SCHEMA)
THING = ResourceType(
    "Thing",
    "/Things",
    Schema(
        "urn:test:Thing",
        "Thing",
        "test",
        (
            Attribute("label"),
            Attribute("hidden", returned="request"),
            Attribute(
                "parts",
                "complex",
                multi_valued=True,
                sub_attributes=(
                    Attribute("value"),
                    Attribute("note", returned="request"),
                    Attribute("key", returned="always"),
                    Attribute("pin", returned="never"),
                ),
            ),
        ),
    ),
)

META = {
    "resourceType": "User",
    "created": "2024-01-01T00:00:00Z",
    "lastModified": "2024-01-02T00:00:00Z",
    "location": "https://x/Users/1",
    "version": 'W/"3"',
}
FULL: dict[str, Any] = {
    "schemas": [CORE_USER, E],
    "id": "1",
    "externalId": "e1",
    "userName": "bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "active": True,
    "emails": [{"value": "b@work", "type": "work"}, {"value": "b@home", "type": "home"}],
    "password": "leaked",
    "meta": META,
    E: {"department": "Sales", "manager": {"value": "m1"}},
}


def proj(
    attributes: list[str] | None = None,
    excluded: list[str] | None = None,
    resource: dict[str, Any] | None = None,
    rt: ResourceType = USER,
) -> dict[str, Any]:
    source = copy.deepcopy(FULL if resource is None else resource)
    snapshot = copy.deepcopy(source)
    out = project(source, rt, attributes, excluded)
    assert source == snapshot
    return out


def test_parse_attribute_list() -> None:
    assert parse_attribute_list(None) is None
    assert parse_attribute_list("") is None
    assert parse_attribute_list(" , ") is None
    assert parse_attribute_list("userName, name.givenName,emails") == [
        "userName",
        "name.givenName",
        "emails",
    ]
    assert parse_attribute_list(f"{E}:department,id") == [f"{E}:department", "id"]


def test_default_drops_never_and_keeps_the_rest() -> None:
    expected = {k: v for k, v in FULL.items() if k != "password"}
    assert proj() == expected


def test_attributes_keep_only_those_plus_always() -> None:
    assert proj(["userName"]) == {"schemas": [CORE_USER], "id": "1", "userName": "bjensen"}
    assert proj(["USERNAME", "Name"]) == {
        "schemas": [CORE_USER],
        "id": "1",
        "userName": "bjensen",
        "name": FULL["name"],
    }


def test_sub_attribute_names() -> None:
    out = proj(["name.givenName", "emails.value"])
    assert out["name"] == {"givenName": "Barbara"}
    assert out["emails"] == [{"value": "b@work"}, {"value": "b@home"}]
    assert "userName" not in out


def test_urn_qualified_and_whole_extension() -> None:
    out = proj([f"{E}:department"])
    assert out == {"schemas": [CORE_USER, E], "id": "1", E: {"department": "Sales"}}
    out = proj([f"{E}:manager.value", f"{CORE_USER}:userName"])
    assert out == {
        "schemas": [CORE_USER, E],
        "id": "1",
        "userName": "bjensen",
        E: {"manager": {"value": "m1"}},
    }
    assert proj([E.lower()])[E] == FULL[E]
    assert E not in proj(excluded=[E]) and proj(excluded=[E])["schemas"] == [CORE_USER]


def test_excluded_attributes() -> None:
    out = proj(excluded=["emails", "name.familyName", f"{E}:manager"])
    assert "emails" not in out and out["name"] == {"givenName": "Barbara"}
    assert out[E] == {"department": "Sales"} and out["userName"] == "bjensen"


def test_always_attributes_cannot_be_excluded() -> None:
    out = proj(excluded=["id", "schemas", "userName"])
    assert out["id"] == "1" and out["schemas"] == [CORE_USER, E] and "userName" not in out


def test_never_attributes_cannot_be_requested() -> None:
    assert "password" not in proj(["password", "userName"])


def test_meta_whole_unless_sub_attributes_asked() -> None:
    assert proj(["meta"])["meta"] == META
    assert proj(["meta.created", "meta.version"])["meta"] == {
        "created": META["created"],
        "version": META["version"],
    }
    assert proj(excluded=["meta.location"])["meta"] == {
        k: v for k, v in META.items() if k != "location"
    }
    assert "meta" not in proj(["userName"])


def test_unknown_and_malformed_names_are_ignored() -> None:
    assert proj(["bogus", "name.bogus", "emails[", "urn:x:y:z"]) == {
        "schemas": [CORE_USER],
        "id": "1",
    }
    assert proj(excluded=["bogus", "emails["]) == proj()


def test_attributes_win_over_excluded() -> None:
    assert proj(["userName"], ["userName"]) == proj(["userName"])


def test_entra_group_read_without_members() -> None:
    group = {
        "schemas": [CORE_GROUP],
        "id": "g",
        "displayName": "G",
        "members": [{"value": "u1"}],
        "meta": {"resourceType": "Group"},
    }
    assert proj(excluded=["members"], resource=group, rt=GROUP) == {
        "schemas": [CORE_GROUP],
        "id": "g",
        "displayName": "G",
        "meta": {"resourceType": "Group"},
    }


def test_returned_request_and_sub_attribute_characteristics() -> None:
    thing = {
        "schemas": ["urn:test:Thing"],
        "id": "t",
        "label": "L",
        "hidden": "H",
        "parts": [{"value": "v", "note": "n", "key": "k", "pin": "p"}],
    }
    assert proj(resource=thing, rt=THING) == {
        "schemas": ["urn:test:Thing"],
        "id": "t",
        "label": "L",
        "parts": [{"value": "v", "key": "k"}],
    }
    assert proj(["hidden", "parts.note"], resource=thing, rt=THING) == {
        "schemas": ["urn:test:Thing"],
        "id": "t",
        "hidden": "H",
        "parts": [{"note": "n", "key": "k"}],
    }
    assert proj(["parts"], resource=thing, rt=THING)["parts"] == [
        {"value": "v", "note": "n", "key": "k"}
    ]
    assert proj(excluded=["parts.value"], resource=thing, rt=THING)["parts"] == [{"key": "k"}]


def test_elements_left_empty_disappear() -> None:
    resource = {**FULL, "emails": [{"value": "a@x"}, {"type": "home"}]}
    assert proj(["emails.type"], resource=resource)["emails"] == [{"type": "home"}]
    assert "emails" not in proj(["emails.display"], resource=resource)


_names = st.lists(
    st.sampled_from(
        [
            "id",
            "userName",
            "name",
            "name.givenName",
            "emails",
            "emails.value",
            "meta",
            "meta.created",
            "password",
            "schemas",
            E,
            f"{E}:department",
            f"{E}:manager.value",
            "bogus",
            "NAME.GIVENNAME",
            "active",
            "externalId",
        ]
    ),
    max_size=5,
)


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.none(), _names), st.one_of(st.none(), _names))
def test_projection_invariants(attributes: list[str] | None, excluded: list[str] | None) -> None:
    out = proj(attributes, excluded)
    assert out["id"] == "1" and "password" not in out and "schemas" in out
    default = proj()
    for key, value in out.items():  # never invents anything, only narrows
        assert key in default
        if not isinstance(value, dict) or key == E:
            continue
        assert all(default[key][k] == v for k, v in value.items())
    if attributes:
        assert set(out) <= {
            "id",
            "schemas",
            "userName",
            "name",
            "emails",
            "meta",
            E,
            "active",
            "externalId",
        }


def _keeps(
    rt: ResourceType,
    full: dict[str, Any],
    attributes: list[str] | None,
    excluded: list[str] | None,
    name: str,
) -> bool:
    return name in project(full, rt, attributes, excluded)


@settings(max_examples=examples(300), deadline=None)
@given(
    st.one_of(
        st.none(),
        st.lists(
            st.sampled_from(
                [
                    "members",
                    "MEMBERS.value",
                    "members.display",
                    "displayName",
                    "id",
                    "meta",
                    CORE_GROUP,
                    f"{CORE_GROUP}:members",
                    "nosuch",
                    "members.nosuch",
                ]
            ),
            max_size=3,
        ),
    ),
    st.one_of(
        st.none(),
        st.lists(
            st.sampled_from(
                ["members", "Members", "members.value", "displayName", CORE_GROUP, "nosuch"]
            ),
            max_size=3,
        ),
    ),
)
def test_returns_attribute_agrees_with_project(
    attributes: list[str] | None, excluded: list[str] | None
) -> None:
    """What the handlers ask before reading members (or a user's groups):
    the projection keeps the attribute exactly when ``returns_attribute``
    says so (for values with every sub-attribute)."""
    group = {
        "schemas": [CORE_GROUP],
        "id": "g",
        "displayName": "G",
        "members": [{"value": "u", "$ref": "x", "display": "U", "type": "User"}],
    }
    wants = returns_attribute(GROUP, attributes, excluded, "members")
    assert wants == _keeps(GROUP, group, attributes, excluded, "members")
    user = {**FULL, "groups": [{"value": "g", "$ref": "x", "display": "G", "type": "direct"}]}
    user_attrs = [a.replace("members", "groups") for a in attributes] if attributes else None
    assert returns_attribute(USER, user_attrs, None, "groups") == _keeps(
        USER, user, user_attrs, None, "groups"
    )


def _case(name: str) -> st.SearchStrategy[str]:
    """``name`` in a random letter case (attribute names are case-insensitive)."""
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda ups: "".join(c.upper() if u else c for c, u in zip(name, ups, strict=False))
    )


def _values(rt: ResourceType) -> st.SearchStrategy[Any]:
    subs = sorted(
        {s.name for s in rt.schema.attributes for s in s.sub_attributes}
        | {"pin", "note", "key", "nosuch"}
    )
    scalar = st.one_of(st.text(max_size=3), st.booleans(), st.integers(), st.none())
    element = st.dictionaries(st.sampled_from(subs).flatmap(_case), scalar, max_size=4)
    return st.one_of(scalar, element, st.lists(st.one_of(element, scalar), max_size=3))


def _resources(rt: ResourceType) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(
        {a.name for a in rt.schema.attributes} | {"id", "externalId", "meta", "nosuch", "password"}
    )
    urns = [e.id for e in rt.extensions] + ["urn:unknown:ext"]
    extension = st.dictionaries(
        st.sampled_from(["department", "manager", "nosuch"]).flatmap(_case), _values(rt), max_size=3
    )
    return st.fixed_dictionaries(
        {"schemas": st.lists(st.sampled_from([rt.schema.id, *urns]), max_size=3)},
        optional={
            **{n: _values(rt) for n in names},
            **{u: st.one_of(extension, _values(rt)) for u in urns},
            "USERNAME": _values(rt),
            "Emails": _values(rt),
        },
    )


_MIXED = {
    "schemas": [CORE_USER, "urn:unknown:ext", E],
    "ID": "1",
    "Password": "x",
    "emails": [{"Value": "a", "PIN": 1}, {}, "loose"],
    "name": {},
    "nosuch": {"a": 1},
    E.upper(): {"Manager": {"value": "m", "$Ref": "r"}, "nosuch": []},
    "urn:unknown:ext": {"a": 1},
}
_PARTS = {
    "schemas": ["urn:test:Thing"],
    "HIDDEN": 1,
    "label": [],
    "Parts": [{"VALUE": 1, "Note": 2, "kEy": 3, "Pin": 4}, {"pin": 1}, {"note": 0}, 7],
}


@settings(max_examples=examples(200), deadline=None)
@example((USER, _MIXED))
@example((THING, _PARTS))
@example((THING, {**_PARTS, "parts": {"Note": 1, "NoSuch": 2}}))
@given(
    st.sampled_from([USER, GROUP, THING]).flatmap(lambda rt: st.tuples(st.just(rt), _resources(rt)))
)
def test_planned_default_projection_equals_the_general_walk(
    case: tuple[ResourceType, dict[str, Any]],
) -> None:
    """With neither list, :func:`project` takes a path planned once per
    resource type; it must answer exactly as the general walk does, for any
    resource: unknown attributes and sub-attributes, any letter case,
    values of the wrong shape, empty complex values, extensions."""
    from scimdock.core.projection import _general

    rt, resource = case
    snapshot = copy.deepcopy(resource)
    assert project(resource, rt, None, None) == _general(resource, rt, None, None)
    assert project(resource, rt, [], []) == _general(resource, rt, None, None)
    assert resource == snapshot
