"""A body far over the limit gets its 413 (scimdock/front/limits.py answers it,
scimdock/protocol.py closes lingering, docs/security.md#limits): a client
that sends all of it before reading, as Python's http.client does, reads a
SCIM Error (RFC 7644 §3.12) instead of a reset connection, with a
``Content-Length`` or chunked; and the lingering that makes this possible
(RFC 9112 §9.6) stops at its bounds of bytes and time. The server at its
defaults (a 1 MiB body limit), tuned and untuned."""

from __future__ import annotations

import http.client
import io
import json
import select
import socket
import time
from collections.abc import Iterator

import pytest

from conftest import Server, start_server, stop_server
from scimdock.protocol import LINGER_BYTES, LINGER_IDLE, LINGER_SECONDS

pytestmark = pytest.mark.backend_independent("the lingering close of the HTTP protocol")

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
#: 20 MB: twenty times the default body limit.
BIG = 20 * 1000 * 1000
CHUNK = 1 << 20
#: Room for a loaded machine: the server's loop may run late, never early.
SLACK = 4.0
#: What the kernels may hold between the client's send and the server's read
#: on loopback (the send and receive buffers, autotuned up to a few MB each).
IN_FLIGHT = 16 << 20


@pytest.fixture(scope="module", params=["on", "off"], ids=["tuned", "untuned"])
def big_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str]]:
    server = start_server(tmp_path_factory.mktemp("big"), env={"SCIMDOCK_TUNING": request.param})
    try:
        yield server, server.tenant("big")
    finally:
        stop_server(server)


def _body() -> Iterator[bytes]:
    """A user whose ``displayName`` makes the body :data:`BIG` bytes."""
    head = b'{"schemas":["%s"],"userName":"big@example.com","displayName":"' % CORE.encode()
    tail = b'"}'
    yield head
    left = BIG - len(head) - len(tail)
    while left > 0:
        yield b"x" * min(CHUNK, left)
        left -= CHUNK
    yield tail


def _assert_413(response: http.client.HTTPResponse) -> None:
    body = response.read()
    assert response.status == 413, body
    assert response.getheader("content-type") == "application/scim+json"
    assert response.getheader("connection") == "close"
    error = json.loads(body)
    assert error["schemas"] == [ERROR] and error["status"] == "413", error
    assert str(1024 * 1024) in error["detail"]


def _still_serves(server: Server, token: str) -> None:
    """A new connection is served as usual."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/scim/v1/Users", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert json.loads(response.read())["totalResults"] == 0  # nothing was written
    finally:
        conn.close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_20_mb_body_sent_whole_is_answered_413(
    big_server: tuple[Server, str], framing: str
) -> None:
    """http.client sends the whole body before it reads anything: the
    server, having answered after the headers (``Content-Length``) or after
    the first MiB (chunked), reads and drops the rest, so the answer is
    still there when the client reads it."""
    server, token = big_server
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        if framing == "chunked":
            conn.request("POST", "/scim/v1/Users", _body(), headers, encode_chunked=True)
        else:
            body = b"".join(_body())
            assert len(body) == BIG
            conn.request("POST", "/scim/v1/Users", body, headers)
        _assert_413(conn.getresponse())
    finally:
        conn.close()
    _still_serves(server, token)


def _refused(server: Server, token: str) -> socket.socket:
    """A connection whose POST announces :data:`BIG` bytes, its 413 read
    (and the server's end of the stream after it): what the client sends
    from now on is lingered over."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=LINGER_SECONDS + SLACK)
    sock.sendall(
        f"POST /scim/v1/Users HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: application/scim+json\r\nContent-Length: {BIG}\r\n\r\n".encode()
    )
    answer = b""
    while chunk := sock.recv(65536):  # the answer, then the server's end of stream
        answer += chunk
    response = http.client.HTTPResponse(_Replay(answer))  # type: ignore[arg-type]
    response.begin()
    _assert_413(response)
    return sock


class _Replay:
    """What http.client.HTTPResponse reads an answer from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


def test_lingering_stops_at_its_byte_bound(big_server: tuple[Server, str]) -> None:
    """A client that keeps sending after its 413 is cut off once the
    server has dropped :data:`LINGER_BYTES`, long before the time bound."""
    server, token = big_server
    sent = 0
    chunk = b"x" * CHUNK
    with _refused(server, token) as sock:
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < 3 * LINGER_BYTES:
                sent += sock.send(chunk)
    assert LINGER_BYTES <= sent <= LINGER_BYTES + IN_FLIGHT, sent


def test_lingering_stops_at_its_time_bound(big_server: tuple[Server, str]) -> None:
    """A slow-loris that trickles a byte every half second after its 413
    (within the idle timeout) is cut off at :data:`LINGER_SECONDS`: the
    server's reset answers the first byte after it closes."""
    server, token = big_server
    with _refused(server, token) as sock:
        started = time.monotonic()
        poll = select.poll()
        poll.register(sock, select.POLLERR | select.POLLHUP)  # the reset, not the end of stream
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while time.monotonic() - started < LINGER_SECONDS + SLACK:
                sock.send(b"x")
                if poll.poll(500):
                    sock.send(b"x")  # raises: the connection was reset
        elapsed = time.monotonic() - started
    assert LINGER_SECONDS * 0.9 <= elapsed <= LINGER_SECONDS + SLACK, elapsed
    _still_serves(server, token)


def test_lingering_stops_when_the_client_falls_silent(big_server: tuple[Server, str]) -> None:
    """Silent past :data:`LINGER_IDLE` (and short of :data:`LINGER_SECONDS`),
    the client finds the connection closed: its next byte is reset."""
    server, token = big_server
    with _refused(server, token) as sock:
        silence = (LINGER_IDLE + LINGER_SECONDS) / 2
        time.sleep(silence)  # a slow client fallen silent: the delay is what is tested
        poll = select.poll()
        poll.register(sock, select.POLLERR | select.POLLHUP)
        sock.send(b"x")
        assert poll.poll(SLACK * 1000), "the connection is still open"
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            sock.send(b"x")
