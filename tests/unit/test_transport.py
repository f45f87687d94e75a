"""scimdock.tuning.transport: a response's writes leave in one call, in
order, and nothing held is lost on a close or sent after an abort."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from conftest import loop_turns
from scimdock.tuning.transport import CoalescingTransport


class Recording(asyncio.Transport):
    """A transport that records what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[object] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.calls.append(bytes(data))

    def close(self) -> None:
        self.calls.append("close")
        self.closing = True

    def abort(self) -> None:
        self.calls.append("abort")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 8000) if name == "sockname" else default


async def _next_turn() -> None:
    """Let the loop finish its current turn (and the callbacks it queued)."""
    await loop_turns(2)  # the current turn, then what it queued


Script = Callable[[CoalescingTransport, Recording], Awaitable[None]]


def _through(script: Script) -> list[object]:
    """What reaches the real transport when ``script`` drives a coalescing
    one on a running loop, once the loop's turns after it are done."""

    async def main() -> list[object]:
        real = Recording()
        await script(CoalescingTransport(real, asyncio.get_running_loop()), real)
        await _next_turn()
        return real.calls

    return asyncio.run(main())


def test_headers_and_body_written_in_one_step_leave_in_one_call() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert real.calls == []  # held for the body
        t.write(b'{"a":1}')
        assert real.calls == [b'HTTP/1.1 200 OK\r\n\r\n{"a":1}']  # at once, not at the turn's end

    assert _through(script) == [b'HTTP/1.1 200 OK\r\n\r\n{"a":1}']


def test_a_lone_write_leaves_at_the_end_of_the_turn() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        t.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # nothing follows until the client sends

    assert _through(script) == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_a_stream_keeps_its_order() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        for chunk in (b"a", b"b", b"c"):
            t.write(chunk)
        await _next_turn()
        t.write(b"d")
        t.writelines([b"e", b"f"])

    assert _through(script) == [b"ab", b"c", b"def"]


def test_close_sends_what_is_held_first() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        t.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        t.close()

    assert _through(script) == [b"HTTP/1.1 400 Bad Request\r\n\r\n", "close"]


def test_abort_drops_what_is_held() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.abort()

    assert _through(script) == ["abort"]


def test_nothing_is_written_to_a_transport_closed_meanwhile() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        real.closing = True  # the peer went away

    assert _through(script) == []


def test_other_calls_reach_the_real_transport() -> None:
    async def script(t: CoalescingTransport, real: Recording) -> None:
        assert t.get_extra_info("sockname") == ("127.0.0.1", 8000)
        assert t.is_closing() is False
        real.closing = True
        assert t.is_closing() is True

    assert _through(script) == []
