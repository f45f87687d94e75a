"""Connexion's request object, minus the parsing of an empty query string.

Every API request is wrapped in a :class:`~connexion.lifecycle.ConnexionRequest`
twice (once to validate parameters, once to call the handler), and each
asks Starlette to parse the query string and the URI parser to resolve it,
even when there is none (``GET /Users/{id}``, every write): ``{}`` either
way. Here an empty query string answers ``{}`` at once; a non-empty one is
parsed exactly as before. Authorization headers are read from the ASGI
scope (:func:`auth_header`) instead of a new Starlette ``Headers``.

What the validation middleware resolved (path and query parameters) and
parsed (a JSON body) is kept with the request (:func:`remembered`), so the
handler's arguments are made from it instead of resolving and parsing all
of it a second time.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scimdock.handlers.http import scope_header
from scimdock.tuning.compat import (
    CONNEXION_CONTEXT,
    ConnexionRequest,
    OAuthProblem,
    Scope,
    StarletteRequest,
)


def remembered(scope: Scope) -> dict[str, Any]:
    """What this request's parameters and body resolved to, once worked
    out (``"path"``, ``"query"``, ``"body"``). The ASGI extensions dict:
    every app after the one that set it sees it, also through a copy of
    the scope."""
    return scope.setdefault("extensions", {}).setdefault("scimdock", {})  # type: ignore[no-any-return]


def scope_and_context(scope: Scope) -> Any:
    """What a security function that reads only ``request.scope`` and
    ``request.context`` (handlers.security.bearer_auth) sees of a
    :class:`ScopeRequest`: the same two objects, without making the
    request (a ``SimpleNamespace`` is made in C)."""
    context = scope.setdefault("extensions", {}).setdefault(CONNEXION_CONTEXT, {})
    return SimpleNamespace(scope=scope, context=context)


class ScopeRequest(ConnexionRequest):
    def __init__(self, *args: Any, uri_parser: Any = None, **kwargs: Any) -> None:
        """:meth:`ConnexionRequest.__init__`, asking whether the Starlette
        request is there already without ``hasattr`` (which, through
        ``__getattr__``, raises and catches an AttributeError each time)."""
        if "_starlette_request" not in self.__dict__:
            self._starlette_request = StarletteRequest(*args, **kwargs)
        self.uri_parser = uri_parser
        self._context = None
        self._mimetype = None
        self._path_params = None
        self._query_params = None
        self._form = None
        self._files = None

    @property
    def scope(self) -> Scope:
        """The ASGI scope, without a trip through ``__getattr__``'s proxy."""
        return self._starlette_request.scope

    @property
    def path_params(self) -> dict[str, Any]:
        """:attr:`ConnexionRequest.path_params`, resolved once per request."""
        if self._path_params is None:
            known = remembered(self._starlette_request.scope)
            if "path" not in known:
                known["path"] = self.uri_parser.resolve_path(self._starlette_request.path_params)
            self._path_params = known["path"]
        return self._path_params

    @property
    def query_params(self) -> dict[str, Any]:
        """:attr:`ConnexionRequest.query_params` (same steps), resolved once
        per request; an empty query string is ``{}`` at once."""
        if self._query_params is None:
            request = self._starlette_request
            if not request.scope.get("query_string"):
                self._query_params = {}
            else:
                known = remembered(request.scope)
                if "query" not in known:
                    args = request.query_params
                    known["query"] = self.uri_parser.resolve_query(
                        {k: args.getlist(k) for k in args}
                    )
                self._query_params = known["query"]
        return self._query_params  # type: ignore[no-any-return]


def auth_header(request: Any) -> tuple[str | None, str | None]:
    """:meth:`AbstractSecurityHandler.get_auth_header_value`, reading the
    first ``Authorization`` header from the scope as Starlette's
    ``Headers.get`` would (ASGI servers lower-case header names)."""
    authorization = scope_header(request.scope, "authorization")
    if not authorization:
        return None, None
    try:
        auth_type, value = authorization.split(maxsplit=1)
    except ValueError:
        raise OAuthProblem(detail="Invalid authorization header") from None
    return auth_type.lower(), value
