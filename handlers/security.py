"""Authentication of SCIM clients (the ``bearerAuth`` and ``basicAuth``
schemes of openapi/scim.yaml).

The token is the Base64 of ``<key id>:<secret>``; Basic carries the same
pair. The secret is checked against its stored SHA-256 in constant time;
unknown keys are checked against a dummy hash so that timing does not tell
which key ids exist. Secrets never reach a log line.

Every request reads the key as of the database's latest commit (the store
keeps key rows only until the database changes: store.sql_keys): a
revocation, an expiry or a tenant's SCIM switched off refuses the very next
request. After a rotation with a grace period the previous secret is
accepted until the grace ends. Admin tokens (``sat_``/``sop_`` ids) are
not SCIM keys: the store has no such key, so they get 401 here.

Abuse (handlers.throttle, docs/security.md "Limits"): the credential is
checked first, and a valid one is never refused for failed logins (shared
egress addresses: one tenant's bad token must not lock out another). An
unknown key id, a wrong secret or a malformed token counts as a failure of
the client address, and a wrong secret of an existing key as one of that
key too; past the limit such a failure is answered 429 instead of 401. A
revoked or expired key, a wrong host or a tenant with SCIM off does not
count: those are not guesses. A valid credential's request counts against
its tenant's and key's rates and takes one of the tenant's in-flight slots.

Last use (time and client address) is noted in memory per request and
written at most every :data:`store.key_use.FLUSH_SECONDS` seconds in one
transaction, and when the server stops (the store's ``close``): no disk
write per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any

from connexion.exceptions import OAuthProblem

from scimdock.core import credentials
from scimdock.core.clock import Clock
from scimdock.core.tenants import tenant_from_host
from scimdock.handlers.context import PARAMETER, RequestContext, request_context
from scimdock.handlers.http import scope_header
from scimdock.store.base import ApiKey, Store
from scimdock.store.key_use import FLUSH_SECONDS

_log = logging.getLogger(__name__)
#: When each store's scheduled flush of key uses is due (``time.monotonic``),
#: if any: one timer per store, so that apps served side by side in one
#: process, each on a store of its own, never leave each other's uses
#: unwritten. A timer for batching disk writes, not a time anything is
#: compared with: it stays on the monotonic clock the event loop's
#: ``call_later`` uses too, whatever the runtime's clock says (the time of
#: each use it writes comes from the store's clock).
_flush_due: weakref.WeakKeyDictionary[Store, float] = weakref.WeakKeyDictionary()
_flushes: set[asyncio.Task[None]] = set()

_DUMMY_HASH = credentials.hash_secret("not-a-real-secret")
_INVALID = "Invalid credentials: check the key id and secret (the Base64 token)"


async def bearer_auth(token: str, request: Any) -> dict[str, Any]:
    """Connexion's ``x-bearerInfoFunc`` (openapi/scim.yaml). Of ``request``
    it reads only ``scope`` and ``context`` (the direct route hands it just
    those: scimdock.tuning.request.scope_and_context)."""
    ctx = context_of(request)
    scope = request.scope
    address = client_address(scope)
    pair = credentials.decode_token(token)
    if pair is None:
        raise await refused(
            ctx,
            address,
            None,
            token,
            "Malformed bearer token: expected Base64 of '<key id>:<secret>'",
        )
    return await _admitted(ctx, scope, pair[0], pair[1], address)


async def basic_auth(username: str, password: str, request: Any) -> dict[str, Any]:
    scope = request.scope
    return await _admitted(context_of(request), scope, username, password, client_address(scope))


def context_of(request: Any) -> RequestContext:
    """The request's context, an entry of Connexion's request context
    (``request.context``), where the front put it (handlers.context); for
    a request outside Connexion (the mock's console signs in with the same
    functions), the one the front entered for it."""
    context = getattr(request, "context", None)
    if context is None:
        return request_context()
    ctx: RequestContext = context[PARAMETER]
    return ctx


async def _admitted(
    ctx: RequestContext, scope: Any, key_id: str, secret: str, address: str | None
) -> dict[str, Any]:
    """:func:`authenticate`, then the request's rates and in-flight slot;
    the request's context learns who is asking (handlers.context)."""
    info = await authenticate(ctx, key_id, secret, scope_header(scope, "host"), address)
    await ctx.runtime.throttle.admit(scope, info["tenant_id"], info["sub"])
    ctx.authenticated(info["sub"], info["tenant_id"], info["tenant"], info["schema_tag"])
    return info


