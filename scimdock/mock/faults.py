"""Carrying out a fault rule or stub (scimdock.mock.rules.faultrules) on one SCIM request, for
the mock's ASGI layer (scimdock.mock.journal).

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
from scimdock.handlers import errors

TRANSPORT = "scimdock.transport"
SCIM_JSON = b"application/scim+json"
#: Longest a ``timeout`` drop holds a connection with no answer.
HANG_SECONDS = 120.0


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
    action: dict[str, Any],
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    note: Callable[[Message], Awaitable[None]],
) -> None:
    """Do ``action`` (scimdock.mock.rules.faultrules) to the request: ``send`` sends (and
    records), ``note`` only records what was written on the connection
    directly (its last body message records the exchange: sent before the
    connection ends, so that the journal holds it when the client sees the
    end). ``when: before``: the server never sees the request (but a
    ``malformed`` answer, which is the server's own); ``after``: the
    server carries it out (a write is committed) and the fault then hits
    its answer, held back until then."""
    after = action.get("when") == "after"
    if action.get("latencyMs") and not after:
        await asyncio.sleep(action["latencyMs"] / 1000)
    if not after and "malformed" not in action:
        if "status" in action or "respond" in action:
            await _respond(action, send)
        elif "drop" in action:
            await _drop(scope, receive, action["drop"], note)
        else:  # only the delay, or a step that lets the request through
            await app(scope, receive, send)
        return
    status, headers, body = await _answer(app, scope, receive)
    if action.get("latencyMs") and after:
        await asyncio.sleep(action["latencyMs"] / 1000)
    if "status" in action or "respond" in action:
        await _respond(action, send)
    elif "drop" in action:
        await _drop(scope, receive, action["drop"], note)
    elif action.get("malformed") == "body":
        cut = body[: len(body) // 2]
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": cut})
    elif action.get("malformed") == "chunk":
        await _broken_chunk(scope, status, headers, body, note)
    else:  # the server's answer, delayed
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def read_first(receive: Receive, limit: int) -> Receive:
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


async def _respond(action: dict[str, Any], send: Send) -> None:
    """A stub's answer: ``respond`` (status, headers and a body as given;
    none for a success without one), or a SCIM Error (RFC 7644 §3.12) of
    the status, ``scimType`` and ``detail``, built as the server builds its
    own (handlers.errors), with ``Retry-After`` when ``retryAfter`` is
    given. Headers given replace those of the same name, in any case."""
    spec = action.get("respond") or action
    status = int(spec["status"])
    if "body" in spec or status < 400:  # a success stub without a body has none
        given = spec.get("body")
        headers = {"Content-Type": SCIM_JSON.decode()} if given is not None else {}
        body = b"" if given is None else orjson.dumps(given)
    else:
        detail = spec.get("detail") or f"Fault injected by the mock: status {status}"
        error = ScimError(status, detail, spec.get("scimType"))
        headers, body = errors.error_headers(error), errors.error_body(error)
    if "retryAfter" in action:
        headers["Retry-After"] = str(action["retryAfter"])
    named = {k.lower(): v for k, v in [*headers.items(), *(spec.get("headers") or {}).items()]}
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in named.items()]
    if status not in (204, 304):
        raw.append((b"content-length", str(len(body)).encode()))
    else:
        body = b""
    await send({"type": "http.response.start", "status": status, "headers": raw})
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


async def _drop(
    scope: Scope, receive: Receive, how: str, note: Callable[[Message], Awaitable[None]]
) -> None:
    """Reset the connection (an RST: ``SO_LINGER`` of zero), close it with
    nothing written, or (``timeout``) write nothing until the client gives
    up (at most :data:`HANG_SECONDS`); then wait until the server has seen
    it go, so that it writes no answer of its own."""
    transport = _transport(scope)
    if how == "timeout":
        try:
            async with asyncio.timeout(HANG_SECONDS):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass
    await note({"type": "http.response.body", "body": b""})  # the exchange ends: nothing sent
    if how == "reset":
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
    await note({"type": "http.response.start", "status": status, "headers": headers})
    await note({"type": "http.response.body", "body": piece})
    transport.write(b"\r\n".join(lines) + b"zz\r\n" + piece + b"\r\n")
    transport.close()
    for _ in range(10):
        await asyncio.sleep(0)


def _transport(scope: Scope) -> asyncio.Transport:
    transport = (scope.get("extensions") or {}).get(TRANSPORT)
    if transport is None:
        raise RuntimeError(
            "the mock's protocol (scimdock.mock.faults.with_transport) is not in use"
        )
    return transport  # type: ignore[no-any-return]
