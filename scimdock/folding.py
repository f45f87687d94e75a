"""SCIM request bodies with the schema's names, before they are validated.

Attribute names are case-insensitive (RFC 7643 §2.1) but the contract,
openapi/scim.yaml, describes their canonical spelling; so each SCIM write
body is folded to it (:mod:`scimdock.core.names`) after routing and
authentication and before Connexion validates it, tuned or not
(``SCIMDOCK_TUNING=off``): this middleware sits just before the request
validation middleware of either stack (scimdock/app.py). A body folding
leaves unchanged goes on as the very bytes the client sent.

It also gives a body sent without ``Content-Type`` a type: the lenient
server reads it as ``application/scim+json``; ``--strict`` answers 415,
since RFC 9110 §8.3 lets a recipient take such content as
``application/octet-stream``, which no SCIM operation consumes.

The body is parsed with orjson to see whether anything needs folding;
only then is it parsed again with the standard library (exact for
integers beyond 64 bits) and written back. A body orjson refuses (not
JSON, NaN, a lone surrogate) goes on untouched: the validator and
:func:`scimdock.core.body.check` answer it as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from connexion.middleware.request_validation import RequestValidationMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimdock.core import body as request_body
from scimdock.core import bulk, leniency, names
from scimdock.core.schema import GROUP, USER
from scimdock.handlers.runtime import current

Fold = Callable[[Any, bool], Any]

#: Each SCIM operation whose body is folded, by operationId.
FOLDS: dict[str, Fold] = {
    "createUser": lambda b, lenient: names.fold_resource(b, USER, lenient=lenient),
    "replaceUser": lambda b, lenient: names.fold_resource(b, USER, lenient=lenient),
    "createGroup": lambda b, lenient: names.fold_resource(b, GROUP, lenient=lenient),
    "replaceGroup": lambda b, lenient: names.fold_resource(b, GROUP, lenient=lenient),
    "patchUser": lambda b, lenient: names.fold_patch(b, USER, lenient=lenient),
    "patchGroup": lambda b, lenient: names.fold_patch(b, GROUP, lenient=lenient),
    "searchUsers": lambda b, lenient: names.fold_search(b),
    "searchGroups": lambda b, lenient: names.fold_search(b),
    "searchAll": lambda b, lenient: names.fold_search(b),
    "bulk": lambda b, lenient: bulk.fold_request(b, lenient=lenient),
}
#: Operations of the SCIM API whose body is read here (``/Me`` answers 501
#: to every request: left as it is).
BODIES = frozenset(FOLDS)
SCIM_JSON = b"application/scim+json"


def before_validation(stack: list[Any]) -> list[Any]:
    """Connexion's middleware ``stack`` (tuned or not) with
    :class:`FoldNames` just before its request validation middleware.
    (``MiddlewarePosition.BEFORE_VALIDATION`` matches Connexion's own class
    only, not the tuned subclass.)"""
    at = next(i for i, m in enumerate(stack) if issubclass(m, RequestValidationMiddleware))
    return [*stack[:at], FoldNames, *stack[at:]]


def operation_id(scope: Scope) -> str | None:
    """The operationId Connexion's router chose for this request."""
    routing = (scope.get("extensions") or {}).get("connexion_routing") or {}
    found = routing.get("operation_id")
    return str(found) if found is not None else None


class FoldNames:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        op = operation_id(scope) if scope["type"] == "http" else None
        if op not in BODIES:
            await self.app(scope, receive, send)
            return
        lenient = current().settings.lenient
        body = await _read(receive)
        headers = list(scope.get("headers") or ())
        kind = next((v for k, v in headers if k == b"content-type"), None)
        if kind is None and body:
            leniency.untyped_body(lenient=lenient)
            headers.append((b"content-type", SCIM_JSON))
            kind = SCIM_JSON
        fold = FOLDS.get(op or "")
        if fold is not None and body and kind is not None and b"json" in kind.lower():
            folded = _folded(body, fold, lenient)
            if folded is not None:
                body = folded
                headers = [(k, v) for k, v in headers if k != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, _replay(body, receive), send)


def _folded(body: bytes, fold: Fold, lenient: bool) -> bytes | None:
    """The body with canonical names, or ``None`` when it is unchanged or
    not JSON that orjson reads."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    with leniency.noting():  # only the second fold's notes count (once)
        if fold(value, lenient) is value:  # unchanged: nothing to note either
            return None
    try:
        exact = json.loads(body)
    except ValueError:
        return None
    request_body.check(exact)  # what folding leaves out must be keepable too
    return json.dumps(fold(exact, lenient), ensure_ascii=False).encode("utf-8")


async def _read(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
