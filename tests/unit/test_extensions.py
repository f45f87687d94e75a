"""core.extensions: RFC 7643 §7 definitions checked, a tenant's resource
types built from them, and what they change in validation, PATCH, names,
filters and discovery."""

from __future__ import annotations

from typing import Any

import pytest

from scimdock.core import discovery, names
from scimdock.core.errors import ScimError
from scimdock.core.extensions import (
    check_no_clash,
    check_urn,
    definition,
    keep_unregistered,
    parse_definition,
    with_extensions,
)
from scimdock.core.filter import parse_filter, resolve_filter
from scimdock.core.patch import apply_patch
from scimdock.core.representation import resource
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER

URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
SCHEMA = parse_definition(
    {
        "id": URN,
        "attributes": [
            {"name": "badge", "required": True},
            {"name": "level", "type": "integer"},
            {"name": "site", "type": "complex", "subAttributes": [{"name": "code"}]},
        ],
    }
)
ACME = with_extensions(USER, [(SCHEMA, True)])


def test_definition_round_trips_with_rfc_defaults() -> None:
    shown = definition(SCHEMA)
    assert shown["name"] == "User" and shown["attributes"][1]["type"] == "integer"
    assert shown["attributes"][0] == {
        "name": "badge",
        "type": "string",
        "multiValued": False,
        "description": "",
        "required": True,
        "mutability": "readWrite",
        "returned": "default",
        "caseExact": False,
        "uniqueness": "none",
    }
    assert parse_definition(shown) == SCHEMA


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({"id": URN, "attributes": []}, "non-empty"),
        ({"id": URN, "attributes": [{"name": "a"}], "extra": 1}, "unknown key"),
        ({"id": "urn:ietf:params:scim:api:messages:2.0:X", "attributes": [{"name": "a"}]}, "own"),
        ({"id": "urn:ietf:params:scim:schemas:core", "attributes": [{"name": "a"}]}, "own"),
        ({"id": 'urn:a:b"c', "attributes": [{"name": "a"}]}, "URN"),
        ({"id": URN, "attributes": [{"name": "a:b"}]}, "§2.1"),
        ({"id": URN, "attributes": [{"name": "a", "required": "yes"}]}, "true or false"),
        (
            {"id": URN, "attributes": [{"name": "a", "required": True, "mutability": "readOnly"}]},
            "readOnly",
        ),
        (
            {
                "id": URN,
                "attributes": [
                    {
                        "name": "a",
                        "type": "complex",
                        "subAttributes": [{"name": "b", "type": "complex"}],
                    }
                ],
            },
            "§2.3.8",
        ),
        (
            {"id": URN, "attributes": [{"name": "a", "subAttributes": [{"name": "b"}]}]},
            "only complex",
        ),
        ({"id": URN, "attributes": [{"name": "a", "canonicalValues": [1]}]}, "strings"),
    ],
)
def test_bad_definitions_are_invalid_value(body: Any, words: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_definition(body)
    assert caught.value.status == 400 and caught.value.scim_type == "invalidValue"
    assert words in str(caught.value.detail)


def test_urns_may_not_nest_or_repeat() -> None:
    assert check_urn("URN:example:x") == "URN:example:x"
    with pytest.raises(ScimError) as same:
        check_no_clash(URN.upper(), [URN])
    assert same.value.status == 409
    with pytest.raises(ScimError):
        check_no_clash(f"{URN}:x", [URN])
    with pytest.raises(ScimError):
        check_no_clash("urn:ietf:params:scim:schemas:extension:acme", [URN])
    check_no_clash("urn:ietf:params:scim:schemas:extension:acme:2.0:Group", [URN])


def test_writes_patch_and_filters_use_the_tenant_type() -> None:
    doc = normalize_resource({"userName": "a", URN.lower(): {"BADGE": "b1", "level": 2}}, ACME)
    assert doc[URN] == {"badge": "b1", "level": 2}
    with pytest.raises(ScimError, match="required"):
        normalize_resource({"userName": "a"}, ACME)  # the extension is required
    with pytest.raises(ScimError, match="badge"):
        normalize_resource({"userName": "a", URN: {"level": 1}}, ACME)
    with pytest.raises(ScimError):
        normalize_resource({"userName": "a", URN: {"badge": "b", "level": "x"}}, ACME)
    # The server's own type ignores the key (leniency 5) and has no such attribute.
    assert URN not in normalize_resource({"userName": "a", URN: {"badge": "b"}}, USER)
    patched = apply_patch(doc, [{"op": "replace", "path": f"{URN}:site.code", "value": "X"}], ACME)
    assert patched[URN]["site"] == {"code": "X"}
    resolved = resolve_filter(parse_filter(f"{URN}:LEVEL gt 1"), ACME)
    assert resolved.path.attr == "level" and resolved.path.urn == URN  # type: ignore[attr-defined]
    with pytest.raises(ScimError):
        resolve_filter(parse_filter(f"{URN}:level gt 1"), USER)


def test_unknown_names_follow_the_leniency_rule() -> None:
    body = {"userName": "a", URN: {"badge": "b", "nope": 1}}
    assert names.fold_resource(body, ACME, lenient=True)[URN] == {"badge": "b"}
    with pytest.raises(ScimError):
        names.fold_resource(body, ACME, lenient=False)


def test_unregistered_values_are_kept_and_not_served() -> None:
    old = {"userName": "a", URN: {"badge": "b"}}
    new = {"userName": "b"}
    assert keep_unregistered(old, new, USER) == {"userName": "b", URN: {"badge": "b"}}
    assert keep_unregistered(old, new, ACME) == new
    shown = resource(
        USER, old, id="1", created="c", last_modified="m", version=1, base_url="http://x"
    )
    assert URN not in shown and shown["schemas"] == [USER.schema.id]


def test_discovery_lists_the_tenant_schemas_with_required() -> None:
    types = [ACME]
    assert URN in [s["id"] for s in discovery.schemas("http://x", types)["Resources"]]
    assert URN not in [s["id"] for s in discovery.schemas("http://x")["Resources"]]
    rt = discovery.resource_type(ACME, "http://x")
    assert {"schema": URN, "required": True} in rt["schemaExtensions"]
