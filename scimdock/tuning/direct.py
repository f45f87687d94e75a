"""Each operation's own chain, reached in one step for the plainest requests.

Connexion routes a request with Starlette's router (the API's mount, then
every route of it), then each of its middlewares finds the request's
operation again by its operationId and calls that operation's part:
security, request validation, response validation; then the context
middleware sets four context variables and the app routes the request a
second time to the handler's decorators, which rebuild its arguments from
the request. About two fifths of a ``GET /Users/{id}``.

:class:`DirectMiddleware`, just before Connexion's routing, recognises the
requests of :data:`OPERATIONS` whose route is plain to see and calls the
chain of that operation's parts directly, built once per operation from
the same classes, in the same order: security
(:class:`~scimdock.tuning.middleware.ScopeSecurityOperation`), the stages
the app puts before validation (the names stage, scimdock.front.names;
one whose ``applies(operationId)`` says it passes such requests on
untouched is left out of that operation's chain),
request validation (:class:`~scimdock.tuning.middleware.ValidationOperation`),
response validation when it is on, and the handler, called with the
arguments Connexion's parameter decorator would give it. Whatever they
raise goes to Connexion's exception middleware as before.

A request is plain when its method and path match one operation's
template with at most one path parameter, its last segment, which must
not spell a literal segment another template has there; when it has no
query string (its arguments are then the path parameter, the body and the
request context); and when no ``root_path`` is set. Everything else
(``HEAD``, a trailing slash, a query, an unknown path) goes on to
Connexion's routing unchanged. Nothing is decided before the security
part runs, so a request is answered exactly as through the whole stack;
tests/integration/test_tuning_equivalence.py compares the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scimdock.tuning.compat import (
    CONNEXION_CONTEXT,
    ROUTING_CONTEXT,
    ASGIApp,
    Receive,
    ResponseValidationOperation,
    RoutedAPI,
    Scope,
    SecurityHandlerFactory,
    Send,
    SpecMiddleware,
    inspect_function_arguments,
    sanitized,
    unwrap_decorators,
)
from scimdock.tuning.middleware import ScopeSecurityOperation, ValidationOperation, content_type
from scimdock.tuning.request import remembered
from scimdock.tuning.validators import parameter_check

#: The operations reached directly: every write and read of one resource.
OPERATIONS = frozenset(
    {
        "getUser",
        "getGroup",
        "createUser",
        "createGroup",
        "replaceUser",
        "replaceGroup",
        "patchUser",
        "patchGroup",
        "deleteUser",
        "deleteGroup",
    }
)


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


class Route:
    __slots__ = ("chain", "operation_id", "base_path", "parameter")

    def __init__(self, chain: ASGIApp, operation_id: str, base_path: str, parameter: str | None):
        self.chain = chain
        self.operation_id = operation_id
        self.base_path = base_path
        self.parameter = parameter


class DirectAPI(RoutedAPI):  # type: ignore[misc]
    """One API's routes of :data:`OPERATIONS`, each with its chain."""

    def __init__(
        self,
        *args: Any,
        stages: Sequence[type] = (),
        security_map: dict[str, Any] | None = None,
        validator_map: dict[str, Any] | None = None,
        strict_validation: bool = False,
        validate_responses: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stages = stages
        self.factory = SecurityHandlerFactory(security_map)
        self.validator_map = validator_map
        self.strict_validation = strict_validation
        self.validate_responses = validate_responses
        #: ``(method, path)`` → route, and ``(method, path up to the last
        #: slash)`` → route whose last segment is its parameter.
        self.exact: dict[tuple[str, str], Route] = {}
        self.prefixed: dict[tuple[str, str], Route] = {}
        #: Literal last segments of any template, by their parent path.
        self.literals: dict[str, set[str]] = {}
        for template in self.specification.get("paths", {}):
            parent, _, last = template.rpartition("/")
            if not last.startswith("{"):
                self.literals.setdefault(self.base_path + parent + "/", set()).add(last)
        self.ambiguous: set[tuple[str, str]] = set()
        #: What every path of this API's routes starts with.
        self.prefix = self.base_path + "/"
        self._last: str | None = None
        self.add_paths()
        for key in self.ambiguous:
            self.prefixed.pop(key, None)

    def add_operation(self, path: str, method: str) -> None:
        if path.count("{") > 1 or ("{" in path and not path.rsplit("/", 1)[-1].startswith("{")):
            return  # not plain to see
        super().add_operation(path, method)
        routed = self.operations.get(self._last)
        if routed is None:
            return
        full = self.base_path + path
        if "{" in full:
            key = (method.upper(), full.rsplit("/", 1)[0] + "/")
            if key in self.prefixed:
                self.ambiguous.add(key)
            self.prefixed[key] = routed
        else:
            self.exact[(method.upper(), full)] = routed

    def make_operation(self, operation: Any) -> Route | None:
        self._last = operation.operation_id
        if operation.operation_id not in OPERATIONS:
            return None
        path = operation.path
        parameter = path.rsplit("/", 1)[-1][1:-1] if path.endswith("}") else None
        app: ASGIApp = Handler(operation, parameter and sanitized(parameter))
        if self.validate_responses:
            app = ResponseValidationOperation(
                app, operation=operation, validator_map=self.validator_map
            )
        app = PlainValidation(
            app,
            parameter=parameter and sanitized(parameter),
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )
        for stage in reversed(self.stages):
            # A stage that says it does nothing for this operation is left out.
            applies = getattr(stage, "applies", None)
            if applies is None or applies(operation.operation_id):
                app = stage(app)
        app = ScopeSecurityOperation.from_operation(
            operation, next_app=app, security_handler_factory=self.factory
        )
        return Route(app, operation.operation_id, self.base_path, parameter)

    def route(self, method: str, path: str) -> tuple[Route, str | None] | None:
        """The route of a plain request, and its parameter's value."""
        found = self.exact.get((method, path))
        if found is not None:
            return found, None
        cut = path.rfind("/") + 1
        parent = path[:cut]
        found = self.prefixed.get((method, parent))
        value = path[cut:]
        if found is None or not value or value in self.literals.get(parent, ()):
            return None
        return found, value


class DirectMiddleware(SpecMiddleware):  # type: ignore[misc]
    """See the module docstring; :func:`direct_middleware` binds the
    stages between security and request validation."""

    stages: Sequence[type] = ()

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.apis: list[DirectAPI] = []

    def add_api(self, specification: Any, **kwargs: Any) -> DirectAPI:
        api = DirectAPI(specification, next_app=self.app, stages=self.stages, **kwargs)
        self.apis.append(api)
        return api

    def routed(self, scope: Scope) -> Route | None:
        """The route of a plain request, with what Connexion's routing
        leaves in the scope put there; ``None`` for any other request."""
        if scope["type"] == "http" and not scope.get("query_string") and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            for api in self.apis:
                if not path.startswith(api.prefix):
                    continue  # another API's
                found = api.route(method, path)
                if found is not None:
                    route, value = found
                    if route.parameter is not None:
                        scope.setdefault("path_params", {})[route.parameter] = value
                    scope.setdefault("extensions", {}).setdefault(ROUTING_CONTEXT, {}).update(
                        {"api_base_path": route.base_path, "operation_id": route.operation_id}
                    )
                    return route
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routed(scope)
        if route is not None:
            await route.chain(scope, receive, send)
            return
        await self.app(scope, receive, send)


def direct_middleware(stages: Sequence[type]) -> type[DirectMiddleware]:
    """:class:`DirectMiddleware` with ``stages`` (ASGI middleware classes
    the app puts between security and request validation)."""
    return type("DirectMiddleware", (DirectMiddleware,), {"stages": tuple(stages)})
