"""scimdock.tuning stands on Connexion 3.3 internals (and two of uvicorn's):
these tests fail when they change underneath it.

Pins: the source of each Connexion (and Starlette, uvicorn) function whose
logic a tuned class copies or relies on, listed with the versions they were
checked against in scimdock/tuning/compat.py, the one module of the package
that imports them. When one fails after an upgrade (dependencies change
only on a deliberate ``make lock``), read the new upstream code, carry any
change into scimdock/tuning/, then update the digest and versions there. What the tuned app answers is compared with Connexion's own, request
by request over HTTP, in tests/integration/test_tuning_equivalence.py.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import inspect
import json
import math
from pathlib import Path

import pytest
from connexion import json_schema
from connexion.apps.asynchronous import AsyncApp, AsyncASGIApp
from connexion.decorators.parameter import sanitized
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.swagger_ui import SwaggerUIAPI
from connexion.operations.openapi import OpenAPIOperation
from connexion.options import SwaggerUIOptions
from connexion.spec import Specification
from connexion.uri_parsing import OpenAPIURIParser
from connexion.utils import extract_content_type
from connexion.validators.json import JSONRequestBodyValidator

from scimdock import tuning
from scimdock.tuning import compat
from scimdock.tuning.documents import document, load
from scimdock.tuning.handlers import OnceASGIApp, sanitized_once
from scimdock.tuning.middleware import SwaggerUIPassMiddleware, content_type
from scimdock.tuning.validators import loads

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"
TUNING = Path(tuning.__file__).parent


@pytest.mark.parametrize("name", compat.PINNED)
def test_upstream_code_the_tuning_mirrors_is_unchanged(name: str) -> None:
    func, expected = compat.PINNED[name]
    digest = hashlib.sha256(inspect.getsource(func).encode()).hexdigest()[:16]
    assert digest == expected, (
        f"{name} changed upstream: re-check scimdock/tuning/compat.py against the new version "
        f"(read the new code, carry any change into scimdock/tuning/), then re-pin {digest}"
    )


@pytest.mark.parametrize("project", compat.CHECKED)
def test_installed_versions_are_the_ones_the_tuning_was_checked_against(project: str) -> None:
    installed = importlib.metadata.version(project)
    assert installed == compat.CHECKED[project], (
        f"{project} {installed} is installed, scimdock/tuning/compat.py was checked against "
        f"{compat.CHECKED[project]}: re-check scimdock/tuning/compat.py against the new version"
    )


def test_only_the_compat_module_imports_upstream_names() -> None:
    """One place to re-check on an upgrade: scimdock/tuning/compat.py."""
    upstream = ("connexion", "starlette", "uvicorn", "python_multipart")
    for path in sorted(TUNING.glob("*.py")):
        if path.name == "compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n.split(".")[0] in upstream], (path.name, names)


def test_connexion_extends_draft4_for_requests_with_nullable_type_and_enum_only() -> None:
    """What scimdock.tuning.precheck rewrites into the schema."""
    from jsonschema import Draft4Validator

    changed = {
        k
        for k, v in json_schema.Draft4RequestValidator.VALIDATORS.items()
        if Draft4Validator.VALIDATORS.get(k) is not v
    }
    assert changed == {"type", "enum"}


def test_async_app_keeps_its_inner_app_where_the_tuned_app_replaces_it() -> None:
    plain = AsyncApp("x")
    assert type(plain._middleware_app) is AsyncASGIApp
    assert plain.middleware.app is plain._middleware_app
    tuned = tuning.TunedAsyncApp("x", **tuning.options())
    assert isinstance(tuned._middleware_app, OnceASGIApp)
    assert tuned.middleware.app is tuned._middleware_app


def test_every_swagger_ui_route_carries_a_marker_the_pass_through_checks() -> None:
    """A path without a marker must be one the Swagger UI router cannot
    serve (nor redirect to): list the routes Connexion registers."""
    options = SwaggerUIOptions(spec_path="/openapi.json", swagger_ui_path="/ui")
    for path in sorted(OPENAPI.glob("*.yaml")):
        api = SwaggerUIAPI(
            Specification.load(path),
            base_path="/scim/v1",
            default=lambda *a: None,
            swagger_ui_options=options,
        )
        for route in api.router.routes:
            assert any(m in route.path for m in SwaggerUIPassMiddleware.MARKERS), route.path


def test_path_parameters_pile_up_in_connexion_and_are_validated_once() -> None:
    spec = Specification.load(OPENAPI / "scim.yaml")
    from connexion.resolver import Resolver

    from scimdock.handlers import resolver

    ops = [
        OpenAPIOperation.from_spec(
            spec,
            path="/Users/{id}",
            method="get",
            resolver=Resolver(function_resolver=resolver.resolve),
        )
        for _ in range(3)
    ]
    assert [p["name"] for p in ops[-1].parameters].count("id") == 3  # Connexion's behaviour
    from scimdock.tuning.middleware import ValidationOperation

    op = ValidationOperation(lambda *a: None, operation=ops[-1])
    assert [p["name"] for p in op._parameters.parameters["path"]] == ["id"]


def test_cached_parameter_schemas_are_connexions() -> None:
    from scimdock.tuning.uri import CachedURIParser

    spec = Specification.load(OPENAPI / "scim.yaml")
    params = spec["paths"]["/Users"]["get"]["parameters"]
    assert CachedURIParser(params, {}).param_schemas == OpenAPIURIParser(params, {}).param_schemas


def test_documents_parse_as_connexion_parses_them(tmp_path: Path) -> None:
    for path in sorted(OPENAPI.glob("*.yaml")):
        parsed = document(path)
        assert isinstance(parsed, dict)
        assert parsed == Specification._load_spec_from_file(None, path) == load(path)
    templated = tmp_path / "t.yaml"
    templated.write_text("openapi: 3.0.3\ninfo: {title: '{{ name }}', version: '1'}\npaths: {}\n")
    external = tmp_path / "e.yaml"
    external.write_text("components:\n  schemas:\n    A: {$ref: 'other.yaml#/A'}\n")
    internal = tmp_path / "i.yaml"
    internal.write_text('components:\n  schemas:\n    A: {$ref: "#/B"}\n    B: {"$ref": "#/C"}\n')
    assert document(templated) == templated and document(external) == external
    assert isinstance(document(internal), dict)


def test_content_type_is_connexions() -> None:
    for headers in (
        [],
        [(b"content-type", b"application/scim+json; charset=utf-8")],
        [(b"Content-Type", b"a/b"), (b"content-type", b"c/d")],
        [(b"x", b"y")],
    ):
        assert content_type(headers) == extract_content_type(headers)


def test_sanitised_names_are_connexions() -> None:
    for name in ("id", "excludedAttributes", "a[b]", "9x-y", "", "body"):
        assert sanitized_once(name) == sanitized(name)


def test_bodies_parse_as_the_standard_library_parses_them() -> None:
    """The tuned parse is :func:`json.loads`'s, value for value (what a body
    may hold is scimdock.core.body's, with or without the tuning)."""
    for text in (
        '{"a": 1, "a": 2}',
        "[1.5e3, -0.0, true, null]",
        '"\\ud83d\\ude00"',
        str(2**70),
        str(-(2**63) - 1),
        str(2**64),
        "[1e400, 1e-400, -0]",
        '{"x": "caf\\u00e9"}',
        '"\\ud800"',
        '{"a": ["x\\udfff"]}',
        '{"n": "1234567890123456789012"}',
        "[" * 500 + "]" * 500,
    ):
        assert loads(text) == json.loads(text)
        assert type(loads(text)) is type(json.loads(text))
    assert type(loads(str(2**70))) is int and type(loads(str(2**64))) is int
    assert math.isnan(loads("NaN"))
    for text in ("{", "[1,]", "", "{'a': 1}", "\ufeff{}", '"a\tb"'):
        with pytest.raises(json.JSONDecodeError) as ours:
            loads(text)
        with pytest.raises(json.JSONDecodeError) as theirs:
            json.loads(text)
        assert str(ours.value) == str(theirs.value)


