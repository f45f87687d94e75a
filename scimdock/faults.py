"""Carrying out a fault rule (core.faultrules) on one SCIM request, for
the mock's ASGI layer (scimdock.journal).

``drop`` and ``malformed: chunk`` need the connection itself, which ASGI
does not hand an application: :func:`with_transport` makes the mock's
HTTP protocol put it in the request's scope (``extensions``), as
``scimdock.transport``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimdock.core.errors import ScimError

TRANSPORT = "scimdock.transport"
SCIM_JSON = b"application/scim+json"


def with_transport(base: type[Any]) -> type[Any]:
    """``base`` (a uvicorn httptools protocol) that puts its transport in
    each request's scope."""

    class TransportInScope(base):  # type: ignore[misc, valid-type]
        def on_headers_complete(self) -> None:
            extensions = self.scope.setdefault("extensions", {})
            extensions[TRANSPORT] = self.transport
            super().on_headers_complete()

    TransportInScope.__name__ = f"{base.__name__}WithTransport"
    return TransportInScope


async def act(
    fault: dict[str, Any],
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    note: Callable[[Message], Awaitable[None]],
    *,
    read_first: int,
) -> None:
    """Do ``fault`` to the request: ``send`` sends (and records), ``note``
    only records what was written on the connection directly. The body is
    read first, up to ``read_first`` bytes, through ``receive`` (which
    records it): a request answered by the fault alone, dropped, or whose
    client gives up during the delay is journaled with what it sent."""
    receive = await _read_first(receive, read_first)
    if fault.get("latencyMs"):
        await asyncio.sleep(fault["latencyMs"] / 1000)
    if "status" in fault:
        await _error(fault, send)
    elif "drop" in fault:
        await _drop(scope, reset=fault["drop"] == "reset")
    elif fault.get("malformed") == "body":
        status, headers, body = await _answer(app, scope, receive)
        cut = body[: len(body) // 2]
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": cut})
    elif fault.get("malformed") == "chunk":
        status, headers, body = await _answer(app, scope, receive)
        await _broken_chunk(scope, status, headers, body, note)
    else:  # only the delay
        await app(scope, receive, send)


async def _read_first(receive: Receive, limit: int) -> Receive:
    """``receive`` once the request's first ``limit`` bytes of body (all
    of it, mostly) are read: the messages read are handed on as they
    came, then ``receive`` itself (the rest of a longer body)."""
    held: list[Message] = []
    size = 0
    while True:
        message = await receive()
        held.append(message)
        if message["type"] != "http.request":
            break  # http.disconnect: the client is gone
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size >= limit:
            break

    async def replayed() -> Message:
        return held.pop(0) if held else await receive()

    return replayed


async def _error(fault: dict[str, Any], send: Send) -> None:
    """The status as a SCIM Error (RFC 7644 §3.12), ``Retry-After`` when asked."""
    status = int(fault["status"])
    error = ScimError(status, f"Fault injected by the mock: status {status}")
    body = orjson.dumps(error.to_dict())
    headers = [(b"content-type", SCIM_JSON), (b"content-length", str(len(body)).encode())]
    if "retryAfter" in fault:
        headers.append((b"retry-after", str(fault["retryAfter"]).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _answer(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Any], bytes]:
    """The application's whole answer, held back."""
    got: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

    async def hold(message: Message) -> None:
        if message["type"] == "http.response.start":
            got["status"], got["headers"] = message["status"], list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            got["body"].extend(message.get("body", b""))

    await app(scope, receive, hold)
    return got["status"], got["headers"], bytes(got["body"])


async def _drop(scope: Scope, *, reset: bool) -> None:
    """Reset the connection (an RST: ``SO_LINGER`` of zero) or close it
    with nothing written; then wait until the server has seen it go, so
    that it writes no answer of its own."""
    transport = _transport(scope)
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    for _ in range(10):
        await asyncio.sleep(0)


async def _broken_chunk(
    scope: Scope,
    status: int,
    headers: list[Any],
    body: bytes,
    note: Callable[[Message], Awaitable[None]],
) -> None:
    """A chunked answer (RFC 9112 §7.1) whose chunk size is not
    hexadecimal, then the connection closed."""
    transport = _transport(scope)
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
    for key, value in headers:
        if key.lower() not in (b"content-length", b"transfer-encoding", b"connection"):
            lines.append(key + b": " + value)
    lines += [b"transfer-encoding: chunked", b"connection: close", b"", b""]
    piece = body[: max(1, len(body) // 2)]
    transport.write(b"\r\n".join(lines) + b"zz\r\n" + piece + b"\r\n")
    await note({"type": "http.response.start", "status": status, "headers": headers})
    await note({"type": "http.response.body", "body": piece})
    transport.close()
    for _ in range(10):
        await asyncio.sleep(0)


def _transport(scope: Scope) -> asyncio.Transport:
    transport = (scope.get("extensions") or {}).get(TRANSPORT)
    if transport is None:
        raise RuntimeError("the mock's protocol (scimdock.faults.with_transport) is not in use")
    return transport  # type: ignore[no-any-return]
