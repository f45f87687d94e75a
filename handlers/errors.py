"""Every failure leaves as a SCIM Error (RFC 7644 §3.12).

Connexion raises RFC 7807 problems for what it rejects (validation, auth,
media type) and Starlette raises HTTP exceptions for routing (404, 405);
the core raises :class:`ScimError`. All of them become one body shape with
``status`` as a string and the ``scimType`` the RFC defines for the case.
The admin API (``/admin/v1``) answers errors the same way, so one reader
serves both APIs; only its 401 challenge differs (bearer admin token).
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any

import orjson
from connexion.exceptions import BadRequestProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]  # no stubs pinned
from starlette.exceptions import HTTPException

from scimdock.core.body import TOO_DEEP
from scimdock.core.errors import InternalServerError, InvalidSyntax, ScimError, error_for
from scimdock.core.schema_text import sentence
from scimdock.store.errors import (
    Conflict,
    FilterRefused,
    InvalidReference,
    NotFound,
    OverBudget,
    PreconditionFailed,
    SortPathUnknown,
    StoreError,
    Unavailable,
    Unsortable,
)

log = logging.getLogger("scimdock")

SCIM_JSON = "application/scim+json"
#: Sent with every 401 (RFC 7235 §4.1); the token is the Base64 key pair.
WWW_AUTHENTICATE = 'Bearer realm="scimdock", Basic realm="scimdock", charset="UTF-8"'
#: The admin API takes only a bearer admin token (docs/admin.md).
ADMIN_WWW_AUTHENTICATE = 'Bearer realm="scimdock-admin"'


def error_headers(error: ScimError, *, challenge: str = WWW_AUTHENTICATE) -> dict[str, str]:
    """The headers of a SCIM Error's answer: its media type (RFC 7644
    §3.8), and the challenge of a 401 (RFC 9110 §11.6.1)."""
    headers = {"Content-Type": SCIM_JSON}
    if error.status == 401:
        headers["WWW-Authenticate"] = challenge
    return headers


def error_body(error: ScimError) -> bytes:
    """The body of a SCIM Error's answer (RFC 7644 §3.12)."""
    return orjson.dumps(error.to_dict())


def response(
    error: ScimError, headers: dict[str, str] | None = None, *, challenge: str = WWW_AUTHENTICATE
) -> ConnexionResponse:
    hdrs = {**(headers or {}), **error_headers(error, challenge=challenge)}
    hdrs.pop("Content-Type")
    return ConnexionResponse(
        status_code=error.status,
        mimetype=SCIM_JSON,
        content_type=SCIM_JSON,
        body=error_body(error),
        headers=hdrs,
    )


def scim_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ScimError)
    return response(exc, challenge=_challenge(request))


#: What each refusal of the store is in the protocol (RFC 7644 §3.12):
#: status and ``scimType``.
STORE_ERRORS: tuple[tuple[type[StoreError], int, str | None], ...] = (
    (NotFound, 404, None),
    (Conflict, 409, "uniqueness"),
    (PreconditionFailed, 412, None),
    (InvalidReference, 400, "invalidValue"),
    (FilterRefused, 400, "invalidFilter"),
    (SortPathUnknown, 400, "invalidPath"),
    (Unsortable, 400, "invalidValue"),
    (OverBudget, 400, "tooMany"),
    (Unavailable, 503, None),
)


def store_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A store's domain error as the SCIM Error it means."""
    assert isinstance(exc, StoreError)
    headers = None
    if isinstance(exc, Unavailable):  # the operator must hear of it (docs/security.md)
        log.error("the database refused a write: %s", exc.__cause__ or exc)
        headers = {"Retry-After": str(exc.retry_after)}  # RFC 9110 §10.2.3
    for kind, status, scim_type in STORE_ERRORS:
        if isinstance(exc, kind):
            return response(
                error_for(status, exc.detail, scim_type), headers, challenge=_challenge(request)
            )
    return unexpected(request, exc)


def _challenge(request: ConnexionRequest) -> str:
    return ADMIN_WWW_AUTHENTICATE if request.url.path.startswith("/admin/") else WWW_AUTHENTICATE


def problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A Connexion problem (request validation, security, media type). On
    the admin API, a body that breaks its schema is one sentence naming
    the field and what it must be (core.schema_text), not jsonschema's message."""
    assert isinstance(exc, ProblemException)
    detail = _shortened(str(exc.detail or exc.title or "").strip().split("\n", 1)[0])
    if isinstance(exc.__context__, ValidationError) and request.url.path.startswith("/admin/"):
        detail = _shortened(sentence(exc.__context__))
    scim_type = None
    if exc.status == 400:
        scim_type = _bad_request_type(exc, detail)
        if isinstance(exc.__context__, json.JSONDecodeError):
            detail = f"Request body is not valid JSON: {detail}"
    return response(
        ScimError(exc.status, detail, scim_type), _headers(exc), challenge=_challenge(request)
    )


