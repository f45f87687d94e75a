"""The mock's ASGI layer: every SCIM exchange into its tenant's journal,
and the tenant's fault rules carried out (scimdock.faults).

Wrapped around the application by :func:`scimdock.worker.assemble` only
when ``SCIMDOCK_JOURNAL`` or ``SCIMDOCK_FAULTS`` is on (``scimdock mock``
switches both on): ``serve`` runs without it and pays nothing.

An entry holds the method, the path under the SCIM base URL, the query,
both header sets with every credential masked (``Authorization`` keeps
its scheme, cookies and any header or query parameter naming a token,
secret, key or password lose their value), both bodies (JSON when they
parse; any ``password`` value masked, RFC 7643 §4.1.1 makes it
write-only), the status, the duration, the ids of the resources touched,
the time, the request id (``X-Request-ID``, scimdock.front.access) and the
fault done to it, if any.

The tenant is the authenticated key's (RFC 7644 §2); a request refused
before that (a wrong secret, no credential) is put in the journal of the
tenant its key id names, or that the host names, else of the mock's own
tenant.
"""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimdock import faults as actions
from scimdock.core import conformance, credentials, leniency
from scimdock.core.tenants import tenant_from_host
from scimdock.handlers.context import request_context
from scimdock.handlers.http import BASE_PATH
from scimdock.handlers.mock.state import FaultBook, Journal
from scimdock.handlers.security import secret_matches

#: Bytes of each body kept in an entry; the rest is cut (``bodyTruncated``).
BODY_CAP = 256 * 1024
MASK = "****"
_SECRET_NAME = re.compile(r"token|secret|key|password|passwd|cookie|session|auth", re.I)
_ID_PATH = re.compile(r"^/(Users|Groups)/([^/]+)")


class JournalLayer:
    """``journal``: record; ``faults``: act on the rules; ``fallback``: the
    tenant of a request that names none."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal | None,
        faults: FaultBook | None,
        fallback: int | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(BASE_PATH):
            await self.app(scope, receive, send)
            return
        started, at = time.perf_counter(), datetime.now(UTC)
        path = scope["path"][len(BASE_PATH) :] or "/"
        request_body = bytearray()
        response: dict[str, Any] = {"status": 0, "headers": [], "body": bytearray()}

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) < BODY_CAP:
                request_body.extend(message.get("body", b"")[: BODY_CAP - len(request_body)])
            return message

        async def note(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                body = response["body"]
                if len(body) < BODY_CAP:
                    body.extend(message.get("body", b"")[: BODY_CAP - len(body)])

        async def recording_send(message: Message) -> None:
            await note(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                # Recorded before the last byte leaves: a client that reads
                # the journal once it has its answer finds the exchange there.
                await record()
            await send(message)

        fault: dict[str, Any] | None = None
        tenant: int | None = None
        recorded = False

        async def record() -> None:
            """Add the exchange to the journal, once: before its answer's last
            body message is sent, or when the request ends without one (a
            dropped connection, an error)."""
            nonlocal recorded, tenant
            if recorded or self.journal is None:
                return
            recorded = True
            tenant = _authenticated(scope) or tenant or await self._tenant(scope)
            if tenant is not None:
                # What the exchange was, kept as it came; the entry (parsed
                # bodies, masked credentials, conformance notes) is built when
                # the journal is first read, off the request's path
                # (docs/mock.md, "Cost").
                duration = round((time.perf_counter() - started) * 1000, 3)
                self.journal.add(
                    tenant,
                    partial(
                        _noted_entry,
                        request_context().request_id,
                        scope,
                        path,
                        at,
                        duration,
                        bytes(request_body),
                        response,
                        fault,
                        list(applied),
                    ),
                )

        if self.faults is not None and self.faults.any():
            tenant = await self._tenant(scope, verified=True)
            rule = None if tenant is None else self.faults.pick(tenant, scope["method"], path)
            if rule is not None and tenant is not None:
                fault = {"rule": self.faults.index(tenant, rule), **rule.spec}
        with leniency.noting() as applied:
            try:
                if fault is None:
                    await self.app(scope, recording_receive, recording_send)
                else:
                    await actions.act(
                        fault,
                        self.app,
                        scope,
                        recording_receive,
                        recording_send,
                        note,
                        read_first=BODY_CAP,
                    )
            finally:
                await record()

    async def _tenant(self, scope: Scope, *, verified: bool = False) -> int | None:
        return await tenant_of(scope, self.fallback, verified=verified)


async def tenant_of(scope: Scope, fallback: int | None, *, verified: bool = False) -> int | None:
    """The tenant the credential's key id names (its secret checked when
    ``verified``: a fault is done only to the tenant's own requests), else
    the host's, else ``fallback``."""
    runtime = request_context().runtime
    pair = _credential(_header(scope, b"authorization"))
    if pair is not None:
        key = await runtime.store.get_key(pair[0], last_use=False)
        if key is not None and (not verified or secret_matches(pair[1], key, runtime.clock)):
            return key.tenant_id
        if verified:
            return None
    name = tenant_from_host(_header(scope, b"host"), runtime.settings.domain)
    if name is not None:
        found = await runtime.store.get_tenant(name)
        return None if found is None else found.id
    return fallback


