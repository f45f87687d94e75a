"""Connexion's request object, minus the parsing of an empty query string.

Every API request is wrapped in a :class:`~connexion.lifecycle.ConnexionRequest`
twice (once to validate parameters, once to call the handler), and each
asks Starlette to parse the query string and the URI parser to resolve it,
even when there is none (``GET /Users/{id}``, every write): ``{}`` either
way. Here an empty query string answers ``{}`` at once; a non-empty one is
parsed exactly as before. Authorization headers are read from the ASGI
scope (:func:`auth_header`) instead of a new Starlette ``Headers``.
"""

from __future__ import annotations

from typing import Any

from connexion.exceptions import OAuthProblem
from connexion.lifecycle import ConnexionRequest


class ScopeRequest(ConnexionRequest):
    @property
    def query_params(self) -> dict[str, Any]:
        """:attr:`ConnexionRequest.query_params` (same steps, same cache)."""
        if self._query_params is None:
            request = self._starlette_request
            if request.scope.get("query_string"):
                args = request.query_params
                self._query_params = self.uri_parser.resolve_query(
                    {k: args.getlist(k) for k in args})
            else:
                self._query_params = {}
        return self._query_params  # type: ignore[no-any-return]


def auth_header(request: Any) -> tuple[str | None, str | None]:
    """:meth:`AbstractSecurityHandler.get_auth_header_value`, reading the
    first ``Authorization`` header from the scope as Starlette's
    ``Headers.get`` would (ASGI servers lower-case header names)."""
    authorization = next((value.decode("latin-1") for key, value in request.scope["headers"]
                          if key == b"authorization"), None)
    if not authorization:
        return None, None
    try:
        auth_type, value = authorization.split(maxsplit=1)
    except ValueError:
        raise OAuthProblem(detail="Invalid authorization header")
    return auth_type.lower(), value
