"""The live server's HTTP on the wire, byte for byte: what a SCIM client
that is not httpx may do (``Expect: 100-continue``, several requests on one
connection, pipelined) still gets every answer, whole and in order. The
responses pass through scimdock/tuning/transport.py, which holds a
response's first write for its next one."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from conftest import Client

pytestmark = pytest.mark.backend_independent("the HTTP wire, answered before any handler")

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def _connect(client: Client) -> socket.socket:
    return socket.create_connection(("127.0.0.1", client.server.port), timeout=10)


class Reader:
    """Responses read off one socket, one at a time (``Content-Length`` framed)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, f"connection closed; unread: {self.buffer!r}"
        self.buffer += chunk

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body


def _request(method: str, path: str, auth: str, body: bytes = b"", extra: str = "") -> bytes:
    head = (
        f"{method} /scim/v1{path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\n{extra}"
    )
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Type: application/scim+json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def _user(name: str) -> bytes:
    return json.dumps({"schemas": [CORE], "userName": name}).encode()


def test_expect_100_continue_is_answered_before_the_body_is_sent(client: Client) -> None:
    auth = client.http.headers["Authorization"]
    body = _user("continue@example.com")
    with _connect(client) as sock:
        reader = Reader(sock)
        head = _request("POST", "/Users", auth, body, "Expect: 100-continue\r\n")
        sock.sendall(head[: -len(body)])  # the headers only: the client waits
        status, _, _ = reader.response()  # within the socket's timeout, not never
        assert status == 100
        sock.sendall(body)
        status, headers, payload = reader.response()
    assert status == 201, payload
    assert headers["content-type"].startswith("application/scim+json")
    assert json.loads(payload)["userName"] == "continue@example.com"


def test_pipelined_requests_get_whole_answers_in_order(client: Client) -> None:
    auth = client.http.headers["Authorization"]
    created = client.post("/Users", json={"schemas": [CORE], "userName": "pipe@example.com"})
    user_id = created.json()["id"]
    version = created.headers["ETag"]
    requests = [
        _request("GET", f"/Users/{user_id}", auth),
        _request("GET", f"/Users/{user_id}", auth, extra=f"If-None-Match: {version}\r\n"),
        _request("GET", "/Users/no-such-id", auth),
        _request("POST", "/Users", auth, _user("pipe2@example.com")),
        _request("GET", "/Users?filter=userName%20eq%20%22pipe2@example.com%22", auth),
    ]
    with _connect(client) as sock:
        sock.sendall(b"".join(requests))  # all at once, before any answer
        reader = Reader(sock)
        answers = [reader.response() for _ in requests]
    statuses = [status for status, _, _ in answers]
    assert statuses == [200, 304, 404, 201, 200]
    bodies: list[Any] = [json.loads(body) if body else None for _, _, body in answers]
    assert bodies[0]["id"] == user_id
    assert bodies[1] is None  # 304: headers only, and the next answer still follows
    assert bodies[2]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert bodies[2]["status"] == "404"
    assert bodies[3]["userName"] == "pipe2@example.com"
    assert bodies[4]["totalResults"] == 1
    assert bodies[4]["Resources"][0]["id"] == bodies[3]["id"]


def test_requests_one_after_another_on_one_connection(client: Client) -> None:
    auth = client.http.headers["Authorization"]
    with _connect(client) as sock:
        reader = Reader(sock)
        for n in range(20):
            sock.sendall(_request("POST", "/Users", auth, _user(f"seq{n}@example.com")))
            status, _, payload = reader.response()
            assert status == 201, payload
            user_id = json.loads(payload)["id"]
            sock.sendall(_request("DELETE", f"/Users/{user_id}", auth))
            status, _, payload = reader.response()
            assert (status, payload) == (204, b"")
        assert reader.buffer == b""  # nothing more than the answers arrived
