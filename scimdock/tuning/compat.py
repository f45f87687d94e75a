"""Every Connexion, Starlette and uvicorn name :mod:`scimdock.tuning` uses,
in one place: the rest of the package imports them from here only.

Most are not these projects' documented API: internal classes a tuned
class subclasses, private helpers it calls, and functions whose logic it
mirrors. :data:`PINNED` lists the upstream code each tuned class copies or
relies on, with a digest of its source; tests/unit/test_tuning.py fails
when one changes or when an installed version differs from
:data:`CHECKED`. Then read the new upstream code, carry any change into
scimdock/tuning/, and update the digests and versions here.

Importing from here adds nothing per request: these are the upstream
objects themselves, bound once at import.
"""

from __future__ import annotations

from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncASGIApp, AsyncOperation
from connexion.context import context, operation
from connexion.context import receive as context_receive
from connexion.context import scope as context_scope
from connexion.datastructures import MediaTypeDict
from connexion.decorators import StarletteDecorator
from connexion.decorators.main import ASGIDecorator
from connexion.decorators.parameter import (
    CONTEXT_NAME,
    AsyncParameterDecorator,
    BaseParameterDecorator,
    _get_body_argument,
    _get_body_argument_json,
    _get_file_arguments,
    _get_path_arguments,
    _get_query_arguments,
    get_arguments,
    prep_kwargs,
    sanitized,
    unwrap_decorators,
)
from connexion.exceptions import BadRequestProblem, OAuthProblem, OAuthResponseProblem
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.http_facts import FORM_CONTENT_TYPES
from connexion.json_schema import allow_nullable
from connexion.lifecycle import ConnexionRequest, parse_options_header
from connexion.middleware.abstract import ROUTING_CONTEXT, RoutedAPI, SpecMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware as ConnexionExceptionMiddleware
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.middleware.response_validation import (
    ResponseValidationAPI,
    ResponseValidationMiddleware,
    ResponseValidationOperation,
)
from connexion.middleware.routing import RoutingMiddleware, RoutingOperation
from connexion.middleware.security import SecurityAPI, SecurityMiddleware, SecurityOperation
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.operations import Swagger2Operation
from connexion.operations.openapi import OpenAPIOperation
from connexion.security import (
    AbstractSecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    SecurityHandlerFactory,
)
from connexion.uri_parsing import AbstractURIParser, OpenAPIURIParser
from connexion.utils import (
    extract_content_type,
    inspect_function_arguments,
    is_json_mimetype,
    is_null,
    is_nullable,
    split_content_type,
)
from connexion.validators import (
    VALIDATOR_MAP,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)
from connexion.validators.abstract import AbstractRequestBodyValidator
from connexion.validators.form_data import FormDataValidator
from connexion.validators.parameter import draft4_format_checker
from starlette._exception_handler import _lookup_exception_handler as lookup_exception_handler
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware as StarletteExceptionMiddleware
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

#: The ASGI ``extensions`` entry Connexion's request context lives in
#: (``ConnexionRequest.context`` makes it if absent, so an entry put there
#: before routing is the context Connexion fills and whose entries it
#: passes to a handler that names them: scimdock.front puts ``ctx`` there).
CONNEXION_CONTEXT = "connexion_context"

#: The versions every name and digest here was checked against.
CHECKED = {"connexion": "3.3.0", "starlette": "1.10.0", "uvicorn": "0.55.0"}

