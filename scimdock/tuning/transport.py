"""Each response in one socket write, where uvicorn makes two.

uvicorn's httptools protocol writes a response's status line and headers
when the application sends ``http.response.start``, then its body on
``http.response.body``: two ``send`` system calls and, with
``TCP_NODELAY``, two TCP segments for every response. On loopback each
costs the whole trip through the kernel (and a wake-up of the client), so
the second is a measurable share of a request (docs/performance-history.md#one-write-per-response).

:class:`CoalescingProtocol` gives uvicorn's protocol a transport that holds
the first write after an idle moment until the next write (the body, which
follows at once in the same step of the same task) or the end of the
loop's current turn, whichever comes first, and sends both in one call. A
close sends what is held first; an abort drops it, as it drops what the
real transport buffers. Nothing else changes: every other call goes to the
real transport.

Why by hand: uvicorn has no option for it (its ``http`` setting takes a
protocol class, which is how this is installed). tests/unit/test_tuning.py
pins the two uvicorn methods this relies on: the protocol's
``connection_made``, which takes the transport, and the response cycle's
``send``, which makes the two writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scimdock.protocol import ScimErrorProtocol


class CoalescingTransport:
    """A transport whose first write waits for the next, or for the end of
    the loop's turn (see the module docstring)."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self._release)
            return
        self._held = None
        self._transport.writelines((held, data))  # one call, the body not copied

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def _release(self) -> None:
        """The end of the turn: send what is still held."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self._release()
        self._transport.close()

    def write_eof(self) -> None:
        """What is held first, then the end of the stream (a lingering close,
        scimdock.protocol)."""
        self._release()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        # get_extra_info, pause_reading, set_protocol, ...: the real transport's
        return getattr(self._transport, name)


class CoalescingProtocol(ScimErrorProtocol):
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`
    (unparsable requests answered as :class:`ScimErrorProtocol` does)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
