"""The compiled body pre-check (scimdock/tuning/precheck.py) may only
accept what Connexion's own validator accepts: checked on every request
body schema of both documents, with bodies as identity providers send them
and thousands of mutations of them (wrong types, nulls, 1.0 for 1, NaN,
huge integers, unknown and missing members, odd strings)."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
from connexion.json_schema import Draft4RequestValidator
from connexion.spec import Specification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from scimdock.tuning.documents import load
from scimdock.tuning.precheck import _unsafe, jsonschema_rs, precheck
from tests.fuzzing import examples

pytestmark = pytest.mark.skipif(jsonschema_rs is None, reason="jsonschema-rs not installed")

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# What identity providers send (Entra's nulls and string booleans, Okta's shapes).
BODIES: list[Any] = [
    {
        "schemas": [USER, ENT],
        "userName": "a@example.com",
        "externalId": "a",
        "active": True,
        "displayName": "A",
        "name": {"givenName": "A", "familyName": "B", "formatted": "A B"},
        "emails": [{"value": "a@example.com", "type": "work", "primary": True}],
        ENT: {"employeeNumber": "1", "department": "Sales", "manager": None},
        "phoneNumbers": [{"type": "work", "value": "+1 555", "primary": "True"}],
        "addresses": [{"type": "work", "formatted": None, "primary": "True"}],
        "roles": [],
        "title": None,
        "meta": {"resourceType": "User"},
        "password": None,
        "id": None,
    },
    {"schemas": [USER], "userName": "b", "name": {"givenName": None}, "locale": "en-US"},
    {"schemas": [GROUP], "displayName": "g", "members": []},
    {"schemas": [GROUP], "displayName": "g", "members": [{"value": "x", "$ref": None}]},
    {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "u1"}]}],
    },
    {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": 'members[value eq "u"]'}]},
    {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "value": {"displayName": "x", "active": False}}],
    },
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName eq "a"',
        "startIndex": 1,
        "count": 10,
        "attributes": ["userName"],
    },
    {"name": "acme", "label": "x"},
    {"scim_enabled": True},
    {},
]


def _schemas() -> list[tuple[str, dict[str, Any]]]:
    """Every request body schema, as Connexion hands it to the validator."""
    out = []
    for document in sorted(OPENAPI.glob("*.yaml")):
        spec = Specification.load(load(document))
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict):
                    continue
                content = op.get("requestBody", {}).get("content", {})
                for media, definition in content.items():
                    schema = dict(definition.get("schema", {}))
                    schema["components"] = spec["components"]
                    out.append((f"{document.name} {method.upper()} {path} {media}", schema))
    return out


SCHEMAS = _schemas()
CHECKS = [
    (
        name,
        precheck(schema),
        Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER),
    )
    for name, schema in SCHEMAS
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=False),
    st.just(1.0),
    st.text(max_size=8),
    st.sampled_from(["True", "false", "add", "Remove\n", "2024-01-01T00:00:00Z", "x@y", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "value",
                    "op",
                    "path",
                    "type",
                    "primary",
                    "displayName",
                    "userName",
                    "schemas",
                    "members",
                    "Operations",
                    "x",
                ]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    body = copy.deepcopy(draw(st.sampled_from(BODIES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        if not path:
            body = draw(values)
            continue
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=5))] = draw(values)
        else:
            parent[path[-1]] = draw(values)
    return body


def _agree(body: Any) -> None:
    for name, check, validator in CHECKS:
        if check is not None and check(body):
            assert validator.is_valid(body), (name, body)


def _own_unsafe(schema: dict[str, Any]) -> bool:
    """The schema itself (not the components attached) has ``oneOf`` or
    ``not``, which the pre-check leaves to Connexion by design."""
    return _unsafe({k: v for k, v in schema.items() if k != "components"})


def test_every_request_schema_gets_a_precheck() -> None:
    """Every one, but those whose own schema has ``oneOf``/``not`` (the
    mock's fault rules): those are never pre-checked, and no other is
    left without one because of another operation's schema."""
    unsafe = {name for name, schema in SCHEMAS if _own_unsafe(schema)}
    assert SCHEMAS and len(unsafe) < len(SCHEMAS) // 4, unsafe
    assert [name for name, check, _ in CHECKS if check is None] == [
        name for name, _ in SCHEMAS if name in unsafe
    ]


@pytest.mark.parametrize("body", BODIES)
def test_what_clients_send_is_judged_alike(body: Any) -> None:
    """Valid for Connexion ⇔ valid for the pre-check, on real shapes: so the
    fast path is taken, and only where it may be."""
    for name, check, validator in CHECKS:
        if check is None:  # a oneOf schema: Connexion's validator only
            continue
        assert check(body) == validator.is_valid(body), (name, body)


@settings(max_examples=examples(3000), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_the_precheck_never_accepts_what_connexion_refuses(body: Any) -> None:
    _agree(body)


EDGES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    -1,
    2**70,
    math.nan,
    -0.0,
    "",
    "x",
    "True",
    "add\n",
    "\ud800",
    "2024-13-01T00:00:00Z",
    [],
    [None],
    ["x"],
    {},
    {"value": None},
    {"value": "x", "x": 1},
]


def _replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.copy(node)
    out[path[0]] = _replaced(node[path[0]], path[1:], value)
    return out


def _deleted(node: Any, path: tuple[Any, ...]) -> Any:
    out = copy.copy(node)
    if len(path) == 1:
        del out[path[0]]
    else:
        out[path[0]] = _deleted(node[path[0]], path[1:])
    return out


def test_every_single_change_of_every_body_is_judged_safely() -> None:
    """Each value of each body replaced by each edge value, and each member
    removed, one change at a time: exhaustive, where the random test samples."""
    for body in BODIES:
        for path in _paths(body):
            for value in EDGES:
                _agree(_replaced(body, path, value))
            if path:
                _agree(_deleted(body, path))
