"""Three middlewares of Connexion's stack, doing per app what it does per
request (``AsyncApp(middlewares=...)``).

* :class:`ValidationMiddleware`: request validation whose URI parser,
  parameter validator, accepted media types and body schema per media type
  are built with the operation (and each media type matched against the
  accepted ones once); the checks and their order are
  :class:`RequestValidationOperation`'s.
* :class:`SwaggerUIPassMiddleware`: only requests that can be for the
  Swagger UI or the served document go through the UI's router.
* :class:`ScopeSecurityMiddleware`: authentication as Connexion does it,
  with the request read as a :class:`~scimdock.tuning.request.ScopeRequest`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scimdock.handlers.http import scope_header
from scimdock.handlers.security import bearer_auth
from scimdock.tuning.compat import (
    ASGIApp,
    BearerSecurityHandler,
    MediaTypeDict,
    OAuthResponseProblem,
    Receive,
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
    Scope,
    SecurityAPI,
    SecurityMiddleware,
    SecurityOperation,
    Send,
    SwaggerUIMiddleware,
    inspect_function_arguments,
    is_nullable,
    split_content_type,
)
from scimdock.tuning.request import ScopeRequest, scope_and_context

log = logging.getLogger("connexion.middleware.validation")

_Body = tuple[dict[str, Any], Any, bool, bool]  # schema, validator class, required, nullable


def content_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    """:func:`connexion.utils.extract_content_type` for ASGI headers,
    without the ``typing`` subscriptions it evaluates on every call."""
    for key, value in headers:
        if key == b"content-type" or (
            len(key) == 12  # "content-type" in another case, or as text
            and (key.decode("latin-1") if isinstance(key, bytes) else key).lower() == "content-type"
        ):
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


class ValidationOperation(RequestValidationOperation):
    def __init__(self, next_app: ASGIApp, **kwargs: Any) -> None:
        super().__init__(next_app, **kwargs)
        op = self._operation
        # Connexion appends the path-level parameters to the document's own
        # list each time it builds an operation (once per middleware), so
        # ``GET /Users/{id}`` lists ``id`` several times: validate it once.
        parameters = list({id(p): p for p in op.parameters}.values())
        self._uri_parser = op._uri_parser_class(parameters, op.body_definition())
        self._parameters = self._validator_map["parameter"](
            parameters,
            uri_parser=self._uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        self._consumes = MediaTypeDict([(c.lower(), None) for c in op.consumes])
        self._bodies: dict[str, _Body] = {}
        self._accepted: set[str] = set()  # media types validate_mime_type let through
        self._validators: dict[tuple[str, str], Any] = {}

    def extract_content_type(self, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
        mime_type, encoding = split_content_type(content_type(headers))
        if mime_type is None:  # as Connexion: not required, take a best guess
            consumes = self._operation.consumes
            mime_type = consumes[0] if consumes else "application/octet-stream"
        return mime_type, encoding or "utf-8"

    def validate_mime_type(self, mime_type: str) -> None:
        if mime_type in self._accepted:
            return
        if self._consumes and mime_type.lower() not in self._consumes:
            super().validate_mime_type(mime_type)  # raises Connexion's 415
        if len(self._accepted) < 32:  # the header is the client's: bound the cache
            self._accepted.add(mime_type)

    def _body(self, mime_type: str) -> _Body:
        found = self._bodies.get(mime_type)
        if found is None:
            op = self._operation
            found = (
                op.body_schema(mime_type),
                self._validator_map["body"].get(mime_type),
                op.request_body.get("required", False),
                is_nullable(op.body_definition(mime_type)),
            )
            if len(self._bodies) < 32:  # the header is the client's: bound the cache
                self._bodies[mime_type] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._parameters.validate(scope)
        await self.body(scope, receive, send)

    def _new_validator(
        self, cls: Any, schema: Any, required: bool, nullable: bool, encoding: str
    ) -> Any:
        """A body validator, made as Connexion's operation makes one."""
        options = {"schema": schema, "required": required, "nullable": nullable}
        options.update(encoding=encoding, strict_validation=self.strict_validation)
        return cls(**options, uri_parser=self._uri_parser)

    async def body(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The media type and the body, validated; then the next app."""
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        schema, body_validator, required, nullable = self._body(mime_type)
        if schema:
            if body_validator is None:
                log.info(
                    f"Skipping validation. No validator registered for content type: {mime_type}."
                )
            else:
                # Connexion's body validators keep nothing of a request: one
                # per media type and encoding serves every request.
                validator = self._validators.get((mime_type, encoding))
                if validator is None:
                    validator = self._new_validator(
                        body_validator, schema, required, nullable, encoding
                    )
                    if len(self._validators) < 32:  # the header is the client's: bound it
                        self._validators[mime_type, encoding] = validator
                parsed = getattr(validator, "validate_parsed", None)
                if parsed is None or not parsed(scope):
                    receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class ValidationAPI(RequestValidationAPI):
    def make_operation(self, operation: Any) -> RequestValidationOperation:
        return ValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class ValidationMiddleware(RequestValidationMiddleware):
    api_cls = ValidationAPI


class SwaggerUIPassMiddleware(SwaggerUIMiddleware):
    """A request whose path holds neither ``/openapi.`` (the served
    document) nor ``/ui`` (the UI) cannot match the UI's routes, nor their
    slash-toggled forms: it goes straight to the next app, as it would
    after the router's two passes."""

    MARKERS = ("/openapi.", "/ui")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(m in scope["path"] for m in self.MARKERS):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class ScopeSecurityOperation(SecurityOperation):
    """:class:`SecurityOperation` with a :class:`ScopeRequest`, whose scope
    and context the security functions read directly; and, when the
    operation's first alternative is HTTP bearer alone (openapi/scim.yaml:
    ``bearerAuth``, then ``basicAuth``), a request with a well-formed
    ``Authorization: Bearer`` header handed to the bearer function at
    once (:func:`first_bearer`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bearer = first_bearer(self.security, self.security_schemes)
        #: Our own bearer function reads only the request's scope and
        #: context: it is handed those (tuning.request.scope_and_context).
        self.light = self.bearer is bearer_auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.security:
            await self.next_app(scope, receive, send)
            return
        token = None if self.bearer is None else bearer_token(scope)
        if token is None:
            await self.verification_fn(ScopeRequest(scope))
        else:
            await self._bearer(scope, token)
        await self.next_app(scope, receive, send)

    async def _bearer(self, scope: Scope, token: str) -> None:
        """What Connexion's verification does with a bearer token when
        bearer is the first alternative: the function's token info, or
        its exception raised as it is (the other alternatives see another
        scheme and pass, so it is the only error, the one raised); the
        same context entries."""
        assert self.bearer is not None
        request = scope_and_context(scope) if self.light else ScopeRequest(scope)
        token_info = self.bearer(token, request=request)
        while asyncio.iscoroutine(token_info):
            token_info = await token_info
        if token_info is None:
            raise OAuthResponseProblem(detail="Provided token is not valid")
        request.context.update(
            {"user": token_info.get("sub", token_info.get("uid")), "token_info": token_info}
        )


def first_bearer(security: list[Any], schemes: dict[str, Any]) -> Any:
    """The ``x-bearerInfoFunc`` of the first alternative of ``security``
    when that alternative is one HTTP bearer scheme and the function takes
    ``(token, request)`` (as Connexion would call it: without
    ``required_scopes``, with ``request``) and no other alternative is
    bearer too; else ``None``."""
    if not security or len(security[0]) != 1:
        return None
    (name,) = security[0]
    scheme = schemes.get(name) or {}
    bearers = [
        alternative
        for alternative in security
        for other in alternative
        if (schemes.get(other) or {}).get("scheme", "").lower() == "bearer"
    ]
    if scheme.get("type") != "http" or scheme.get("scheme", "").lower() != "bearer":
        return None
    if len(bearers) != 1 or any(not alternative for alternative in security):
        return None
    function = BearerSecurityHandler()._resolve_func(scheme)
    if function is None:
        return None
    arguments, has_kwargs = inspect_function_arguments(function)
    if has_kwargs or "required_scopes" in arguments or "request" not in arguments:
        return None
    return function


def bearer_token(scope: Scope) -> str | None:
    """The token of a first ``Authorization`` header that reads
    ``Bearer <token>`` (any case) as Connexion splits it; else ``None``."""
    authorization = scope_header(scope, "authorization")
    if not authorization:
        return None
    parts = authorization.split(maxsplit=1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


class ScopeSecurityAPI(SecurityAPI):
    def make_operation(self, operation: Any) -> SecurityOperation:
        return ScopeSecurityOperation.from_operation(
            operation,
            next_app=self.next_app,
            security_handler_factory=self.security_handler_factory,
        )


class ScopeSecurityMiddleware(SecurityMiddleware):
    api_cls = ScopeSecurityAPI
