"""uvicorn's httptools protocol with SCIM Errors for what it cannot parse,
and time limits for requests that arrive too slowly.

Unparsable requests: httptools (llhttp) refuses a request line or header it
cannot parse (a URL of about 100,000 characters and more, bytes HTTP does
not allow) before any application code runs; uvicorn then writes ``Invalid
HTTP request received.`` as ``text/plain`` and closes the connection. This
protocol writes the same status, and the same close, with a SCIM Error
body (RFC 7644 §3.12).

Large request lines and headers: httptools sets no limit of its own below
about 100,000 characters, so a request line over ``SCIMDOCK_MAX_HEADER``
bytes is answered ``414 URI Too Long`` and headers that take the request
past it ``431 Request Header Fields Too Large`` (RFC 9110 §15.5.15, RFC
6585 §5), each with a SCIM Error, before anything is routed.

Slow requests: uvicorn closes a connection idle *between* requests
(``timeout_keep_alive``) but waits for ever for a request whose headers or
body trickle in, so a few hundred such connections (the "Slowloris"
attack) hold the server's sockets and memory. Here a request's line and
headers must be complete within the header timeout of its first byte (of
the connection's opening, for its first request), and its whole body
within the body timeout of the end of its headers: a fixed deadline, not
"no progress for N seconds", which a client sending one byte every N-1
seconds would keep open for ever. Past the deadline the server answers
``408 Request Timeout`` (RFC 9110 §15.5.9) with a SCIM Error and closes,
if nothing of that request's response has been written (else it only
closes); a connection that has sent nothing of a request is closed
without an answer, as the keep-alive timeout closes one (RFC 9112 §9.5).

Early answers: an answer written before the request's body is all read
(a ``413`` from scimdock.front.limits for a ``Content-Length`` over the body
limit, or a chunked body that crosses it; any of the answers above) ends
the connection with a lingering close (RFC 9112 §9.6), as nginx's
``lingering_close``: the end of the stream after the answer, then what the
client still sends read and dropped, within :data:`LINGER_BYTES`,
:data:`LINGER_SECONDS` and :data:`LINGER_IDLE`, before the close. Closed at
once, the unread bytes would make the server's TCP stack send a reset,
and a client that sends the whole body before reading (Python's
http.client) would get a broken pipe instead of the answer. uvicorn's
response cycle closes through :class:`CycleTransport`, whose close is
this protocol's.

The fast path arms no timer: the deadline is armed only when a
``data_received`` ends with a request's headers or body incomplete (and
once at a connection's opening, for a client that sends nothing).
"""

from __future__ import annotations

import asyncio
import functools
from asyncio import TimerHandle
from collections.abc import Callable

import httptools
import orjson

from scimdock import config
from scimdock.core.errors import ScimError
from scimdock.tuning.compat import STATUS_LINE, HttpToolsProtocol

UNPARSABLE = "Request line or headers cannot be parsed (too long, or not HTTP/1.1)"
TOO_SLOW = {
    1: "Request line and headers not received within {:g} seconds",
    2: "Request body not received within {:g} seconds",
}
# The bounds of a lingering close (RFC 9112 §9.6), as nginx's
# ``lingering_time`` (30 s), ``lingering_timeout`` (5 s) and, a bound nginx
# does not have, bytes (https://nginx.org/en/docs/http/ngx_http_core_module.html#lingering_close).
# Lingering only lets a client that sends a whole request before it reads
# the answer (Python's http.client, most libraries) read it: 32 MiB is 32
# times the default body limit (a request body that large is a mistake, not
# a SCIM request), and arrives in well under a second on a LAN; 5 s in all,
# and 2 s without a byte, keep a lingering connection from being a cheap way
# to hold a socket (a client sending a byte a second is dropped at 5 s). A
# client over a link too slow for the bounds gets the reset it got without
# them, after the answer has had its chance.
#: Bytes dropped after an answer before the connection is closed.
LINGER_BYTES = 32 << 20
#: Seconds from the answer to the close, however steadily the client sends.
LINGER_SECONDS = 5.0
#: Seconds without a byte from the client after which the close comes sooner.
LINGER_IDLE = 2.0
#: Where the connection is in its current request.
IDLE, HEADERS, BODY = 0, 1, 2


@functools.cache
def timeouts() -> tuple[float, float]:
    """``(header, body)`` seconds, read once per process: a worker
    (``serve --workers``) inherits the variables ``serve`` has checked."""
    return config.header_timeout(), config.body_timeout()


@functools.cache
def max_header() -> int:
    """Bytes of a request line and headers, read once per process."""
    return config.max_header()


class ScimErrorProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol: SCIM Errors for unparsable requests,
    408 for slow ones (see the module docstring)."""

    _deadline: TimerHandle | None = None
    _phase = IDLE
    #: Bytes of the current request's line and headers so far.
    _head_bytes = 0
    #: ``(status, detail)`` when the head is over :func:`max_header`.
    _too_large: tuple[int, str] | None = None
    #: After an early answer: the timer of the lingering close (:meth:`_linger`).
    _lingering: TimerHandle | None = None
    #: While lingering: bytes still to drop, when the last arrived, the end.
    _linger_left = 0
    _linger_read = 0.0
    _linger_end = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timeout, self._body_timeout = timeouts()
        self._max_header = max_header()
        self._cycle_transport = CycleTransport(self.transport, self._close_after_response)
        # Until the first request's headers are complete (a client may open
        # a connection and send nothing).
        self._deadline = self.loop.call_later(self._header_timeout, self._too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._lingering is not None:
            self._lingering.cancel()
        super().connection_lost(exc)

    # Each parser callback below runs for every request: they call the base
    # class directly (no ``super()`` object) and disarm inline.
    def data_received(self, data: bytes) -> None:
        if self._lingering is not None:
            # The answer is sent: what the client still sends is dropped.
            self._linger_left -= len(data)
            if self._linger_left <= 0:
                self.transport.close()
            else:
                self._linger_read = self.loop.time()
            return
        HttpToolsProtocol.data_received(self, data)
        if self._phase and self._deadline is None and not self.transport.is_closing():
            seconds = self._header_timeout if self._phase == HEADERS else self._body_timeout
            self._deadline = self.loop.call_later(seconds, self._too_slow)

    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        self._phase = HEADERS
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > self._max_header:
            self._head_too_large(414, "The request line is longer than {} bytes")
        HttpToolsProtocol.on_url(self, url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > self._max_header:
            self._head_too_large(431, "The headers take the request past {} bytes")
        HttpToolsProtocol.on_header(self, name, value)

    def _head_too_large(self, status: int, detail: str) -> None:
        """Past the limit, stop the parser (uvicorn answers its errors
        through :meth:`send_400_response`, which sends this refusal)."""
        self._too_large = (status, detail.format(self._max_header))
        raise httptools.HttpParserCallbackError("request head too large")

    def on_headers_complete(self) -> None:
        self._phase = BODY
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        HttpToolsProtocol.on_headers_complete(self)
        if self.cycle is not None:  # its task has not run yet
            self.cycle.transport = self._cycle_transport  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        self._phase = IDLE
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        HttpToolsProtocol.on_message_complete(self)

    def on_response_complete(self) -> None:
        if self._lingering is not None:
            # What uvicorn does first; then no pipelined request is started
            # and no keep-alive timer armed: the connection is closing.
            self.server_state.total_requests += 1
            return
        HttpToolsProtocol.on_response_complete(self)

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the connection is another protocol's now
        self._phase = IDLE
        super().handle_websocket_upgrade()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        """The deadline has passed: 408 and close, or close."""
        self._deadline = None
        if self.transport.is_closing():
            return
        phase = self._phase
        if phase == BODY and self.flow.read_paused:
            # The server stopped reading (the application has not taken the
            # body so far, or a pipelined request waits): not the client's
            # slowness. Look again later.
            self._deadline = self.loop.call_later(self._body_timeout, self._too_slow)
            return
        cycle = self.cycle
        if phase == HEADERS:
            # The previous response must be whole before another is written.
            answer = cycle is None or cycle.response_complete
        else:
            answer = phase == BODY and not cycle.response_started and not self.pipeline
        if answer:
            seconds = self._header_timeout if phase == HEADERS else self._body_timeout
            self.logger.info(
                "Request too slow (%s): 408", "headers" if phase == HEADERS else "body"
            )
            self._send_error(408, TOO_SLOW[phase].format(seconds))
            if phase == BODY:
                cycle.disconnected = True  # the application's answer, if any, is not written
        else:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if self._too_large is not None:
            self._send_error(*self._too_large)
            return
        self._send_error(400, UNPARSABLE)

    def _send_error(self, status: int, detail: str) -> None:
        """A SCIM Error (RFC 7644 §3.12) and ``Connection: close``, then a
        lingering close (:meth:`_linger`)."""
        content = orjson.dumps(ScimError(status, detail).to_dict())
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: application/scim+json\r\n",
                b"content-length: " + str(len(content)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                content,
            ]
        )
        self.transport.write(b"".join(head))
        self._linger()

    def _close_after_response(self) -> None:
        """What a response cycle's ``transport.close()`` does: its answer
        said ``Connection: close`` (a 413 before the body is read,
        scimdock.front.limits) or the application failed. A lingering close if
        the client may still be sending the request, else a close."""
        if self._lingering is not None:
            return  # already closing, within the lingering's bounds
        if self._phase:
            self._linger()
        else:
            self.transport.close()

    def _linger(self) -> None:
        """A lingering close (RFC 9112 §9.6), as nginx's ``lingering_close``:
        the answer written, end the stream (a half-close), then read and
        drop what the client still sends until it closes its end, or
        :data:`LINGER_BYTES` have arrived, or :data:`LINGER_IDLE` passes
        without a byte, or :data:`LINGER_SECONDS` have passed; then close.
        Closed at once, the connection's unread bytes would make the
        server's TCP stack answer with a reset, which may destroy the answer
        before the client reads it."""
        self._disarm()
        self._phase = IDLE  # no deadline is armed again: no request is read
        transport = self.transport
        if transport.can_write_eof():  # not over TLS: there the close ends it
            transport.write_eof()
        now = self.loop.time()
        self._linger_left = LINGER_BYTES
        self._linger_read = now
        self._linger_end = now + LINGER_SECONDS
        self._lingering = self.loop.call_later(LINGER_IDLE, self._linger_check)
        self.flow.resume_reading()  # the request's body may have paused it

    def _linger_check(self) -> None:
        """The lingering's timer: close at its bound, or look again then."""
        bound = min(self._linger_read + LINGER_IDLE, self._linger_end)
        if self.loop.time() >= bound:
            self.transport.close()
        else:
            self._lingering = self.loop.call_at(bound, self._linger_check)


class CycleTransport:
    """The transport a request's response cycle writes through: the
    connection's own methods, except that its close is the protocol's
    (:meth:`ScimErrorProtocol._close_after_response`). uvicorn's cycle
    calls these three only (scimdock.tuning.compat pins it)."""

    __slots__ = ("write", "is_closing", "close")

    def __init__(self, transport: asyncio.Transport, close: Callable[[], None]) -> None:
        self.write = transport.write  # bound once: no extra call per write
        self.is_closing = transport.is_closing
        self.close = close
