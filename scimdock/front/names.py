"""Stage 7 of the front, inside Connexion: SCIM request bodies parsed once,
with the schema's names, before they are validated.

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

The body is the one the front read (scimdock.front.limits), parsed here
once, as the standard library parses it (through orjson where that gives
the same value: scimdock.tuning.validators.loads), and folded once. The
value goes into the request's context (handlers.context), from which the
tuned validator and the handler take it instead of parsing the bytes
again; when folding changed it, it is also written back as the bytes
Connexion's own validator reads (``SCIMDOCK_TUNING=off``). A body that is
not UTF-8 JSON goes on untouched: the validator and
:func:`scimdock.core.body.check` answer it as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from scimdock.core import body as request_body
from scimdock.core import bulk, leniency, names
from scimdock.core.schema import GROUP, USER
from scimdock.front.access import operation_id
from scimdock.front.limits import replay
from scimdock.handlers.context import request_context
from scimdock.tuning.compat import ASGIApp, Receive, Scope, Send
from scimdock.tuning.validators import loads

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


class FoldNames:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def applies(operation: str) -> bool:
        """Whether a request of ``operation`` may be changed here: those
        of :data:`BODIES` (the direct route leaves this stage out of the
        others' chains: scimdock.tuning.direct)."""
        return operation in BODIES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        op = operation_id(scope) if scope["type"] == "http" else None
        if op not in BODIES:
            await self.app(scope, receive, send)
            return
        ctx = request_context()
        lenient = ctx.settings.lenient
        body = ctx.raw or b""
        headers = scope.get("headers") or []
        kind = next((v for k, v in headers if k == b"content-type"), None)
        if kind is None and body:
            leniency.untyped_body(lenient=lenient)
            headers = [*headers, (b"content-type", SCIM_JSON)]
            scope = {**scope, "headers": headers}
            kind = SCIM_JSON
        fold = FOLDS.get(op or "")
        # (``find``, not ``in``: see core.body)
        if fold is not None and body and kind is not None and kind.lower().find(b"json") >= 0:
            folded = _folded(body, fold, lenient)
            if folded is not None:
                value, changed = folded
                ctx.body, ctx.parsed = value, True
                if changed:
                    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
                    headers = [(k, v) for k, v in headers if k != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    scope = {**scope, "headers": headers}
                    receive = replay(body, receive)
        await self.app(scope, receive, send)


def _folded(body: bytes, fold: Fold, lenient: bool) -> tuple[Any, bool] | None:
    """The body parsed, with canonical names, and whether folding changed
    it; ``None`` when it is not UTF-8 JSON."""
    try:
        value = loads(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError, JSONDecodeError
        return None
    folded = fold(value, lenient)
    if folded is value:
        return value, False
    request_body.check(value)  # what folding leaves out must be keepable too
    return folded, True
