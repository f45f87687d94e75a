"""Validators compiled once per schema (``AsyncApp(validator_map=...)``).

Connexion builds a ``Draft4Validator`` per parameter per request (after a
deep copy of the parameter) and a request or response body validator per
request; here each is built the first time its schema is seen and kept for
the life of the app. Same validator classes, same format checker, same
messages. Request bodies are parsed with orjson, falling back to the
standard library for anything orjson refuses, so that what is accepted and
every error message stay as before; a compiled pre-check (:mod:`.precheck`)
lets the bodies and parameter values it can vouch for skip Python
jsonschema.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

import orjson
from jsonschema import Draft4Validator, ValidationError

from scimdock.handlers.context import request_context
from scimdock.handlers.http import scope_header
from scimdock.tuning.compat import (
    VALIDATOR_MAP,
    BadRequestProblem,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    MediaTypeDict,
    ParameterValidator,
    Scope,
    TextResponseBodyValidator,
    draft4_format_checker,
    is_null,
    is_nullable,
)
from scimdock.tuning.precheck import precheck
from scimdock.tuning.request import ScopeRequest, remembered

log = logging.getLogger("connexion.validators.parameter")

_Cache = dict[int, tuple[Any, Any]]
_PARAMETERS: _Cache = {}
_REQUESTS: _Cache = {}
_RESPONSES: _Cache = {}
_PRECHECKS: _Cache = {}


def cached(cache: _Cache, key: Any, build: Callable[[], Any]) -> Any:
    """``build()`` once per schema object. By identity: the resolved
    document's dicts live as long as the app, and the entry keeps its key
    alive so that an id is never reused for another schema."""
    hit = cache.get(id(key))
    if hit is None or hit[0] is not key:
        hit = cache[id(key)] = (key, build())
    return hit[1]


class CachedParameterValidator(ParameterValidator):
    """:meth:`ParameterValidator.validate_parameter` with the validator
    built once per parameter; the request read as a
    :class:`~scimdock.tuning.request.ScopeRequest`."""

    def validate(self, scope: Scope) -> None:
        log.debug("%s validating parameters...", scope.get("path"))
        self.validate_request(ScopeRequest(scope, uri_parser=self.uri_parser))

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        """:meth:`ParameterValidator.validate_header_parameter`, reading the
        header from the scope as Starlette's ``Headers.get`` would."""
        value = scope_header(request.scope, param["name"])
        return self.validate_parameter("header", value, param)

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            validator, check = cached(_PARAMETERS, param, lambda: _parameter_validators(param))
            if check is not None and check(value):
                return None  # the compiled pre-check vouches for it (.precheck)
            try:
                validator.validate(value)
            except ValidationError as exception:
                return str(exception)
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None


def parameter_check(param: dict[str, Any]) -> Callable[[Any], bool] | None:
    """The compiled pre-check of one parameter (:mod:`.precheck`): True
    only for values :meth:`CachedParameterValidator.validate_parameter`
    accepts; ``None`` when there is none."""
    return cached(_PARAMETERS, param, lambda: _parameter_validators(param))[1]  # type: ignore[no-any-return]


def _parameter_validators(param: dict[str, Any]) -> tuple[Any, Callable[[Any], bool] | None]:
    """Connexion's validator for one parameter's schema, and its pre-check."""
    schema = copy.deepcopy(param.get("schema", param))
    return Draft4Validator(schema, format_checker=draft4_format_checker), precheck(schema)


#: Digits as ``0``, every other byte as a space: a run of 19 digits, which
#: may be an integer orjson reads as a float (beyond its 64-bit range)
#: where the standard library reads an ``int``, is then ``_NINETEEN``
#: (``bytes.translate`` scans a body in about a microsecond; a regular
#: expression takes longer than parsing it).
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_NINETEEN = b"0" * 19
#: The spellings of the encoding scimdock.front.names decodes a body with.
UTF8 = frozenset(("utf-8", "utf8"))


def loads(text: str) -> Any:
    """:func:`json.loads` of ``text``, through orjson where that gives the
    same value: what orjson refuses (``NaN``, nesting beyond 1,024 levels,
    a lone surrogate escape, any error, whose words are the standard
    library's) and text with 19 digits or more in a row (integers beyond
    64 bits, which orjson makes floats) go to :func:`json.loads`. What a
    body may hold is then :func:`scimdock.core.body.check`'s, tuned or not."""
    if _NINETEEN not in text.encode("utf-8", "surrogatepass").translate(_DIGITS):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class CachedJSONBodyValidator(JSONRequestBodyValidator):
    def validate_parsed(self, scope: Scope) -> bool:
        """What :meth:`wrap_receive` does with a body the names stage has
        parsed already (scimdock.front.names), without a stream to replay:
        its value validated and kept for the handler. ``False`` (nothing
        done) when there is none, when the body is not UTF-8 to this
        validator, or when ``Content-Length`` is absent or 0, which
        :meth:`wrap_receive` answers itself."""
        ctx = request_context()
        if not (ctx.parsed and self._encoding.lower() in UTF8):
            return False
        length = scope_header(scope, "content-length")
        if not (length and length.strip().isdigit() and int(length)):
            return False
        remembered(scope)["body"] = ctx.body
        if not (ctx.body is None and self._nullable):
            self._validate(ctx.body)
        return True

    @property
    def _validator(self) -> Any:
        build = JSONRequestBodyValidator._validator.fget  # type: ignore[attr-defined]
        return cached(_REQUESTS, self._schema, lambda: build(self))

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        ctx = request_context()
        if ctx.parsed and self._encoding.lower() in UTF8:
            # Parsed and folded once by scimdock.front.names: as this would.
            remembered(scope)["body"] = ctx.body
            return ctx.body
        body = b"".join([message async for message in stream]).decode(self._encoding)
        if not body:
            return None
        try:
            value = loads(body)
        except json.decoder.JSONDecodeError as e:
            raise BadRequestProblem(detail=str(e)) from None
        # What the handler's body argument will be (scimdock.tuning.handlers):
        # json.loads of the same text, which this validator does not change.
        remembered(scope)["body"] = value
        return value


class PrecheckedJSONBodyValidator(CachedJSONBodyValidator):
    """Bodies that the compiled pre-check (:mod:`.precheck`) accepts skip
    Python jsonschema; every other body is validated as before."""

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is not None:
            check = cached(_PRECHECKS, self._schema, lambda: precheck(self._schema))
            if check is not None and check(body):
                return None
        return super()._validate(body)


class CachedJSONResponseValidator(JSONResponseBodyValidator):
    """Response validation (``SCIMDOCK_VALIDATE_RESPONSES``, on in tests)."""

    @property
    def validator(self) -> Any:
        build = JSONResponseBodyValidator.validator.fget  # type: ignore[attr-defined]
        return cached(_RESPONSES, self._schema, lambda: build(self))


class CachedTextResponseValidator(TextResponseBodyValidator, CachedJSONResponseValidator):
    pass


def validator_map(*, prechecked: bool = True) -> dict[str, Any]:
    """Connexion's ``VALIDATOR_MAP`` with the cached classes in its places."""
    body = MediaTypeDict(VALIDATOR_MAP["body"])
    body["*/*json"] = PrecheckedJSONBodyValidator if prechecked else CachedJSONBodyValidator
    response = MediaTypeDict(VALIDATOR_MAP["response"])
    response["*/*json"] = CachedJSONResponseValidator
    response["text/plain"] = CachedTextResponseValidator
    return {"parameter": CachedParameterValidator, "body": body, "response": response}
