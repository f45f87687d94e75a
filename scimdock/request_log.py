"""Request ids and the access log: the outermost ASGI middleware, so that
every response has both, Connexion's own errors and 404s included.

* ``X-Request-ID``: a client's (or proxy's) id is kept when it is 1 to
  :data:`MAX_ID` printable ASCII characters without spaces, else replaced;
  absent, one is made (a random UUID in hex, :func:`new_id`). It is echoed on every response,
  so a client can quote it and an operator find the request's line.
* One JSON line per request on the ``scimdock.access`` logger (info): the
  time (UTC), the request id, the tenant and credential id (the SCIM key
  id, the admin token id, or ``env`` for the operator token: an id, never
  a secret), the operationId, method, path WITHOUT the query string (a
  filter carries personal data, and a misguided client may put a token in
  ``?access_token=``), status, duration in milliseconds and body bytes
  sent. No header, query string or body is ever logged (docs/security.md).

The tenant, credential and operation are read, after the response, from
the ASGI ``extensions`` dict this middleware puts in the scope: Connexion
routes and authenticates on shallow copies of the scope that share it
(``connexion_routing``, ``connexion_context``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The logger of the access lines (``scimdock serve`` writes it to stdout).
ACCESS = logging.getLogger("scimdock.access")
HEADER = b"x-request-id"
#: Told each request's operationId, path, status and seconds (scimdock.metrics).
Observer = Callable[[str | None, str, int, float], None]
#: The longest request id kept as sent.
MAX_ID = 128
#: The bits of a random UUID (RFC 9562 §5.4) that say "version 4" and
#: "variant 10": cleared, then set, in 128 random bits.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)
#: Seeded from the operating system once per process (random.Random());
#: an id only has to be unique, not unguessable.
_RANDOM = random.Random()


def new_id() -> bytes:
    """A fresh id: a version-4 UUID in hex, as ``uuid.uuid4().hex``, drawn
    without a system call or a ``UUID`` object (one per request)."""
    return b"%032x" % (_RANDOM.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET)


def request_id(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The request's id: the client's if sane, else a new one."""
    for name, value in headers:
        if name == HEADER:  # ASGI header names are lower-case
            if 0 < len(value) <= MAX_ID and all(0x21 <= b <= 0x7E for b in value):
                return value
            break
    return new_id()


class RequestLog:
    """``log``: write access lines (off below info, when nobody reads them);
    ``observe``: told of each request (metrics), if given; ``others``:
    where scopes other than ``http`` (``lifespan``, ``websocket``) go, ``app``
    unless given (one layer less on every request than a wrapper of its own
    around this one)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: bool = True,
        observe: Observer | None = None,
        others: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.log = log
        self.observe = observe
        self.others = app if others is None else others

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.others(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope["headers"])
        extensions = scope.setdefault("extensions", {})
        if extensions is None:
            extensions = scope["extensions"] = {}
        extensions["request_id"] = rid.decode("ascii")  # for scimdock.journal
        sent = [0, 0]  # status, body bytes

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent[0] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER]
                headers.append((b"X-Request-ID", rid))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sent[1] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log and ACCESS.isEnabledFor(logging.INFO):
                log_access(line(scope, extensions, rid, sent[0] or 500, sent[1], started))
            if self.observe is not None:
                routing = extensions.get("connexion_routing") or {}
                self.observe(
                    routing.get("operation_id"),
                    scope["path"],
                    sent[0] or 500,
                    time.perf_counter() - started,
                )


def log_access(text: str) -> None:
    """``ACCESS.info(text)`` without looking up the caller's file and line
    (:meth:`logging.Logger.findCaller` walks the stack on every call; an
    access line's place in this module says nothing)."""
    ACCESS.handle(ACCESS.makeRecord(ACCESS.name, logging.INFO, "(unknown file)", 0, text, (), None))


def utc_now_ms() -> str:
    """Now as ``datetime.now(UTC).isoformat(timespec="milliseconds")``
    writes it, the text up to the second made once per second."""
    global _second
    moment = time.time()
    second = int(moment)
    known = _second
    if known[0] != second:
        text = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")
        known = _second = (second, text[:19])
    return f"{known[1]}.{int((moment - second) * 1000):03d}+00:00"


#: The second :func:`utc_now_ms` last formatted, and its text.
_second: tuple[int, str] = (-1, "")


def line(
    scope: Scope, extensions: dict[str, Any], rid: bytes, status: int, size: int, started: float
) -> str:
    """One access line (JSON): ids and numbers only, never a value the
    client sent beyond the method, the path and its own request id."""
    context = extensions.get("connexion_context") or {}
    token = context.get("token_info") or {}
    routing = extensions.get("connexion_routing") or {}
    tenant = token.get("tenant", token.get("tenant_id"))
    return orjson.dumps(
        {
            "time": utc_now_ms(),
            "requestId": rid.decode("ascii"),
            "tenant": tenant,
            "keyId": token.get("sub"),
            "operationId": routing.get("operation_id"),
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "durationMs": round((time.perf_counter() - started) * 1000, 2),
            "bytes": size,
        }
    ).decode()