def client_address(scope: Any) -> str | None:
    """The client's IP address (behind a trusted proxy, uvicorn has already
    put ``X-Forwarded-For`` there: docs/configuration.md)."""
    client = scope.get("client")
    return None if client is None else str(client[0])


async def authenticate(
    ctx: RequestContext, key_id: str, secret: str, host: str | None, address: str | None = None
) -> dict[str, Any]:
    """The token info of a valid credential, or :class:`OAuthProblem` (401);
    a guess (unknown key id, wrong secret) counts as a failure of ``address``."""
    runtime = ctx.runtime
    key = await runtime.store.get_key(key_id, last_use=False)
    if key is None:
        credentials.verify(secret, _DUMMY_HASH)
        raise await refused(ctx, address, None, f"{key_id}:{secret}", _INVALID)
    if not secret_matches(secret, key, runtime.clock):
        raise await refused(ctx, address, key.key_id, f"{key_id}:{secret}", _INVALID)
    if key.revoked is not None:
        raise OAuthProblem(detail="This key has been revoked")
    if key.expires is not None and key.expires <= runtime.clock.now():
        raise OAuthProblem(detail="This key has expired")
    host_tenant = tenant_from_host(host, runtime.settings.domain)
    if host_tenant is not None and host_tenant != key.tenant_name:
        raise OAuthProblem(detail="This key does not belong to the tenant named by the host")
    if not key.tenant_scim_enabled:
        raise OAuthProblem(
            detail=f"SCIM access is not enabled for tenant {key.tenant_name!r}: ask the operator"
        )
    _note_use(runtime.store, key.key_id, address)
    return {
        "sub": key.key_id,
        "tenant_id": key.tenant_id,
        "tenant": key.tenant_name,
        "schema_tag": key.tenant_schema_tag,
    }


async def refused(
    ctx: RequestContext, address: str | None, key_id: str | None, credential: str, detail: str
) -> Exception:
    """The answer to a failed login (a guess) with ``credential``: 401 with
    ``detail``, or the 429 of :meth:`Throttle.failed` once ``address`` or
    the key ``key_id`` has used up its failures."""
    failed = await ctx.runtime.throttle.failed(address, key_id, credential)
    return failed or OAuthProblem(detail=detail)


def secret_matches(secret: str, key: ApiKey, clock: Clock) -> bool:
    """The current secret, or the previous one while its grace lasts (by
    ``clock``, read only for a key that has a grace). Both hashes are
    compared (constant time each) whatever the first says."""
    previous = key.previous_hash
    if key.previous_valid_until is None or key.previous_valid_until <= clock.now():
        previous = None
    current_ok = credentials.verify(secret, key.secret_hash)
    previous_ok = credentials.verify(secret, _DUMMY_HASH if previous is None else previous)
    return current_ok or (previous is not None and previous_ok)


def _note_use(store: Store, key_id: str, address: str | None) -> None:
    """Note the use in memory; schedule one flush :data:`FLUSH_SECONDS`
    seconds from now unless one is already due (a timer lost with its event
    loop, as when a test app stops, is replaced once overdue)."""
    store.note_key_use(key_id, address)
    now = time.monotonic()
    due = _flush_due.get(store)
    if due is not None and now < due + FLUSH_SECONDS:
        return
    loop = asyncio.get_running_loop()
    _flush_due[store] = now + FLUSH_SECONDS
    loop.call_later(FLUSH_SECONDS, _flush_soon, store, loop)


def _flush_soon(store: Store, loop: asyncio.AbstractEventLoop) -> None:
    """The scheduled flush: a write like any other (store.group_commit), so
    the event loop never waits for the disk."""
    _flush_due.pop(store, None)
    task = loop.create_task(_flush_durably(store))
    _flushes.add(task)  # a reference until done: the loop keeps only weak ones
    task.add_done_callback(_flushes.discard)


async def _flush_durably(store: Store) -> None:
    try:
        await store.flush_key_uses()
    except Exception:  # never fail a request over it
        _log.warning("could not record key use", exc_info=True)