#: Upstream code a tuned class mirrors or relies on -> (it, sha256 of its
#: source, first 16 hex digits). By the module that relies on it.
PINNED: dict[str, tuple[Any, str]] = {
    # scimdock.front: the request context entry, made if absent
    "ConnexionRequest.context": (
        ConnexionRequest.context.fget,  # type: ignore[attr-defined]
        "5ee2afcadc9c35fe",
    ),
    # .middleware.ValidationOperation
    "RequestValidationOperation.__call__": (
        RequestValidationOperation.__call__,
        "af472716211911b9",
    ),
    "RequestValidationOperation.extract_content_type": (
        RequestValidationOperation.extract_content_type,
        "b08fa016a712fc41",
    ),
    "RequestValidationOperation.validate_mime_type": (
        RequestValidationOperation.validate_mime_type,
        "cdb95c7df215a7dd",
    ),
    "utils.extract_content_type": (extract_content_type, "cf05b8c47077bb9b"),
    "OpenAPIOperation.__init__ (path parameters appended)": (
        OpenAPIOperation.__init__,
        "d7d032ac83543ec8",
    ),
    # .validators
    "ParameterValidator.validate_parameter": (
        ParameterValidator.validate_parameter,
        "2d9293659a1c1ea5",
    ),
    "JSONRequestBodyValidator._parse": (JSONRequestBodyValidator._parse, "653b0d4025a2592e"),
    "JSONRequestBodyValidator._validator": (
        JSONRequestBodyValidator._validator.fget,  # type: ignore[attr-defined]
        "3b8e1028fc2da830",
    ),
    "JSONResponseBodyValidator.validator": (
        JSONResponseBodyValidator.validator.fget,  # type: ignore[attr-defined]
        "27ff813d631a179b",
    ),
    # .precheck: Connexion's nullable extension, as rewritten there
    "json_schema.allow_nullable": (allow_nullable, "4f8d52a1f8a69db9"),
    # .security
    "AbstractSecurityHandler._accepts_kwarg": (
        AbstractSecurityHandler._accepts_kwarg,
        "f04f41d0fb5eea37",
    ),
    # .handlers
    "AsyncParameterDecorator.__call__": (AsyncParameterDecorator.__call__, "c3223e31eb92742e"),
    "BaseParameterDecorator._maybe_get_body": (
        BaseParameterDecorator._maybe_get_body,
        "18183067248151ee",
    ),
    "prep_kwargs": (prep_kwargs, "46eb57dd9685e1c4"),
    "get_arguments (arguments_of mirrors it)": (get_arguments, "b2912a96f0107039"),
    "_get_file_arguments (no files: {})": (_get_file_arguments, "4db36f2ce7488666"),
    "_get_body_argument (body_argument mirrors it)": (_get_body_argument, "ad0202326b99a5b7"),
    "_get_body_argument_json": (_get_body_argument_json, "848df9bf9c63aa3e"),
    "ConnexionRequest.content_type": (
        ConnexionRequest.content_type.fget,  # type: ignore[attr-defined]
        "0a7350e4021d824f",
    ),
    "ConnexionRequest.mimetype": (
        ConnexionRequest.mimetype.fget,  # type: ignore[attr-defined]
        "1298e55a4040cadf",
    ),
    "ASGIDecorator.__call__": (ASGIDecorator.__call__, "7397ac94437e4d7e"),
    "AsyncOperation.fn": (AsyncOperation.fn.fget, "9cad70e32840c9ec"),  # type: ignore[attr-defined]
    "AsyncOperation.from_operation": (AsyncOperation.from_operation, "899345123cb08ba0"),
    "AsyncApi.make_operation": (AsyncApi.make_operation, "555eaf3ca12397b1"),
    "AsyncApp.__init__": (AsyncApp.__init__, "624f5070177b0d80"),
    "starlette Request._get_form (forms for two media types only)": (
        StarletteRequest._get_form,
        "7d96613dccd7737b",
    ),
    # .uri
    "OpenAPIURIParser.param_schemas": (
        OpenAPIURIParser.param_schemas.fget,  # type: ignore[attr-defined]
        "b43ee13bdcd96987",
    ),
    "AbstractURIParser.__init__": (AbstractURIParser.__init__, "1df20ff67036c6cb"),
    # .middleware.SwaggerUIPassMiddleware
    "SwaggerUIMiddleware.__call__": (SwaggerUIMiddleware.__call__, "63d1a07033fd923d"),
    # .request: an empty query string resolves to {}
    "ConnexionRequest.query_params": (
        ConnexionRequest.query_params.fget,  # type: ignore[attr-defined]
        "f01f735c6643fe68",
    ),
    "OpenAPIURIParser.resolve_query": (OpenAPIURIParser.resolve_query, "446701f944d63e58"),
    "AbstractSecurityHandler.get_auth_header_value": (
        AbstractSecurityHandler.get_auth_header_value,
        "f2808eab920f17d8",
    ),
    "ParameterValidator.validate": (ParameterValidator.validate, "e5615916d947428b"),
    # .request + .handlers: parameters resolved and a JSON body parsed once
    # per request (the validator replays the body unchanged)
    "ConnexionRequest.path_params": (
        ConnexionRequest.path_params.fget,  # type: ignore[attr-defined]
        "546382a52e95ac2f",
    ),
    "ConnexionRequest.get_body": (ConnexionRequest.get_body, "28f6a96f0cbc7948"),
    "ConnexionRequest.__init__ (ScopeRequest.__init__ mirrors it)": (
        ConnexionRequest.__init__,
        "c89c0c9d46911920",
    ),
    "ParameterValidator.validate_header_parameter": (
        ParameterValidator.validate_header_parameter,
        "b99bd3b5f592e6da",
    ),
    # .middleware.ScopeSecurityMiddleware
    "SecurityOperation.__call__": (SecurityOperation.__call__, "64eb38b0d5982445"),
    "SecurityAPI.make_operation": (SecurityAPI.make_operation, "8051a99c0921b5fd"),
    "AbstractRequestBodyValidator.wrap_receive": (
        AbstractRequestBodyValidator.wrap_receive,
        "44c469448a6e46fb",
    ),
    "starlette framework get_request": (StarletteFramework.get_request, "0e2625a06664e504"),
    # .direct: what Connexion's routing leaves in the scope, how a routed
    # API builds its operations, and the parts each request then passes
    "RoutingOperation.__call__": (RoutingOperation.__call__, "634b2f09f2375ba4"),
    "RoutedAPI.add_operation": (RoutedAPI.add_operation, "dac535d5e476d0ee"),
    "SecurityAPI.__init__": (SecurityAPI.__init__, "928154714c9b0ef1"),
    "ResponseValidationOperation.__init__": (
        ResponseValidationOperation.__init__,
        "39d8cddc33d2d2a2",
    ),
    # tuning.middlewares: without response validation, a pass-through
    "ResponseValidationAPI.make_operation": (
        ResponseValidationAPI.make_operation,
        "770d433c2951acf6",
    ),
    # .transport: uvicorn's protocol takes its transport in connection_made,
    # and a response's writes go through it
    "uvicorn HttpToolsProtocol.connection_made": (
        HttpToolsProtocol.connection_made,
        "6efb565ff3d36b91",
    ),
    "uvicorn RequestResponseCycle.send": (RequestResponseCycle.send, "abdd8601b326a8da"),
    # scimdock.protocol's lingering close: a request's cycle is made in
    # on_headers_complete with the protocol's transport, its task not yet
    # run, and uses only its write, is_closing and close (send, receive,
    # run_asgi); on_response_complete's first step is mirrored while
    # lingering; data_received answers a parser error through
    # send_400_response
    "uvicorn HttpToolsProtocol.on_headers_complete": (
        HttpToolsProtocol.on_headers_complete,
        "1ea8589acfad92d8",
    ),
    "uvicorn HttpToolsProtocol.on_response_complete": (
        HttpToolsProtocol.on_response_complete,
        "64e254f28e389e76",
    ),
    "uvicorn HttpToolsProtocol.data_received": (
        HttpToolsProtocol.data_received,
        "010a7ae59a5d3b1a",
    ),
    "uvicorn RequestResponseCycle.receive": (RequestResponseCycle.receive, "8124ae006be71184"),
    "uvicorn RequestResponseCycle.run_asgi": (RequestResponseCycle.run_asgi, "0f33f2449a444bc2"),
}

