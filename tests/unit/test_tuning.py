"""scimdock.tuning stands on Connexion 3.3 internals (and two of uvicorn's):
these tests fail when they change underneath it.

Pins: the source of each Connexion (and Starlette) function whose logic a
tuned class copies or relies on. When one fails after an upgrade, read the
new upstream code, carry any change into scimdock/tuning/, then update the
hash. What the tuned app answers is compared with Connexion's own, request
by request over HTTP, in tests/integration/test_tuning_equivalence.py.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from pathlib import Path
from typing import Any

import pytest
from connexion import json_schema
from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncASGIApp, AsyncOperation
from connexion.decorators.main import ASGIDecorator
from connexion.decorators.parameter import (
    AsyncParameterDecorator,
    BaseParameterDecorator,
    _get_body_argument,
    _get_body_argument_json,
    _get_file_arguments,
    get_arguments,
    prep_kwargs,
    sanitized,
)
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.response_validation import ResponseValidationAPI
from connexion.middleware.security import SecurityAPI, SecurityOperation
from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from connexion.operations.openapi import OpenAPIOperation
from connexion.options import SwaggerUIOptions
from connexion.security import AbstractSecurityHandler
from connexion.spec import Specification
from connexion.uri_parsing import AbstractURIParser, OpenAPIURIParser
from connexion.utils import extract_content_type
from connexion.validators.abstract import AbstractRequestBodyValidator
from connexion.validators.json import JSONRequestBodyValidator, JSONResponseBodyValidator
from connexion.validators.parameter import ParameterValidator
from starlette.requests import Request
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from scimdock import tuning
from scimdock.tuning.documents import document, load
from scimdock.tuning.handlers import OnceASGIApp, sanitized_once
from scimdock.tuning.middleware import SwaggerUIPassMiddleware, content_type
from scimdock.tuning.validators import loads

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"

PINNED: dict[str, tuple[Any, str]] = {
    # scimdock.tuning.middleware.ValidationOperation
    "RequestValidationOperation.__call__": (RequestValidationOperation.__call__, "af472716211911b9"),
    "RequestValidationOperation.extract_content_type": (
        RequestValidationOperation.extract_content_type, "b08fa016a712fc41"),
    "RequestValidationOperation.validate_mime_type": (
        RequestValidationOperation.validate_mime_type, "cdb95c7df215a7dd"),
    "utils.extract_content_type": (extract_content_type, "cf05b8c47077bb9b"),
    "OpenAPIOperation.__init__ (path parameters appended)": (
        OpenAPIOperation.__init__, "d7d032ac83543ec8"),
    # scimdock.tuning.validators
    "ParameterValidator.validate_parameter": (ParameterValidator.validate_parameter,
                                              "2d9293659a1c1ea5"),
    "JSONRequestBodyValidator._parse": (JSONRequestBodyValidator._parse, "653b0d4025a2592e"),
    "JSONRequestBodyValidator._validator": (JSONRequestBodyValidator._validator.fget,  # type: ignore[attr-defined]
                                            "3b8e1028fc2da830"),
    "JSONResponseBodyValidator.validator": (JSONResponseBodyValidator.validator.fget,  # type: ignore[attr-defined]
                                            "27ff813d631a179b"),
    # scimdock.tuning.precheck: Connexion's nullable extension, as rewritten there
    "json_schema.allow_nullable": (json_schema.allow_nullable, "4f8d52a1f8a69db9"),
    # scimdock.tuning.security
    "AbstractSecurityHandler._accepts_kwarg": (AbstractSecurityHandler._accepts_kwarg,
                                               "f04f41d0fb5eea37"),
    # scimdock.tuning.handlers
    "AsyncParameterDecorator.__call__": (AsyncParameterDecorator.__call__, "c3223e31eb92742e"),
    "BaseParameterDecorator._maybe_get_body": (BaseParameterDecorator._maybe_get_body,
                                               "18183067248151ee"),
    "prep_kwargs": (prep_kwargs, "46eb57dd9685e1c4"),
    "get_arguments (arguments_of mirrors it)": (get_arguments, "b2912a96f0107039"),
    "_get_file_arguments (no files: {})": (_get_file_arguments, "4db36f2ce7488666"),
    "_get_body_argument (body_argument mirrors it)": (_get_body_argument, "ad0202326b99a5b7"),
    "_get_body_argument_json": (_get_body_argument_json, "848df9bf9c63aa3e"),
    "ConnexionRequest.content_type": (ConnexionRequest.content_type.fget,  # type: ignore[attr-defined]
                                      "0a7350e4021d824f"),
    "ConnexionRequest.mimetype": (ConnexionRequest.mimetype.fget,  # type: ignore[attr-defined]
                                  "1298e55a4040cadf"),
    "ASGIDecorator.__call__": (ASGIDecorator.__call__, "7397ac94437e4d7e"),
    "AsyncOperation.fn": (AsyncOperation.fn.fget, "9cad70e32840c9ec"),  # type: ignore[attr-defined]
    "AsyncOperation.from_operation": (AsyncOperation.from_operation, "899345123cb08ba0"),
    "AsyncApi.make_operation": (AsyncApi.make_operation, "555eaf3ca12397b1"),
    "AsyncApp.__init__": (AsyncApp.__init__, "624f5070177b0d80"),
    "starlette Request._get_form (forms for two media types only)": (Request._get_form,
                                                                     "7d96613dccd7737b"),
    # scimdock.tuning.uri
    "OpenAPIURIParser.param_schemas": (OpenAPIURIParser.param_schemas.fget, "b43ee13bdcd96987"),  # type: ignore[attr-defined]
    "AbstractURIParser.__init__": (AbstractURIParser.__init__, "1df20ff67036c6cb"),
    # scimdock.tuning.middleware.SwaggerUIPassMiddleware
    "SwaggerUIMiddleware.__call__": (SwaggerUIMiddleware.__call__, "63d1a07033fd923d"),
    # scimdock.tuning.request: an empty query string resolves to {}
    "ConnexionRequest.query_params": (ConnexionRequest.query_params.fget,  # type: ignore[attr-defined]
                                      "f01f735c6643fe68"),
    "OpenAPIURIParser.resolve_query": (OpenAPIURIParser.resolve_query, "446701f944d63e58"),
    "AbstractSecurityHandler.get_auth_header_value": (
        AbstractSecurityHandler.get_auth_header_value, "f2808eab920f17d8"),
    "ParameterValidator.validate": (ParameterValidator.validate, "e5615916d947428b"),
    # scimdock.tuning.request + handlers: parameters resolved and a JSON body
    # parsed once per request (the validator replays the body unchanged)
    "ConnexionRequest.path_params": (ConnexionRequest.path_params.fget,  # type: ignore[attr-defined]
                                     "546382a52e95ac2f"),
    "ConnexionRequest.get_body": (ConnexionRequest.get_body, "28f6a96f0cbc7948"),
    "ConnexionRequest.__init__ (ScopeRequest.__init__ mirrors it)": (ConnexionRequest.__init__,
                                                                    "c89c0c9d46911920"),
    "ParameterValidator.validate_header_parameter": (
        ParameterValidator.validate_header_parameter, "b99bd3b5f592e6da"),
    # scimdock.tuning.middleware.ScopeSecurityMiddleware
    "SecurityOperation.__call__": (SecurityOperation.__call__, "64eb38b0d5982445"),
    "SecurityAPI.make_operation": (SecurityAPI.make_operation, "8051a99c0921b5fd"),
    "AbstractRequestBodyValidator.wrap_receive": (AbstractRequestBodyValidator.wrap_receive,
                                                  "44c469448a6e46fb"),
    "starlette framework get_request": (StarletteFramework.get_request, "0e2625a06664e504"),
    # scimdock.tuning.middlewares: without response validation, a pass-through
    "ResponseValidationAPI.make_operation": (ResponseValidationAPI.make_operation,
                                             "770d433c2951acf6"),
    # scimdock.tuning.transport: uvicorn's protocol takes its transport in
    # connection_made, and a response's writes go through it
    "uvicorn HttpToolsProtocol.connection_made": (HttpToolsProtocol.connection_made,
                                                  "6efb565ff3d36b91"),
    "uvicorn RequestResponseCycle.send": (RequestResponseCycle.send, "abdd8601b326a8da"),
}


@pytest.mark.parametrize("name", PINNED)
def test_connexion_code_the_tuning_mirrors_is_unchanged(name: str) -> None:
    func, expected = PINNED[name]
    digest = hashlib.sha256(inspect.getsource(func).encode()).hexdigest()[:16]
    assert digest == expected, (
        f"{name} changed upstream: re-check scimdock/tuning/ against it, then re-pin {digest}")


def test_connexion_extends_draft4_for_requests_with_nullable_type_and_enum_only() -> None:
    """What scimdock.tuning.precheck rewrites into the schema."""
    from jsonschema import Draft4Validator
    changed = {k for k, v in json_schema.Draft4RequestValidator.VALIDATORS.items()
               if Draft4Validator.VALIDATORS.get(k) is not v}
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
    for document in sorted(OPENAPI.glob("*.yaml")):
        api = SwaggerUIAPI(Specification.load(document), base_path="/scim/v1",
                           default=lambda *a: None, swagger_ui_options=options)
        for route in api.router.routes:
            assert any(m in route.path for m in SwaggerUIPassMiddleware.MARKERS), route.path


def test_path_parameters_pile_up_in_connexion_and_are_validated_once() -> None:
    spec = Specification.load(OPENAPI / "scim.yaml")
    from connexion.resolver import Resolver

    from scimdock.handlers import resolver
    ops = [OpenAPIOperation.from_spec(spec, path="/Users/{id}", method="get",
                                      resolver=Resolver(function_resolver=resolver.resolve))
           for _ in range(3)]
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
    for headers in ([], [(b"content-type", b"application/scim+json; charset=utf-8")],
                    [(b"Content-Type", b"a/b"), (b"content-type", b"c/d")], [(b"x", b"y")]):
        assert content_type(headers) == extract_content_type(headers)


def test_sanitised_names_are_connexions() -> None:
    for name in ("id", "excludedAttributes", "a[b]", "9x-y", "", "body"):
        assert sanitized_once(name) == sanitized(name)


def test_bodies_parse_as_the_standard_library_parses_them() -> None:
    for text in ('{"a": 1, "a": 2}', "[1.5e3, -0.0, true, null]", '"\\ud83d\\ude00"',
                 str(2**70), '{"x": "caf\\u00e9"}'):
        assert loads(text) == json.loads(text)
    for text in ('"\\ud800"', '{"a": ["x\\udfff"]}'):  # lone surrogates: no Unicode text
        json.loads(text)
        with pytest.raises(json.JSONDecodeError, match="lone surrogate"):
            loads(text)
    assert math.isnan(loads("NaN"))
    for text in ("{", "[1,]", "", "{'a': 1}"):
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
    params = [{"name": "count", "in": "query", "schema": {"type": "integer"}},
              {"name": "attributes", "in": "query", "schema": {"type": "string"},
               "style": "form", "explode": False}]
    parser = Parser(params, {})
    scope = {"type": "http", "query_string": b"", "headers": [], "path_params": {}}
    assert ConnexionRequest(scope, uri_parser=parser).query_params == {}
    assert ScopeRequest(scope, uri_parser=parser).query_params == {}
    full = {**scope, "query_string": b"count=5&attributes=a,b"}
    assert ScopeRequest(full, uri_parser=parser).query_params == \
        ConnexionRequest(full, uri_parser=parser).query_params == {"count": 5, "attributes": "a,b"}


def test_response_validation_middleware_is_left_out_only_when_responses_are_not_validated(
) -> None:
    from connexion.middleware.response_validation import ResponseValidationMiddleware
    assert ResponseValidationMiddleware in tuning.middlewares()
    assert ResponseValidationMiddleware not in tuning.middlewares(validate_responses=False)
    assert ResponseValidationMiddleware in tuning.middlewares({"validation"},
                                                             validate_responses=False)
