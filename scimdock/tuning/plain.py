"""The parts of an operation's direct chain (:mod:`.direct`) that differ
from Connexion's: its parameters checked by their compiled pre-checks
(:class:`PlainValidation`), and its handler called with the arguments
Connexion's parameter decorator would give it (:class:`Handler`)."""

from __future__ import annotations

from typing import Any

from scimdock.tuning.compat import (
    CONNEXION_CONTEXT,
    ASGIApp,
    Receive,
    Scope,
    Send,
    inspect_function_arguments,
    sanitized,
    unwrap_decorators,
)
from scimdock.tuning.middleware import ValidationOperation, content_type
from scimdock.tuning.request import remembered
from scimdock.tuning.validators import parameter_check

__all__ = ["Handler", "PlainValidation"]


class PlainValidation(ValidationOperation):
    """:class:`ValidationOperation` whose parameters, for a request without
    a query string, are checked by their compiled pre-checks
    (scimdock.tuning.precheck) when every one can be: the path parameter
    (a string, left as it is when resolved) and the header parameters
    present, none required but absent. When each passes, Connexion's
    parameter validator would find nothing (the query parameters are all
    absent and none is required, and there is no cookie parameter): it is
    left out, and the path parameter kept as it would have resolved it.
    Any other request is validated as before; the body always is. An
    operation without a body schema (``GET``, ``DELETE``) asked without a
    ``Content-Type`` goes on at once: :meth:`body` would take the media
    type it consumes first, accept it, and find no schema."""

    def __init__(self, next_app: ASGIApp, *, parameter: str | None, **kwargs: Any) -> None:
        super().__init__(next_app, **kwargs)
        self.parameter = parameter
        by_place = self._parameters.parameters
        self.plain = not by_place.get("cookie") and not any(
            p.get("required") for p in by_place.get("query", [])
        )
        self.checks: list[tuple[str, Any]] = []
        for place, params in by_place.items():
            for param in params if place in ("path", "header") else ():
                check = parameter_check(param)
                schema = param.get("schema", param)
                if (
                    check is None
                    or schema.get("type") != "string"
                    or param.get("required")
                    and (place == "header")
                ):
                    self.plain = False
                self.checks.append((place, (param["name"], check)))
        self.plain = self.plain and all(
            place == "header" or name == parameter for place, (name, _) in self.checks
        )
        consumes = self._operation.consumes
        self.bodiless = not self._body(consumes[0] if consumes else "application/octet-stream")[0]

        #: ``(path parameter or None, header name as ASGI spells it, check)``.
        self.plan = [
            (name, None, check) if place == "path" else (None, name.lower().encode(), check)
            for place, (name, check) in self.checks
        ]

    def _plain(self, scope: Scope) -> bool:
        """Whether the pre-checks vouch for every parameter (of a header,
        its first value, as :func:`~scimdock.handlers.http.scope_header`
        reads it)."""
        for parameter, header, check in self.plan:
            if header is None:
                value = scope["path_params"][parameter]
            else:
                for key, raw in scope["headers"]:
                    if key == header:
                        value = raw.decode("latin-1")
                        break
                else:
                    continue
            if not check(value):
                return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.plain and self._plain(scope)):
            await super().__call__(scope, receive, send)
            return
        if self.parameter is not None:
            remembered(scope)["path"] = {self.parameter: scope["path_params"][self.parameter]}
        if self.bodiless and content_type(scope["headers"]) is None:
            await self.next_app(scope, receive, send)  # what body() comes to
            return
        await self.body(scope, receive, send)


class Handler:
    """The handler of one operation as an ASGI app: called with its path
    parameter, its body and the request context, as Connexion's parameter
    decorator calls it for a request without a query string."""

    def __init__(self, operation: Any, parameter: str | None) -> None:
        self.function = operation.function
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(self.function))
        self.arguments = frozenset(arguments)
        self.has_kwargs = has_kwargs
        self.parameter = parameter
        self.body = None
        if operation.is_request_body_defined:
            self.body = sanitized(operation.body_name("application/json"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        known = remembered(scope)
        kwargs: dict[str, Any] = {}
        for name, value in scope["extensions"][CONNEXION_CONTEXT].items():
            if self.has_kwargs or name in self.arguments:  # as Connexion passes its context
                kwargs[name] = value
        if self.parameter is not None:
            kwargs[self.parameter] = known["path"][self.parameter]
        if self.body is not None:
            kwargs[self.body] = known["body"]
        response = await self.function(**kwargs)
        await response(scope, receive, send)
