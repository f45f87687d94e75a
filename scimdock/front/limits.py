"""Stage 5 of the front: request limits enforced before routing, on the
bytes, for both APIs; the body read here, once.

* **Body size.** A ``Content-Length`` over the limit is refused before a
  byte of the body is read; a body sent without one (chunked) is read with
  a running count and refused as soon as the count passes the limit. Either
  way the answer is ``413 Payload Too Large`` (RFC 9110 §15.5.14) as a SCIM
  Error (RFC 7644 §3.12), and no more than the limit is ever held in memory.
  The limit is ``max_body`` for every route but the uploads: the
  operations the document marks ``x-scimdock-upload: true`` (the mock's
  seed and snapshot, openapi/admin.yaml) take up to ``max_upload``
  (:func:`upload_routes`), so that a snapshot just read can be put back.
* **Strings and arrays.** A JSON body that may hold a string longer than
  ``max_string`` characters or an array of more than ``max_values``
  elements (it is long enough, or has enough commas) is read with orjson
  and measured (:func:`scimdock.core.body.check_sizes`): a ``400
  invalidValue`` before jsonschema spends seconds on a 100,000-element
  array. A body short enough and with few enough commas cannot break
  either limit, so most bodies are never parsed here.
* **Nesting depth.** A JSON body whose arrays and objects nest deeper than
  :data:`scimdock.core.body.MAX_DEPTH` is a ``400 invalidSyntax`` before
  any parser sees it: Python's own parser (Connexion's, and the tuned one's
  fallback) and jsonschema's error messages recurse once per level and stop
  at the interpreter's recursion limit. One check, on the bytes, whichever
  parser runs next.

The body is read here, once, and kept in the request's context
(handlers.context) for every later stage; Connexion is handed it whole as
one ``http.request`` message. A request without a body (no
``Content-Length``, no ``Transfer-Encoding``: RFC 9112 §6.3) goes on
untouched. Starlette and uvicorn offer no body limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

import orjson

from scimdock.core.body import MAX_DEPTH, TOO_DEEP, check_sizes
from scimdock.core.errors import ScimError
from scimdock.front.respond import send_error
from scimdock.tuning.compat import Message, Receive, Scope, Send

#: A JSON string, escapes included (RFC 8259 §7), as one unrolled loop.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: ``[`` and ``{`` as 1, ``]`` and ``}`` as 2; :data:`_OTHERS` deleted.
_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\x02\x02")
_OTHERS = bytes(b for b in range(256) if b not in b"[{]}")
_STEP = (0, 1, -1)
#: The operation extension (OpenAPI 3.0 §4.7.1, "Specification Extensions")
#: that gives a route the upload limit.
UPLOAD = "x-scimdock-upload"
#: A method, and a pattern of the paths it has the upload limit on.
Route = tuple[str, "re.Pattern[str]"]


def upload_routes(paths: dict[str, Any], base_path: str) -> tuple[Route, ...]:
    """The method and path pattern of each operation of ``paths`` (an
    OpenAPI document's) marked :data:`UPLOAD`; a path parameter is one
    segment, a trailing slash is allowed."""
    routes: list[Route] = []
    for template, item in paths.items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get(UPLOAD) is True:
                pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(base_path + template))
                routes.append((method.upper(), re.compile(pattern + "/?")))
    return tuple(routes)


def too_deep(data: bytes) -> bool:
    """Whether the arrays and objects of the JSON text ``data`` nest deeper
    than :data:`MAX_DEPTH` (``[]`` is 1), brackets inside strings not
    counted. Text that is not JSON is measured too; its parser refuses it
    afterwards."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False  # too few brackets to be too deep: most bodies
    steps = _STRING.sub(b"", data).translate(_BRACKETS, _OTHERS)
    return max(accumulate(map(_STEP.__getitem__, steps)), default=0) > MAX_DEPTH


class TooLarge(Exception):
    """The body passed the limit while it was read."""


class BodyLimits:
    """``max_body``: the largest request body, in bytes, but on ``uploads``
    (:func:`upload_routes`), where it is ``max_upload``; ``max_string`` and
    ``max_values``: :func:`scimdock.core.body.check_sizes`."""

    def __init__(
        self,
        max_body: int,
        max_string: int,
        max_values: int,
        max_upload: int | None = None,
        uploads: Iterable[Route] = (),
    ) -> None:
        self.max_body = max_body
        self.max_string = max_string
        self.max_values = max_values
        self.max_upload = max_body if max_upload is None else max_upload
        self.uploads = tuple(uploads)

    def limit(self, scope: Scope) -> int:
        """The largest body the request's route takes."""
        if self.uploads:
            method, path = scope["method"], scope["path"]
            for allowed, pattern in self.uploads:
                if method == allowed and pattern.fullmatch(path):
                    return self.max_upload
        return self.max_body

    async def read(self, scope: Scope, receive: Receive, send: Send) -> bytes | bool:
        """The request's body; ``True`` when it has none (nothing was read);
        ``False`` when it broke a limit and the answer has been sent."""
        length, chunked, media = b"", False, b"json"
        for name, value in scope["headers"]:  # ASGI header names are lower-case
            if name == b"content-length":
                length = value.strip()
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                media = value
        if not length and not chunked:
            return True  # no body (RFC 9112 §6.3): nothing to measure
        limit = self.limit(scope)
        if length and (not length.isdigit() or int(length) > limit):
            await _refuse(send, _too_large(limit))
            return False
        try:
            body = await _read(receive, limit)
        except TooLarge:
            await _refuse(send, _too_large(limit))
            return False
        if body and media.lower().find(b"json") >= 0:  # (core.body: not ``in``)
            try:
                self._check(body)
            except ScimError as error:
                await _refuse(send, error)
                return False
        return body

    def _check(self, body: bytes) -> None:
        if too_deep(body):
            raise ScimError(400, TOO_DEEP, "invalidSyntax")
        if len(body) > self.max_string or body.count(b",") >= self.max_values:
            try:
                value = orjson.loads(body)
            except orjson.JSONDecodeError:
                return  # the parser after this one answers
            check_sizes(value, self.max_string, self.max_values)


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # http.disconnect: nobody to answer
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_large(limit: int) -> ScimError:
    return ScimError(413, f"Request body is larger than {limit} bytes")


async def read_all(receive: Receive) -> bytes:
    """The whole body, whatever its size (the mock's profile layer, in
    front of the limits)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that hands on ``body`` whole first, then what the
    client's own ``receive`` says (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _refuse(send: Send, error: ScimError) -> None:
    """The SCIM Error, then, for a 413, the connection closed (RFC 9110
    §15.5.14): the rest of an unread body is not worth reading.
    scimdock.protocol closes it lingering (RFC 9112 §9.6), so that a client
    still sending the body reads the answer."""
    extra = [(b"connection", b"close")] if error.status == 413 else None
    await send_error(send, error, extra)
