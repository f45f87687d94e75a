"""The mock's behaviour profiles at the edge (scimdock.mock.rules.profile, docs/mock.md):
the parts of a profile that are about the wire, decided here for the
tenant whose valid key the request carries; the rest (strict mode, the
PATCH answer) is read by the handlers from the request's runtime, which
this layer scopes (handlers.runtime.profiled).

Wrapped inside the journal layer by scimdock.worker only for ``scimdock
mock`` (``serve`` runs without it), and it does nothing until a tenant
has a profile other than the default.

- ``filter``: ``none`` answers a filter (query or SearchRequest) with 400
  ``invalidFilter`` and /ServiceProviderConfig says ``filter.supported``
  false (RFC 7643 §5); ``eq`` refuses any other operator the same way
  (RFC 7644 §3.4.2.2, §3.12);
- ``count``: ``ignore`` drops the parameter, ``maxCount`` lowers it
  (RFC 7644 §3.4.2.4 lets a provider return fewer);
- ``etag`` false: no ``ETag`` header, no ``meta.version``,
  ``If-Match``/``If-None-Match`` not read, and ``etag.supported`` false
  (RFC 7644 §3.14 makes versioning optional);
- ``requiredAttributes``: a POST or PUT of a user without one of them is
  400 ``invalidValue`` (RFC 7643 §2.2, "required").
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimdock.core.errors import ScimError
from scimdock.core.filter.parser import parse_filter
from scimdock.front.limits import read_all, replay
from scimdock.handlers.context import request_context
from scimdock.handlers.http import BASE_PATH
from scimdock.handlers.runtime import profiled
from scimdock.mock.handlers.state import ProfileBook
from scimdock.mock.journal import tenant_of
from scimdock.mock.rules.profile import DEFAULT, Profile, missing, only_eq

SCIM_JSON = b"application/scim+json"
_LISTS = re.compile(r"^/(Users|Groups)?/?(\.search)?$", re.I)
_USER_WRITE = re.compile(r"^/Users(/[^/]+)?$", re.I)


class ProfileLayer:
    def __init__(self, app: ASGIApp, book: ProfileBook, fallback: int | None) -> None:
        self.app, self.book, self.fallback = app, book, fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith(BASE_PATH)
            or not self.book.any()
        ):
            await self.app(scope, receive, send)
            return
        tenant = await tenant_of(scope, self.fallback, verified=True)
        profile = DEFAULT if tenant is None else self.book.get(tenant)
        if profile.is_default():
            await self.app(scope, receive, send)
            return
        try:
            scope, receive = await _request(profile, scope, receive)
        except ScimError as exc:
            await _error(exc, send)
            return
        lenient = request_context().settings.lenient and not profile.strict
        with profiled(profile, lenient=lenient):
            if profile.etag and profile.filter != "none":
                await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, _rewriting(profile, scope, send))


async def _request(profile: Profile, scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
    """The request as the profile lets it through, or the ScimError it earns."""
    path, method = scope["path"][len(BASE_PATH) :] or "/", scope["method"]
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    body: Any = None
    if method in ("POST", "PUT"):
        raw = await read_all(receive)
        receive = replay(raw, receive)
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
    if _LISTS.match(path):
        text = next((v for k, v in query if k.lower() == "filter"), None)
        if isinstance(body, dict) and method == "POST":
            text = next((v for k, v in body.items() if str(k).lower() == "filter"), text)
        if isinstance(text, str):
            _check_filter(profile, text)
        if method == "GET" and (profile.count == "ignore" or profile.maxCount is not None):
            if profile.count == "ignore":
                query = [(k, v) for k, v in query if k.lower() != "count"]
            query = [(k, _count(profile, v) if k.lower() == "count" else v) for k, v in query]
            scope = {**scope, "query_string": urlencode(query, quote_via=quote).encode()}
    if method in ("POST", "PUT") and _USER_WRITE.match(path) and isinstance(body, dict):
        absent = missing(body, profile.requiredAttributes)
        if absent is not None:
            raise ScimError(400, f"'{absent}' is required by this tenant's profile", "invalidValue")
    if not profile.etag:
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"if-match", b"if-none-match")]
        scope = {**scope, "headers": headers}
    return scope, receive


def _check_filter(profile: Profile, text: str) -> None:
    if profile.filter == "none":
        raise ScimError(
            400,
            "Filtering is not supported (ServiceProviderConfig filter.supported)",
            "invalidFilter",
        )
    if profile.filter == "eq":
        try:
            node = parse_filter(text)
        except ScimError:
            return  # the server answers the syntax error itself
        if not only_eq(node):
            raise ScimError(400, "Only 'eq' comparisons are supported", "invalidFilter")


def _count(profile: Profile, value: str) -> str:
    if profile.maxCount is not None and value.isdigit() and int(value) > profile.maxCount:
        return str(profile.maxCount)
    return value


def _rewriting(profile: Profile, scope: Scope, send: Send) -> Send:
    """``send`` with the answer's ETags taken out and /ServiceProviderConfig
    saying what the profile supports."""
    start: dict[str, Any] = {}
    body = bytearray()
    spc = scope["path"].lower().endswith("/serviceproviderconfig")

    async def rewritten(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body" or not start:
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        out = bytes(body)
        headers = [
            (k, v) for k, v in start.get("headers", ()) if k.lower() != b"etag" or profile.etag
        ]
        kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if out and b"json" in kind:
            try:
                doc = orjson.loads(out)
            except orjson.JSONDecodeError:
                doc = None
            if isinstance(doc, dict):
                out = orjson.dumps(_document(profile, doc, spc=spc))
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(out)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    return rewritten


def _document(profile: Profile, doc: dict[str, Any], *, spc: bool) -> dict[str, Any]:
    if spc:
        doc = {**doc}
        if isinstance(doc.get("filter"), dict):
            doc["filter"] = {**doc["filter"], "supported": profile.filter != "none"}
        if isinstance(doc.get("etag"), dict):
            doc["etag"] = {**doc["etag"], "supported": profile.etag}
        return doc
    if not profile.etag:
        for resource in [doc, *(doc.get("Resources") or [])]:
            meta = resource.get("meta") if isinstance(resource, dict) else None
            if isinstance(meta, dict):
                meta.pop("version", None)
    return doc


async def _error(error: ScimError, send: Send) -> None:
    body = orjson.dumps(error.to_dict())
    headers = [(b"content-type", SCIM_JSON), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