def _authenticated(scope: Scope) -> int | None:
    """The tenant of the SCIM key that authenticated the request, if any
    (handlers.context)."""
    return request_context().tenant_id


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _credential(value: str | None) -> tuple[str, str] | None:
    """``(key id, secret)`` of a Bearer token or Basic pair (RFC 7617)."""
    if not value or " " not in value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.decode_token(rest.strip())
    if scheme.lower() == "basic":
        try:
            user, sep, password = (
                base64.b64decode(rest.strip(), validate=True).decode().partition(":")
            )
        except ValueError:
            return None
        return (user, password) if sep else None
    return None


def _noted_entry(
    request_id: str,
    scope: Scope,
    path: str,
    at: datetime,
    duration: float,
    request_body: bytes,
    response: dict[str, Any],
    fault: dict[str, Any] | None,
    applied: list[Any],
) -> dict[str, Any]:
    """:func:`_entry` with its conformance notes."""
    entry = _entry(request_id, scope, path, at, duration, request_body, response, fault)
    entry["conformance"] = conformance.request_notes(
        entry["method"], entry["request"]["headers"], entry["request"].get("body"), applied
    )
    return entry


def _entry(
    request_id: str,
    scope: Scope,
    path: str,
    at: datetime,
    duration: float,
    request_body: bytes,
    response: dict[str, Any],
    fault: dict[str, Any] | None,
) -> dict[str, Any]:
    request_headers = _headers(scope["headers"])
    response_headers = _headers(response["headers"])
    sent = _body(bytes(response["body"]))
    received = _body(request_body)
    query = scope.get("query_string", b"").decode("latin-1")
    host = request_headers.get("host", "")
    url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
    return {
        "requestId": request_id,
        "time": at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "durationMs": duration,
        "method": scope["method"],
        "path": path,
        "query": _mask_query(query),
        "url": url + (f"?{_mask_query(query)}" if query else ""),
        "status": response["status"] or None,
        "resourceIds": _resource_ids(path, received, sent),
        "fault": fault,
        "client": {
            "userAgent": request_headers.get("user-agent"),
            "keyId": (_credential(_header(scope, b"authorization")) or (None, None))[0],
        },
        "request": {
            "headers": request_headers,
            **received,
            "bodyTruncated": len(request_body) >= BODY_CAP,
        },
        "response": {
            "headers": response_headers,
            **sent,
            "bodyTruncated": len(response["body"]) >= BODY_CAP,
        },
    }


def _headers(raw: Any) -> dict[str, str]:
    """Lower-case names; repeated ones joined (RFC 9110 §5.3); credentials masked."""
    found: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        if name == "authorization":
            scheme = text.strip().partition(" ")[0]
            text = f"{scheme} {MASK}" if scheme else MASK
        elif name != "x-request-id" and _SECRET_NAME.search(name):
            text = MASK
        found[name] = f"{found[name]}, {text}" if name in found else text
    return found


def _mask_query(query: str) -> str:
    def masked(part: str) -> str:
        name, sep, _ = part.partition("=")
        return f"{name}={MASK}" if sep and _SECRET_NAME.search(name) else part

    return "&".join(masked(p) for p in query.split("&")) if query else ""


def _body(raw: bytes) -> dict[str, Any]:
    """``{"body": JSON}`` when it parses, else ``{"bodyText": text}``; empty: ``{"body": None}``."""
    if not raw:
        return {"body": None}
    try:
        return {"body": _mask_passwords(orjson.loads(raw))}
    except orjson.JSONDecodeError:
        return {"bodyText": raw.decode("utf-8", "replace")}


def _mask_passwords(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if k.lower() == "password" and v is not None else _mask_passwords(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_passwords(v) for v in value]
    return value


def _resource_ids(path: str, received: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    """The resource of the path, the one created, and members named in the body."""
    ids: list[str] = []
    match = _ID_PATH.match(path)
    if match:
        ids.append(match.group(2))
    body = sent.get("body")
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        ids.append(body["id"])
    for value in _member_values(received.get("body")):
        ids.append(value)
    return list(dict.fromkeys(ids))


def _member_values(body: Any) -> list[str]:
    """``members[].value`` of a Group body or of a PatchOp's values (RFC 7644 §3.5.2)."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    values = [body.get("members")]
    for op in body.get("Operations") or []:
        if isinstance(op, dict):
            value = op.get("value")
            values.append(value if isinstance(value, list) else None)
            if isinstance(value, dict):
                values.append(value.get("members"))
    for members in values:
        for member in members if isinstance(members, list) else ():
            if isinstance(member, dict) and isinstance(member.get("value"), str):
                found.append(member["value"])
    return found
