"""Stage 1 of the front: the request id and the access line.

* ``X-Request-ID``: a client's (or proxy's) id is kept when it is 1 to
  :data:`MAX_ID` printable ASCII characters without spaces, else replaced;
  absent, one is made (a random UUID in hex, :func:`new_id`). It is echoed
  on every response, so a client can quote it and an operator find the
  request's line.
* One JSON line per request on the ``scimdock.access`` logger (info): the
  time (UTC), the request id, the tenant and credential id (the SCIM key
  id, the admin token id, or ``env`` for the operator token: an id, never
  a secret), the operationId, method, path WITHOUT the query string (a
  filter carries personal data, and a misguided client may put a token in
  ``?access_token=``), status, duration in milliseconds and body bytes
  sent. No header, query string or body is ever logged (docs/security.md).

The tenant and credential are read, after the response, from the
request's context (handlers.context), which authentication filled in; the
operationId from Connexion's routing entry in the ASGI ``extensions``
(shared by the shallow copies of the scope Connexion routes on).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from scimdock.handlers.context import RequestContext
from scimdock.tuning.compat import ROUTING_CONTEXT

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


def operation_id(scope: Any) -> str | None:
    """The operationId Connexion's router chose for this request, if any."""
    routing = (scope.get("extensions") or {}).get(ROUTING_CONTEXT) or {}
    found = routing.get("operation_id")
    return None if found is None else str(found)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing each record's message alone, one per line
    (``serve`` puts one on :data:`ACCESS`, scimdock.worker); an access line
    that reaches it alone is written without a ``LogRecord``."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()

    def line(self, text: str) -> None:
        """What :meth:`emit` writes for a record whose message is ``text``."""
        with self.lock:  # type: ignore[union-attr]  # made by createLock
            try:
                stream = self.stream
                stream.write(text + self.terminator)
                stream.flush()  # what flush() does, under the lock already held
            except Exception:  # as emit: reported, never raised into a request
                self.handleError(_record(text))


def _record(text: str) -> logging.LogRecord:
    return ACCESS.makeRecord(ACCESS.name, logging.INFO, "(unknown file)", 0, text, (), None)


def log_access(text: str) -> None:
    """``ACCESS.info(text)`` without looking up the caller's file and line
    (:meth:`logging.Logger.findCaller` walks the stack on every call; an
    access line's place in this module says nothing); when the only
    handler is a :class:`LineHandler` and nothing filters, written by it
    directly (a ``LogRecord`` costs more than the line)."""
    handlers = ACCESS.handlers
    if len(handlers) == 1 and type(handlers[0]) is LineHandler and not ACCESS.filters:
        handler = handlers[0]
        if not handler.filters and handler.level <= logging.INFO:
            handler.line(text)
            return
    ACCESS.handle(_record(text))


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
    return known[1] + _MILLISECONDS[int((moment - second) * 1000)]


#: The second :func:`utc_now_ms` last formatted, and its text.
_second: tuple[int, str] = (-1, "")
#: What follows the second: ``.000+00:00`` to ``.999+00:00``, made once.
_MILLISECONDS = tuple(f".{ms:03d}+00:00" for ms in range(1000))


def line(ctx: RequestContext, method: str, path: str, operation: str | None) -> str:
    """One access line (JSON): ids and numbers only, never a value the
    client sent beyond the method, the path and its own request id."""
    caller = ctx.caller
    return orjson.dumps(
        {
            "time": utc_now_ms(),
            "requestId": ctx.request_id,
            "tenant": ctx.tenant if caller is None else caller.tenant_id,
            "keyId": ctx.key_id if caller is None else caller.id,
            "operationId": operation,
            "method": method,
            "path": path,
            "status": ctx.status or 500,
            "durationMs": round((time.perf_counter() - ctx.started) * 1000, 2),
            "bytes": ctx.sent,
        }
    ).decode()
