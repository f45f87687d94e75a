"""The request limits of docs/security.md ("Limits"), each configurable and
each answered with a SCIM Error (RFC 7644 §3.12), on a server started with
small ones: body size (413), string length and values per array (400
invalidValue), nesting depth (400 invalidSyntax), and a request line too
long for the HTTP parser (400)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from conftest import Server, start_server, stop_server
from scimdock.core.body import MAX_DEPTH

pytestmark = pytest.mark.backend_independent("the size limits, checked on the bytes before routing")

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIMITS = {"SCIMDOCK_MAX_BODY": "4096", "SCIMDOCK_MAX_STRING": "100", "SCIMDOCK_MAX_VALUES": "5"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    server = start_server(tmp_path_factory.mktemp("limits"), env=LIMITS, in_process=True)
    try:
        yield server, server.tenant("limits")
    finally:
        stop_server(server)


def _error(r: httpx.Response, status: int, scim_type: str | None = None) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    return str(body["detail"])


def _post(server: Server, token: str, content: bytes | Iterator[bytes]) -> httpx.Response:
    return httpx.post(
        f"{server.base}/Users",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )


def _users(server: Server, token: str) -> int:
    r = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Bearer {token}"})
    return int(r.json()["totalResults"])


def test_a_body_over_the_limit_is_a_413_and_nothing_is_written(limited: tuple[Server, str]) -> None:
    server, token = limited
    name = "x" * 90
    body = b'{"schemas":["%s"],"userName":"big@x","nickName":"%s"' % (USER.encode(), name.encode())
    big = body + b"," + b",".join(b'"x%d":"%s"' % (i, name.encode()) for i in range(60)) + b"}"
    assert len(big) > 4096
    assert "4096" in _error(_post(server, token, big), 413)
    chunks = iter([big[:3000], big[3000:]])  # no Content-Length: counted as it is read
    _error(_post(server, token, chunks), 413)
    assert _users(server, token) == 0


def test_the_body_limit_is_advertised_as_bulk_max_payload_size(limited: tuple[Server, str]) -> None:
    server, _ = limited
    spc = httpx.get(f"{server.base}/ServiceProviderConfig").json()
    assert spc["bulk"]["maxPayloadSize"] == 4096


def test_a_string_over_the_limit_is_a_400(limited: tuple[Server, str]) -> None:
    server, token = limited
    ok = b'{"schemas":["%s"],"userName":"a@x","displayName":"%s"}' % (USER.encode(), b"d" * 100)
    assert _post(server, token, ok).status_code == 201
    long = ok.replace(b'"a@x"', b'"b@x"').replace(b"d" * 100, b"d" * 101)
    assert "100 characters" in _error(_post(server, token, long), 400, "invalidValue")
    assert _users(server, token) == 1


def test_too_many_values_in_an_attribute_is_a_400(limited: tuple[Server, str]) -> None:
    server, token = limited
    emails = [{"value": f"e{i}@x"} for i in range(6)]
    r = httpx.post(
        f"{server.base}/Users",
        json={"schemas": [USER], "userName": "many@x", "emails": emails},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "5 values" in _error(r, 400, "invalidValue")
    r = httpx.post(
        f"{server.base}/Users",
        json={"schemas": [USER], "userName": "five@x", "emails": emails[:5]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text


def test_nesting_past_the_depth_limit_is_a_400(server: Server) -> None:
    token = server.tenant("depth-limit")
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    body = '{"schemas":["%s"],"userName":"deep@x","x":%s}' % (USER, deep)
    _error(_post(server, token, body.encode()), 400, "invalidSyntax")
    # Brackets inside strings are no nesting.
    body = '{"schemas":["%s"],"userName":"flat@x","displayName":"%s"}' % (USER, "[" * 300)
    assert _post(server, token, body.encode()).status_code == 201


def _raw(server: Server, request: bytes) -> tuple[bytes, bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


@pytest.mark.parametrize(
    ("length", "status"),
    # Under SCIMDOCK_MAX_HEADER (64 KiB): the application's own 400 for a
    # filter that long; over it, 414 before anything is routed.
    [(60_000, 400), (100_000, 414), (1_000_000, 414)],
)
def test_a_huge_url_is_a_scim_error(server: Server, length: int, status: int) -> None:
    token = server.tenant(f"url-{length}")
    head, body = _raw(
        server,
        b"GET /scim/v1/Users?filter=" + b"a" * length + b" HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n\r\n",
    )
    assert head.startswith(b"HTTP/1.1 %d " % status), head
    assert b"content-type: application/scim+json" in head.lower(), head
    error = httpx.Response(status, content=body).json()
    assert error["schemas"] == [ERROR] and error["status"] == str(status)


def test_headers_past_the_limit_are_431(server: Server) -> None:
    """RFC 6585 §5: one 100,000-byte header takes the request past 64 KiB."""
    token = server.tenant("big-header")
    head, body = _raw(
        server,
        b"GET /scim/v1/Users HTTP/1.1\r\nHost: localhost\r\nX-Filler: "
        + b"a" * 100_000
        + b"\r\nAuthorization: Bearer "
        + token.encode()
        + b"\r\nConnection: close\r\n\r\n",
    )
    assert head.startswith(b"HTTP/1.1 431 "), head
    assert httpx.Response(431, content=body).json()["status"] == "431"
    ok = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200  # a request under the limit is served
