"""Handlers called as Connexion calls them, with the decorator chain built
once per operation.

Connexion's ``AsyncOperation.fn`` builds a ``StarletteDecorator`` and its
parameter and response decorators (inspecting the handler's signature) on
every request, and the parameter decorator then reads the operation through
a context proxy about a dozen times, sanitises each argument name with
three regular expressions and asks Starlette to parse a form even for a
JSON body. Here the chain is built with the operation, the operation read
once per request, names sanitised once, a form parsed only when the body
is one, a JSON body the validator parsed not parsed again, and the
arguments of a request without a query string made without re-deriving
the operation's query defaults (:func:`arguments_of`). The arguments are Connexion's own
(:func:`connexion.decorators.parameter.get_arguments`).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
from collections.abc import Callable
from typing import Any

from scimdock.handlers.http import scope_header
from scimdock.tuning.compat import (
    CONTEXT_NAME,
    FORM_CONTENT_TYPES,
    AsyncApi,
    AsyncASGIApp,
    AsyncOperation,
    AsyncParameterDecorator,
    StarletteDecorator,
    Swagger2Operation,
    _get_body_argument,
    _get_path_arguments,
    _get_query_arguments,
    context,
    context_receive,
    context_scope,
    get_arguments,
    inspect_function_arguments,
    is_json_mimetype,
    is_null,
    is_nullable,
    operation,
    parse_options_header,
    sanitized,
    unwrap_decorators,
)
from scimdock.tuning.request import ScopeRequest, remembered

log = logging.getLogger("connexion.decorators.parameter")


@functools.lru_cache(maxsize=1024)
def sanitized_once(name: str) -> str:
    return sanitized(name)


@functools.lru_cache(maxsize=64)
def mimetype_of(content_type: str) -> str:
    """:attr:`ConnexionRequest.mimetype` (the header is the client's: a bounded cache)."""
    return parse_options_header(content_type)[0].decode()  # type: ignore[no-any-return]


_SCALARS = (str, int, float, bool, type(None))


def arguments_of(
    op: Any,
    *,
    path_params: dict[str, Any],
    query_params: dict[str, Any],
    body: Any,
    files: dict[str, Any],
    arguments: list[str],
    has_kwargs: bool,
    sanitize: Callable[[str], str],
    content_type: str,
    defaults: dict[int, tuple[Any, ...]],
) -> dict[str, Any]:
    """:func:`get_arguments` for a request without a query string or files
    (nearly all of them), with the query arguments that are then only the
    operation's defaults worked out once per operation (``defaults``: per
    operation, ``(operation, query arguments, body schema per media type)``);
    anything else goes to :func:`get_arguments` itself."""
    if query_params or files or op.method.upper() == "TRACE":
        return get_arguments(
            op,
            path_params=path_params,
            query_params=query_params,
            body=body,
            files=files,
            arguments=arguments,
            has_kwargs=has_kwargs,
            sanitize=sanitize,
            content_type=content_type,
        )
    ret = _get_path_arguments(path_params, operation=op, sanitize=sanitize)
    known = defaults.get(id(op))
    if known is None or known[0] is not op:
        known = defaults[id(op)] = (
            op,
            _get_query_arguments(
                {}, operation=op, arguments=arguments, has_kwargs=has_kwargs, sanitize=sanitize
            ),
            {},
        )
    query = known[1]
    ret.update(
        query if all(isinstance(v, _SCALARS) for v in query.values()) else copy.deepcopy(query)
    )
    ret.update(
        body_argument(
            op,
            body,
            arguments=arguments,
            has_kwargs=has_kwargs,
            sanitize=sanitize,
            content_type=content_type,
            known=known,
        )
    )
    return ret  # no files: get_arguments' file arguments would be {}


def body_argument(
    op: Any,
    body: Any,
    *,
    arguments: list[str],
    has_kwargs: bool,
    sanitize: Callable[[str], str],
    content_type: str,
    known: tuple[Any, ...],
) -> dict[str, Any]:
    """Connexion's ``_get_body_argument`` and ``_get_body_argument_json``
    (for a body that is not a form), with the operation's body schema for
    the media type looked up once (in ``known``, the operation's entry of
    :func:`arguments_of`) instead of twice per request through a media
    type dict that matches with ``fnmatch``."""
    if content_type in FORM_CONTENT_TYPES:
        return _get_body_argument(
            body,
            operation=op,
            arguments=arguments,
            has_kwargs=has_kwargs,
            sanitize=sanitize,
            content_type=content_type,
        )
    if len(arguments) <= 0 and not has_kwargs:
        return {}
    if not op.is_request_body_defined:
        return {}
    body_name = sanitize(op.body_name(content_type))
    schemas: dict[str, dict[str, Any]] = known[2]
    schema = schemas.get(content_type)
    if schema is None:
        schema = op.body_schema(content_type)
        if len(schemas) < 32:  # the header is the client's: bound the cache
            schemas[content_type] = schema
    if is_nullable(schema) and is_null(body):
        result = None
    elif body is None:
        result = copy.deepcopy(schema.get("default", {}))
    else:
        result = body
    if body_name in arguments or has_kwargs:
        return {body_name: result}
    return {}


class OnceParameterDecorator(AsyncParameterDecorator):
    """:class:`AsyncParameterDecorator` and its ``prep_kwargs``, reading the
    operation and the context once per request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.sanitize_fn is sanitized:
            self.sanitize_fn = sanitized_once

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        sanitize = self.sanitize_fn

        defaults: dict[int, tuple[Any, ...]] = {}

        @functools.wraps(function)
        async def wrapper(request: Any) -> Any:
            op = operation._get_current_object()
            content_type = scope_header(request.scope, "content-type") or "application/octet-stream"
            mimetype = mimetype_of(content_type)
            body = None
            if (sanitize(op.body_name(content_type)) in arguments or has_kwargs) or (
                mimetype in FORM_CONTENT_TYPES and isinstance(op, Swagger2Operation)
            ):
                known = remembered(request.scope)
                if "body" in known and is_json_mimetype(content_type):
                    body = known["body"]  # parsed by the validator (.validators)
                else:
                    body = request.get_body()
                    while asyncio.iscoroutine(body):
                        body = await body
            # Starlette parses a form only for these two media types.
            files = await request.files() if "form" in content_type.lower() else {}
            kwargs = arguments_of(
                op,
                path_params=request.path_params,
                query_params=request.query_params,
                body=body,
                files=files,
                arguments=arguments,
                has_kwargs=has_kwargs,
                sanitize=sanitize,
                content_type=mimetype,
                defaults=defaults,
            )
            kwargs = {sanitize(k): v for k, v in kwargs.items()}
            for key, value in context._get_current_object().items():
                if has_kwargs or key in arguments:
                    kwargs[key] = value
                else:
                    log.debug("Context parameter '%s' not in function arguments", key)
            if CONTEXT_NAME in arguments:
                kwargs[CONTEXT_NAME] = context
            return await function(**kwargs)

        return wrapper


class OnceDecorator(StarletteDecorator):
    """:class:`StarletteDecorator` that decorates once, with the operation's
    URI parser, instead of on every call."""

    def __init__(self, *, uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._parser = uri_parser

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return OnceParameterDecorator

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        decorated = self.decorate(function)
        parser = self._parser

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            # What Starlette's framework.get_request builds, as a ScopeRequest.
            request = ScopeRequest(
                context_scope._get_current_object(),
                context_receive._get_current_object(),
                uri_parser=parser,
            )
            return await decorated(request)

        return wrapper


class OnceOperation(AsyncOperation):
    def __init__(self, fn: Callable[..., Any], *, uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(fn, **kwargs)
        self._decorated = OnceDecorator(
            uri_parser=uri_parser, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )(self._fn)

    @property
    def fn(self) -> Callable[..., Any]:
        return self._decorated


class OnceApi(AsyncApi):
    def make_operation(self, operation: Any) -> AsyncOperation:
        parser = operation.uri_parser_class(operation.parameters, operation.body_definition())
        return OnceOperation(
            operation.function,
            jsonifier=self.jsonifier,
            uri_parser=parser,
            operation_id=operation.operation_id,
            pythonic_params=self.pythonic_params,
        )


class OnceASGIApp(AsyncASGIApp):
    api_cls = OnceApi
