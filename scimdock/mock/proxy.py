"""The mock's recording proxy (docs/mock.md, "Recording proxy"):
``scimdock mock --proxy URL --proxy-token T`` answers every SCIM request
(under ``/scim/v1``) with what a real service provider at ``URL`` (its
base URL) answers it.

The client authenticates to the mock as usual (its SCIM key, checked as
every request's is: handlers.security); the request goes on to the target
as the client sent it, with ``Authorization: Bearer T`` in place of the
client's credential and without the hop-by-hop headers of RFC 9110 §7.6.1,
and the target's answer comes back as it was, its ``Location`` and
``Content-Location`` pointed at the mock. A target that cannot be reached
is a 502 SCIM Error, one that does not answer in time a 504 (RFC 9110
§15.6.3, §15.6.5), each saying which.

Inside the journal layer (scimdock.mock.journal), which records both sides,
masked; this layer adds the notes on the target's answer
(scimdock.mock.rules.target_notes) and what was forwarded, through the request's
``extensions`` (:data:`EXTENSION`), and feeds every exchange to the
recording (scimdock.mock.rules.recording). On its first request the proxy reads the
target's /ServiceProviderConfig and /Schemas once, for the notes (are
ETags advertised?) and the recording; after a write answered without its
resource (a PATCH answered 204) it reads that resource back, so that the
snapshot holds its state.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
from connexion.exceptions import ProblemException
from starlette.types import ASGIApp, Receive, Scope, Send

from scimdock.core.errors import ScimError
from scimdock.handlers.context import request_context
from scimdock.handlers.http import BASE_PATH
from scimdock.handlers.security import authenticate, client_address
from scimdock.mock.handlers.proxy import Target, parsed
from scimdock.mock.journal_entry import credential as _credential
from scimdock.mock.journal_entry import header as _header
from scimdock.mock.rules.recording import Exchange
from scimdock.mock.rules.target_notes import answer_notes

_log = logging.getLogger(__name__)
#: Where a proxied request's record waits for the journal (scimdock.mock.journal).
EXTENSION = "scimdock.mock.proxy"
#: Request headers not forwarded: hop-by-hop (RFC 9110 §7.6.1), the
#: client's credential and cookies for the mock, and what httpx sets itself.
_NOT_FORWARDED = frozenset(
    b"connection keep-alive proxy-connection proxy-authorization te trailer transfer-encoding"
    b" upgrade host authorization cookie content-length accept-encoding".split()
)
#: Answer headers not passed back: hop-by-hop, the length and coding httpx
#: undid, and the request id the mock gives every answer (scimdock.request_log).
_NOT_RETURNED = frozenset(
    b"connection keep-alive proxy-connection transfer-encoding upgrade trailer"
    b" content-length content-encoding x-request-id set-cookie date server".split()
)


class ProxyLayer:
    """SCIM requests to ``target``; everything else (the admin API, the
    console) to ``app``."""

    def __init__(self, app: ASGIApp, target: Target) -> None:
        self.app, self.target = app, target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(BASE_PATH):
            await self.app(scope, receive, send)
            return
        try:
            await self._admitted(scope)
            body = await _body(receive, request_context().runtime.settings.max_body)
        except ScimError as exc:
            await _answer(send, exc.status, _error_headers(exc), orjson.dumps(exc.to_dict()))
            return
        await self._forward(scope, body, send)

    async def _admitted(self, scope: Scope) -> None:
        """The client's own SCIM key of the proxied tenant, or 401 (429 past
        the failed-login limit, as for every SCIM request)."""
        pair = _credential(_header(scope, b"authorization"))
        if pair is None:
            raise ScimError(401, "Authenticate with the mock's SCIM key (Bearer or Basic)")
        try:
            info = await authenticate(
                request_context(), pair[0], pair[1], _header(scope, b"host"), client_address(scope)
            )
        except ProblemException as exc:
            raise ScimError(exc.status or 401, str(exc.detail or "Invalid credentials")) from None
        if info["tenant_id"] != self.target.tenant:
            raise ScimError(401, "This key's tenant is not the one the mock proxies")

    async def _forward(self, scope: Scope, body: bytes, send: Send) -> None:
        target = self.target
        await target.discover()
        path = scope["path"][len(BASE_PATH) :] or "/"
        # As the client encoded it (``path`` is decoded: %2F would become /).
        raw = (scope.get("raw_path") or b"").decode("latin-1")
        if not raw.startswith(BASE_PATH):
            raw = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        url = target.url + (raw[len(BASE_PATH) :] or "/") + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_FORWARDED]
        headers.append((b"authorization", f"Bearer {target.token}".encode()))
        extensions = scope.setdefault("extensions", {})
        record: dict[str, Any] = {"url": target.url + path}
        extensions[EXTENSION] = record
        started = time.perf_counter()
        try:
            answer = await target.client().request(
                scope["method"], url, headers=headers, content=body
            )
        except httpx.InvalidURL as exc:  # what the client sent, not the target's failing
            error = ScimError(400, f"This request's URL cannot be forwarded: {exc}")
        except httpx.TimeoutException:
            error = ScimError(
                504, f"The target {target.url} did not answer within {target.timeout:g} s"
            )
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            error = ScimError(502, f"The target {target.url} could not be reached: {reason}")
        else:
            record["durationMs"] = round((time.perf_counter() - started) * 1000, 3)
            await self._answered(scope, path, body, answer, record, send)
            return
        record.update(error=error.detail, notes=[])
        await _answer(send, error.status, _error_headers(error), orjson.dumps(error.to_dict()))

    async def _answered(
        self,
        scope: Scope,
        path: str,
        sent: bytes,
        answer: httpx.Response,
        record: dict[str, Any],
        send: Send,
    ) -> None:
        target = self.target
        lowered = _lower(answer.headers)
        query = {
            k.lower(): v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        }
        doc = parsed(answer.content)
        exchange = Exchange(
            scope["method"], path, query, parsed(sent), answer.status_code, lowered, doc
        )
        record["status"] = answer.status_code
        try:
            etags = target.recording.advertised.get("etag")
            record["notes"] = answer_notes(
                exchange.method, path, query, exchange.status, lowered, doc, etags=etags
            )
            target.recording.observe(exchange)
            again = target.recording.read_back(exchange)
            if again is not None:
                await target.read(again)
        except Exception:  # what the proxy learns is a bonus: the answer still goes back
            _log.exception("recording proxy: could not note %s %s", exchange.method, path)
        here = f"{scope.get('scheme', 'http')}://{_header(scope, b'host') or ''}{BASE_PATH}"
        headers = []
        for key, value in answer.headers.raw:
            if key.lower() in _NOT_RETURNED:
                continue
            if key.lower() in (b"location", b"content-location"):
                value = value.decode("latin-1").replace(target.url, here, 1).encode("latin-1")
            headers.append((key, value))
        await _answer(send, answer.status_code, headers, answer.content)


async def _body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or 413 past ``limit`` bytes."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body.extend(message.get("body", b""))
        if len(body) > limit:
            raise ScimError(413, f"The request body is larger than {limit} bytes")
        if not message.get("more_body", False):
            break
    return bytes(body)


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    if status not in (204, 304):  # which carry no Content-Length (RFC 9110 §8.6)
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error_headers(error: ScimError) -> list[tuple[bytes, bytes]]:
    from scimdock.handlers.errors import SCIM_JSON, WWW_AUTHENTICATE

    headers = [(b"content-type", SCIM_JSON.encode())]
    if error.status == 401:
        headers.append((b"www-authenticate", WWW_AUTHENTICATE.encode()))
    return headers


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
