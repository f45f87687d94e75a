"""The mock's ASGI layer: every SCIM exchange into its tenant's journal,
and the tenant's fault rules carried out (scimdock.mock.faults).

Wrapped around the application by :func:`scimdock.worker.assemble` only
when ``SCIMDOCK_JOURNAL`` or ``SCIMDOCK_FAULTS`` is on (``scimdock mock``
switches both on): ``serve`` runs without it and pays nothing.

An entry holds the method, the path under the SCIM base URL, the query,
both header sets with every credential masked (``Authorization`` keeps
its scheme, cookies and any header or query parameter naming a token,
secret, key or password lose their value), both bodies (JSON when they
parse; any ``password`` value masked, RFC 7643 §4.1.1 makes it
write-only), the status, the duration, the ids of the resources touched,
the time, the request id (``X-Request-ID``, scimdock.front.access), the
fault done to it, if any, and whether the server carried it out; the
entry itself is built by scimdock.mock.journal_entry when first read.

The tenant is the authenticated key's (RFC 7644 §2); a request refused
before that (a wrong secret, no credential) is put in the journal of the
tenant its key id names, or that the host names, else of the mock's own
tenant.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimdock.core import leniency
from scimdock.core.tenants import tenant_from_host
from scimdock.handlers.context import request_context
from scimdock.handlers.http import BASE_PATH
from scimdock.handlers.security import secret_matches
from scimdock.mock import faults as actions
from scimdock.mock import journal_entry as entry
from scimdock.mock.handlers.state import FaultBook, Journal
from scimdock.mock.journal_entry import BODY_CAP


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

        async def noted(message: Message) -> None:
            """Note it; the last body message (or a fault's end of the
            exchange) records the exchange, before the last byte leaves: a
            client that reads the journal once it has its answer, or has
            seen its connection end, finds the exchange there."""
            await note(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                await record()

        async def recording_send(message: Message) -> None:
            await noted(message)
            await send(message)

        fault: dict[str, Any] | None = None
        tenant: int | None = None
        recorded = False
        #: The server's own answer, when a fault stands between.
        served: dict[str, Any] = {"status": None, "body": bytearray()}

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
                own = served if fault is not None else {"status": response["status"] or None}
                self.journal.add(
                    tenant,
                    partial(
                        entry.noted_entry,
                        request_context().request_id,
                        scope,
                        path,
                        at,
                        duration,
                        bytes(request_body),
                        response,
                        fault,
                        own,
                        list(applied),
                    ),
                )

        async def serving(scope: Scope, receive: Receive, send: Send) -> None:
            """The server, its answer's status kept (``applied``)."""

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start":
                    served["status"] = message["status"]
                elif message["type"] == "http.response.body" and len(served["body"]) < BODY_CAP:
                    served["body"].extend(
                        message.get("body", b"")[: BODY_CAP - len(served["body"])]
                    )
                await send(message)

            await self.app(scope, receive, watch)

        with leniency.noting() as applied:
            try:
                receive_on: Receive = recording_receive
                if self.faults is not None and self.faults.any():
                    tenant = await self._tenant(scope, verified=True)
                    if tenant is not None and self.faults.has(tenant):
                        # Read the body first: a rule may match on it, and a
                        # request answered by the fault alone, dropped, or whose
                        # client gives up during a delay is journaled with it.
                        receive_on = await actions.read_first(recording_receive, BODY_CAP)
                        picked = self.faults.pick(
                            tenant, entry.request_view(scope, path, request_body)
                        )
                        if picked is not None and picked[1]:
                            rule, action = picked
                            fault = {"rule": self.faults.index(tenant, rule), **action}
                if fault is None:
                    await self.app(scope, receive_on, recording_send)
                else:
                    await actions.act(fault, serving, scope, receive_on, recording_send, noted)
            finally:
                await record()

    async def _tenant(self, scope: Scope, *, verified: bool = False) -> int | None:
        return await tenant_of(scope, self.fallback, verified=verified)


async def tenant_of(scope: Scope, fallback: int | None, *, verified: bool = False) -> int | None:
    """The tenant the credential's key id names (its secret checked when
    ``verified``: a fault is done only to the tenant's own requests), else
    the host's, else ``fallback``."""
    runtime = request_context().runtime
    pair = entry.credential(entry.header(scope, b"authorization"))
    if pair is not None:
        key = await runtime.store.get_key(pair[0], last_use=False)
        if key is not None and (not verified or secret_matches(pair[1], key, runtime.clock)):
            return key.tenant_id
        if verified:
            return None
    name = tenant_from_host(entry.header(scope, b"host"), runtime.settings.domain)
    if name is not None:
        found = await runtime.store.get_tenant(name)
        return None if found is None else found.id
    return fallback


def _authenticated(scope: Scope) -> int | None:
    """The tenant of the SCIM key that authenticated the request, if any
    (handlers.context)."""
    return request_context().tenant_id
