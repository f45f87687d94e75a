"""Slow clients are cut off (scimdock/protocol.py, docs/security.md#limits):
a request whose headers or body trickle in is answered ``408 Request
Timeout`` with a SCIM Error (RFC 9110 §15.5.9, RFC 7644 §3.12) and closed at
its deadline, however steadily it trickles; a connection idle between
requests is closed after the keep-alive timeout; a client that keeps up is
not disturbed. Raw sockets against the real server, tuned and untuned."""

from __future__ import annotations

import json
import selectors
import socket
import time
from collections.abc import Iterator

import pytest

from conftest import Server, start_server, stop_server

pytestmark = pytest.mark.backend_independent("the HTTP protocol's timeouts, before any handler")

HEADER, BODY, KEEPALIVE = 1.0, 1.5, 2.0
#: Room for a loaded machine: the server's loop may run late, never early.
SLACK = 4.0
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(scope="module", params=["on", "off"], ids=["tuned", "untuned"])
def slow_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("slow"),
        env={
            "SCIMDOCK_TUNING": request.param,
            "SCIMDOCK_HEADER_TIMEOUT": str(HEADER),
            "SCIMDOCK_BODY_TIMEOUT": str(BODY),
            "SCIMDOCK_KEEPALIVE_TIMEOUT": str(KEEPALIVE),
        },
    )
    yield srv
    stop_server(srv)


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=HEADER + BODY + SLACK * 2)


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server writes until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _assert_408(answer: bytes) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 408 Request Timeout", answer
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    assert headers["content-type"] == "application/scim+json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)
    assert error["schemas"] == [ERROR] and error["status"] == "408"


@pytest.fixture(scope="module")
def token(slow_server: Server) -> str:
    return slow_server.tenant("slow")


def _post_head(token: str, length: int) -> bytes:
    return (
        f"POST /scim/v1/Users HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: application/scim+json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_half_the_headers_then_silence_gets_408_at_the_header_timeout(slow_server: Server) -> None:
    with _connect(slow_server) as sock:
        sock.sendall(b"GET /scim/v1/ServiceProviderConfig HTTP/1.1\r\nHost: local")
        started = time.monotonic()
        answer = _until_closed(sock)
        elapsed = time.monotonic() - started
    assert HEADER * 0.9 <= elapsed <= HEADER + SLACK, elapsed
    _assert_408(answer)


def test_headers_trickled_a_byte_at_a_time_still_meet_the_deadline(slow_server: Server) -> None:
    """A fixed deadline, not an idle timer: steady progress does not extend it."""
    request = (
        b"GET /scim/v1/ServiceProviderConfig HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * 500
    )
    with _connect(slow_server) as sock:
        started = time.monotonic()
        sock.settimeout(0.1)
        for byte in request:
            try:
                if sock.recv(65536, socket.MSG_PEEK):
                    break  # the server answered (and closes)
            except TimeoutError:
                sock.sendall(bytes([byte]))
            assert time.monotonic() - started < HEADER + SLACK, "still open"
        sock.settimeout(SLACK)
        answer = _until_closed(sock)
    assert time.monotonic() - started <= HEADER + SLACK
    _assert_408(answer)


def test_a_body_that_never_finishes_gets_408_at_the_body_timeout(
    slow_server: Server, token: str
) -> None:
    body = json.dumps({"schemas": [CORE], "userName": "slowbody@example.com"}).encode()
    with _connect(slow_server) as sock:
        sock.sendall(_post_head(token, len(body)) + body[:10])
        started = time.monotonic()
        sock.settimeout(0.2)
        answer = b""
        for byte in body[10:-1]:  # a byte every 0.2 s, never the last one
            try:
                answer = sock.recv(65536)
                break  # the server answered (and closes)
            except TimeoutError:
                sock.sendall(bytes([byte]))
        sock.settimeout(SLACK)
        answer += _until_closed(sock)
        elapsed = time.monotonic() - started
    assert BODY * 0.9 <= elapsed <= BODY + SLACK, elapsed
    _assert_408(answer)


def test_a_hundred_stalled_connections_are_all_closed(slow_server: Server) -> None:
    """Half send part of their headers, half nothing at all: every one is
    closed by the server within the header timeout (the silent ones without
    an answer, as the keep-alive timeout closes an idle connection)."""
    selector = selectors.DefaultSelector()
    answers: dict[int, bytes] = {}
    socks = []
    try:
        for n in range(100):
            sock = _connect(slow_server)
            socks.append(sock)
            if n % 2:
                sock.sendall(b"GET /scim/v1/Users HTTP/1.1\r\nHost: loc")
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, n)
            answers[n] = b""
        started = time.monotonic()
        open_ = set(answers)
        while open_ and time.monotonic() - started < HEADER + SLACK:
            for key, _ in selector.select(timeout=0.5):
                chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if chunk:
                    answers[key.data] += chunk
                else:
                    selector.unregister(key.fileobj)
                    open_.discard(key.data)
        assert not open_, f"{len(open_)} connections still open"
    finally:
        selector.close()
        for sock in socks:
            sock.close()
    for n, answer in answers.items():
        if n % 2:
            _assert_408(answer)
        else:
            assert answer == b""


def test_a_client_that_keeps_up_is_undisturbed(slow_server: Server, token: str) -> None:
    """Requests on one keep-alive connection, spread over longer than the
    header and body timeouts together, each well within its own."""
    get = b"GET /scim/v1/ServiceProviderConfig HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with _connect(slow_server) as sock:
        started = time.monotonic()
        sock.sendall(get[:20])  # a request in two parts, the second soon after
        time.sleep(HEADER / 3)  # a slow client: the delay is what is tested
        sock.sendall(get[20:])
        assert _response(sock).startswith(b"HTTP/1.1 200 ")
        n = 0
        while time.monotonic() - started < HEADER + BODY + 0.5:
            n += 1
            body = json.dumps({"schemas": [CORE], "userName": f"keepup{n}@example.com"}).encode()
            head = _post_head(token, len(body))
            time.sleep(KEEPALIVE / 3)  # a slow client idle under the keep-alive timeout
            sock.sendall(head + body[:5])
            time.sleep(BODY / 3)  # a slow client: the delay is what is tested
            sock.sendall(body[5:])
            answer = _response(sock)
            assert answer.startswith(b"HTTP/1.1 201 "), answer


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(slow_server: Server) -> None:
    with _connect(slow_server) as sock:
        sock.sendall(b"GET /scim/v1/ServiceProviderConfig HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _response(sock).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert _until_closed(sock) == b""  # no 408: no request had begun
        elapsed = time.monotonic() - started
    # Under uvicorn's own default (5 s): the setting is the one in force.
    assert KEEPALIVE * 0.9 <= elapsed < 4.5, elapsed


def _response(sock: socket.socket) -> bytes:
    """One ``Content-Length`` framed response."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"closed: {data!r}"
        body += chunk
    return head + b"\r\n\r\n" + body