#: The longest ``detail`` repeated from a validator: its message quotes the
#: value it refused, which may be as long as the request.
DETAIL_MAX = 500


def _shortened(detail: str) -> str:
    return detail if len(detail) <= DETAIL_MAX else detail[: DETAIL_MAX - 1] + "\u2026"


def http_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Routing errors: unknown path (404), method not allowed (405).

    A 405 carries ``Allow`` with exactly the methods the document gives the
    path (RFC 9110 §15.5.6); Starlette would list only one operation's.
    """
    assert isinstance(exc, HTTPException)
    headers = _headers(exc)
    if exc.status_code == 405:
        allowed = allowed_methods(request.url.path)
        detail = f"Method {request.method} not allowed here; allowed: {', '.join(allowed)}"
        headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
        headers["Allow"] = ", ".join(allowed)
    elif exc.status_code == 404:
        detail = f"No such endpoint: {request.url.path}"
    else:
        detail = str(exc.detail)
    return response(ScimError(exc.status_code, detail), headers)


def undecodable(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A body that is not UTF-8 cannot be JSON (RFC 8259 §8.1)."""
    return response(InvalidSyntax("Request body is not valid UTF-8 JSON"))


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: Per API base path (``/scim/v1``, ``/admin/v1``): each documented path
#: (as a pattern, with its number of ``{parameters}``) and its methods.
_ROUTES: dict[str, list[tuple[re.Pattern[str], int, list[str]]]] = {}


def install_routes(paths: dict[str, Any], base_path: str) -> None:
    """Remember each documented path of the API at ``base_path`` and its
    methods, for ``Allow``."""
    routes = _ROUTES[base_path] = []
    for template, item in paths.items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(base_path + template))
        methods = sorted(m.upper() for m in item if m in _HTTP_METHODS)
        routes.append((re.compile(f"^{pattern}/?$"), template.count("{"), methods))


def allowed_methods(path: str) -> list[str]:
    """The methods of the documented path ``path`` is; the most literal one
    when several match (``/a/purge`` is ``/a/purge``, not ``/a/{id}``)."""
    found = [
        (params, methods)
        for routes in _ROUTES.values()
        for pattern, params, methods in routes
        if pattern.match(path)
    ]
    return min(found, key=lambda f: f[0])[1] if found else []


def unexpected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A bug: logged with its traceback, answered as a SCIM 500. Except
    where Python's JSON parser gives up on a body (:func:`_unparsable`)."""
    refused = _unparsable(exc)
    if refused is not None:
        return response(refused)
    log.error("unhandled error", exc_info=exc)
    return response(InternalServerError("Internal server error"))


def _unparsable(exc: Exception) -> ScimError | None:
    """Python's JSON parser, Connexion's, stops at the interpreter's
    recursion limit and at integers longer than ``sys.get_int_max_str_digits()``
    with errors that are no ``JSONDecodeError`` (so Connexion lets them
    through): a body it cannot read is a 400 ``invalidSyntax`` (RFC 7644
    §3.12), not a server error. Only when raised inside the parser."""
    if not isinstance(exc, (RecursionError, ValueError)) or isinstance(exc, json.JSONDecodeError):
        return None
    if not any(
        frame.f_code.co_filename == json.decoder.__file__
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    ):
        return None
    if isinstance(exc, RecursionError):
        return InvalidSyntax(TOO_DEEP)
    return InvalidSyntax("Request body is not valid JSON: a number has too many digits")


def _bad_request_type(exc: ProblemException, detail: str) -> str:
    """``invalidSyntax`` for a body that is not JSON or missing (RFC 7644
    §3.12: "The request body message structure was invalid"), else
    ``invalidValue`` (the body or a parameter breaks the schema)."""
    if isinstance(exc.__context__, json.JSONDecodeError) or (
        isinstance(exc, BadRequestProblem)
        and detail.lower().startswith(("request body must not be empty", "requestbody is required"))
    ):
        return "invalidSyntax"
    return "invalidValue"


def _headers(exc: Any) -> dict[str, str]:
    headers = getattr(exc, "headers", None) or {}
    return {k: v for k, v in dict(headers).items() if k.lower() != "content-type"}
