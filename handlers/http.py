"""Small HTTP helpers shared by the handlers: SCIM responses, the caller's
tenant and identity, the base URL.

The request is read from its context (handlers.context), which the handler
receives as ``ctx``: its ASGI scope, and who authenticated.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import URL
from starlette.responses import Response

from scimdock.core import tenants
from scimdock.handlers.context import RequestContext
from scimdock.store.base import Actor

SCIM_JSON = "application/scim+json"
BASE_PATH = "/scim/v1"


class ScimResponse(Response):
    """A response with an ``application/scim+json`` body (RFC 7644 §3.1)
    and the headers Starlette's :class:`Response` gives it, in its order
    (the given ones, lower-cased, then ``content-length`` and
    ``content-type`` unless given), made in one step: every SCIM answer
    is one."""

    media_type = SCIM_JSON

    def __init__(self, body: bytes, status: int, headers: dict[str, str] | None) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        raw: list[tuple[bytes, bytes]] = []
        if headers is not None:
            raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
            for k, _ in raw:  # (a loop, not any() over a generator: no extra frame)
                if k in _SET_BY_STARLETTE:
                    self.init_headers(headers)  # Starlette's own rules for those
                    return
        if status >= 200 and status not in (204, 304):
            raw.append((b"content-length", b"%d" % len(body)))
        raw.append((b"content-type", _SCIM_JSON))
        self.raw_headers = raw


_SCIM_JSON = SCIM_JSON.encode("latin-1")
_SET_BY_STARLETTE = (b"content-length", b"content-type")


def scim(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response with an ``application/scim+json`` body (RFC 7644 §3.1)."""
    return ScimResponse(orjson.dumps(body), status, headers)


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status, headers)


def actor(ctx: RequestContext) -> Actor:
    """Who is asking, for the audit log: the SCIM key of this request
    (handlers.security) and the client's address. Never the secret."""
    client = ctx.scope.get("client")
    return Actor("scim-key", str(ctx.key_id), None if client is None else str(client[0]))


def base_url(ctx: RequestContext, tenant: str | None = None) -> str:
    """``https://host/scim/v1`` as the client addressed us, for ``meta.location``.

    ``SCIMDOCK_PUBLIC_URL`` instead when set, its ``{tenant}`` the name of
    ``tenant``, else of the authenticated key's tenant, else of the tenant
    the host names (discovery needs no key); with ``{tenant}`` and no tenant
    known, the URL the client addressed (core.tenants.public_url).
    Worked out once per request and kept in the request's context: a list
    renders it for every resource and every member.
    """
    cached = ctx.base_url
    if cached is None:
        settings = ctx.settings
        if settings.public_url:
            cached = tenants.public_url(settings.public_url, tenant or _tenant_name(ctx))
        if cached is None:
            scope = ctx.scope
            host = header(ctx, "host") or URL(scope=scope).netloc
            cached = f"{scope.get('scheme', 'http')}://{host}{BASE_PATH}"
        ctx.base_url = cached
    return cached


def _tenant_name(ctx: RequestContext) -> str | None:
    """The authenticated SCIM key's tenant (handlers.security), else the
    tenant the Host header names, if any."""
    if ctx.tenant is not None:
        return ctx.tenant
    return tenants.tenant_from_host(header(ctx, "host"), ctx.settings.domain)


def header(ctx: RequestContext, name: str) -> str | None:
    """The first value of a request header of this request."""
    return scope_header(ctx.scope, name)


def scope_header(scope: Any, name: str) -> str | None:
    """The first value of a header in an ASGI scope (names are
    case-insensitive; ASGI servers give them lower-cased), as Starlette's
    ``Headers.get``."""
    wanted = _NAMES.get(name)
    if wanted is None:
        wanted = name.lower().encode("latin-1")
        if len(_NAMES) < 64:  # the names the code asks for: a few
            _NAMES[name] = wanted
    for key, value in scope["headers"]:
        if key == wanted:
            return str(value.decode("latin-1"))
    return None


#: Header names as :func:`scope_header` was asked for them → as ASGI spells them.
_NAMES: dict[str, bytes] = {}


def joined(names: Any) -> str | None:
    """SearchRequest carries attribute lists as JSON arrays (RFC 7644 §3.4.3)."""
    if names is None:
        return None
    return ",".join(names) if isinstance(names, list) else str(names)


def search_params(body: dict[str, Any]) -> dict[str, Any]:
    """A SearchRequest body (RFC 7644 §3.4.3) as the keyword arguments of
    the matching list operation (its query parameters, §3.4.2)."""
    return {
        "filter": body.get("filter"),
        "startIndex": body.get("startIndex"),
        "count": body.get("count"),
        "cursor": body.get("cursor"),  # RFC 9865 §3
        "sortBy": body.get("sortBy"),
        "sortOrder": body.get("sortOrder"),
        "attributes": joined(body.get("attributes")),
        "excludedAttributes": joined(body.get("excludedAttributes")),
    }