def test_the_body_validator_replays_the_body_it_was_sent() -> None:
    """The handler's body is the validator's parse (scimdock.tuning.handlers):
    right only while the validator Connexion uses for JSON changes nothing."""
    from scimdock.tuning.validators import validator_map

    for prechecked in (True, False):
        body = validator_map(prechecked=prechecked)["body"]["application/scim+json"]
        assert issubclass(body, JSONRequestBodyValidator) and body.MUTABLE_VALIDATION is False


def test_an_empty_query_string_resolves_to_nothing_as_connexion_does() -> None:
    """scimdock.tuning.request answers ``{}`` without parsing; Connexion's
    parser, given the same empty query, arrives at ``{}`` too."""
    from connexion.uri_parsing import OpenAPIURIParser as Parser

    from scimdock.tuning.request import ScopeRequest

    params = [
        {"name": "count", "in": "query", "schema": {"type": "integer"}},
        {
            "name": "attributes",
            "in": "query",
            "schema": {"type": "string"},
            "style": "form",
            "explode": False,
        },
    ]
    parser = Parser(params, {})
    scope = {"type": "http", "query_string": b"", "headers": [], "path_params": {}}
    assert ConnexionRequest(scope, uri_parser=parser).query_params == {}
    assert ScopeRequest(scope, uri_parser=parser).query_params == {}
    full = {**scope, "query_string": b"count=5&attributes=a,b"}
    assert (
        ScopeRequest(full, uri_parser=parser).query_params
        == ConnexionRequest(full, uri_parser=parser).query_params
        == {"count": 5, "attributes": "a,b"}
    )


def test_response_validation_middleware_is_left_out_only_when_responses_are_not_validated() -> None:
    from connexion.middleware.response_validation import ResponseValidationMiddleware

    assert ResponseValidationMiddleware in tuning.middlewares()
    assert ResponseValidationMiddleware not in tuning.middlewares(validate_responses=False)
    assert ResponseValidationMiddleware in tuning.middlewares(
        {"validation"}, validate_responses=False
    )


def test_scimdock_tuning_off_is_connexion_as_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connexion.apps.asynchronous import AsyncASGIApp
    from connexion.middleware.main import ConnexionMiddleware

    from scimdock.app import create_app
    from scimdock.store.sqlite import SqliteStore
    from scimdock.tuning.handlers import OnceASGIApp

    store = SqliteStore(tmp_path / "s.db")
    try:
        monkeypatch.setenv("SCIMDOCK_TUNING", "off")
        app = create_app(store)
        assert type(app.middleware.app) is AsyncASGIApp
        assert set(ConnexionMiddleware.default_middlewares) <= set(app.middleware.middlewares)
        assert not [m for m in app.middleware.middlewares if _tuned(m)]
        monkeypatch.setenv("SCIMDOCK_TUNING", "on")
        tuned = create_app(store)
        assert isinstance(tuned.middleware.app, OnceASGIApp)
        assert [m for m in tuned.middleware.middlewares if _tuned(m)]
    finally:
        store.close_now()


def _tuned(middleware: object) -> bool:
    return str(getattr(middleware, "__module__", "")).startswith("scimdock.tuning")
