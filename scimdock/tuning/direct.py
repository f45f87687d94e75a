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
request validation (:class:`~scimdock.tuning.middleware.ValidationOperation`,
as :class:`~scimdock.tuning.plain.PlainValidation`), response validation
when it is on, and the handler, called with the arguments Connexion's
parameter decorator would give it (:class:`~scimdock.tuning.plain.Handler`).
Whatever they raise goes to Connexion's exception middleware as before
(or, from the front, to the same handlers: :mod:`.lane`).

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
    ROUTING_CONTEXT,
    ASGIApp,
    Receive,
    ResponseValidationOperation,
    RoutedAPI,
    Scope,
    SecurityHandlerFactory,
    Send,
    SpecMiddleware,
    sanitized,
)
from scimdock.tuning.middleware import ScopeSecurityOperation
from scimdock.tuning.plain import Handler, PlainValidation

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
