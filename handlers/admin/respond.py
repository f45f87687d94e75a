"""Responses of the admin API: ``application/json`` bodies (errors stay
SCIM Errors in ``application/scim+json``, see handlers/errors.py)."""

from __future__ import annotations

from typing import Any

import orjson
from connexion import request
from starlette.responses import Response

JSON = "application/json"
BASE_PATH = "/admin/v1"


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type=JSON)


def created(body: Any, path: str) -> Response:
    """201 with ``Location``: ``path`` under this API, as the client addressed us."""
    host = request.headers.get("host") or request.url.netloc
    return ok(body, 201, {"Location": f"{request.url.scheme}://{host}{BASE_PATH}{path}"})


def no_content() -> Response:
    return Response(b"", 204)


def listing(resources: list[Any]) -> dict[str, Any]:
    return {"totalResults": len(resources), "Resources": resources}


def body_of(body: Any) -> dict[str, Any]:
    """The request body as a dict. Connexion validates a body sent without
    ``Content-Type`` as the operation's JSON (its first media type) but
    hands the handler the raw bytes; an optional body left out arrives as
    the schema's default. Validation has passed, so the bytes are JSON."""
    if isinstance(body, (bytes, str)):
        body = orjson.loads(body) if body.strip() else {}
    return dict(body or {})