#: More upstream code relied on, named by its qualified name: what a body
#: validator keeps (.middleware.ValidationOperation), how Connexion's
#: verification takes a bearer token when bearer is the first alternative
#: (.middleware.ScopeSecurityOperation), and what the layers before the
#: direct route do for its requests (.lane).
_RELIED_ON: tuple[tuple[Any, str], ...] = (
    # .middleware.ValidationOperation keeps one body validator per media type:
    # what each keeps is fixed at construction
    (AbstractRequestBodyValidator.__init__, "cc70034b45755cc5"),
    (JSONRequestBodyValidator.__init__, "599d15e2c0391d9d"),
    (FormDataValidator.__init__, "0164181a3e25c114"),
    (SecurityHandlerFactory.verify_security, "eb34fea712e0643a"),
    (SecurityHandlerFactory._raise_most_specific, "31c57164202788f8"),
    (BearerSecurityHandler._get_verify_func, "2d831c150d65535a"),
    (AbstractSecurityHandler._generic_check, "28e23fb07ef65fb6"),
    (ConnexionMiddleware.__call__, "473eac78e7a24c3f"),
    (ConnexionMiddleware._build_middleware_stack, "87c580cd81e68e94"),
    (ServerErrorMiddleware.__call__, "a7d082263a5c5b23"),
    (ConnexionExceptionMiddleware.__call__, "566bca4c0305477d"),
    (StarletteExceptionMiddleware.__call__, "c0b5cb274777981d"),
    (wrap_app_handling_exceptions, "d5e41f0fa794c0a8"),
    (lookup_exception_handler, "14e3da74ab6e5609"),
)
PINNED.update({f"{f.__module__}.{f.__qualname__}": (f, d) for f, d in _RELIED_ON})

__all__ = [
    "ASGIApp",
    "AbstractSecurityHandler",
    "AsyncASGIApp",
    "AsyncApi",
    "AsyncApp",
    "AsyncOperation",
    "AsyncParameterDecorator",
    "BadRequestProblem",
    "BasicSecurityHandler",
    "BearerSecurityHandler",
    "CHECKED",
    "CONNEXION_CONTEXT",
    "CONTEXT_NAME",
    "ConnexionExceptionMiddleware",
    "ConnexionMiddleware",
    "ConnexionRequest",
    "FORM_CONTENT_TYPES",
    "HTTPException",
    "HttpToolsProtocol",
    "JSONRequestBodyValidator",
    "JSONResponseBodyValidator",
    "MediaTypeDict",
    "Message",
    "OAuthProblem",
    "OAuthResponseProblem",
    "OpenAPIURIParser",
    "PINNED",
    "ROUTING_CONTEXT",
    "ParameterValidator",
    "Receive",
    "RequestValidationAPI",
    "RequestValidationMiddleware",
    "RequestValidationOperation",
    "ResponseValidationMiddleware",
    "ResponseValidationOperation",
    "RoutedAPI",
    "RoutingMiddleware",
    "SecurityHandlerFactory",
    "SpecMiddleware",
    "Scope",
    "SecurityAPI",
    "SecurityMiddleware",
    "SecurityOperation",
    "Send",
    "StarletteDecorator",
    "StarletteRequest",
    "Swagger2Operation",
    "STATUS_LINE",
    "SwaggerUIMiddleware",
    "TextResponseBodyValidator",
    "VALIDATOR_MAP",
    "_get_body_argument",
    "_get_path_arguments",
    "_get_query_arguments",
    "context",
    "context_receive",
    "context_scope",
    "draft4_format_checker",
    "extract_content_type",
    "get_arguments",
    "inspect_function_arguments",
    "is_async_callable",
    "is_json_mimetype",
    "is_null",
    "is_nullable",
    "lookup_exception_handler",
    "operation",
    "parse_options_header",
    "run_in_threadpool",
    "sanitized",
    "split_content_type",
    "unwrap_decorators",
]
