"""A tenant's request journal (openapi/admin.yaml, tag Mock): read with
filters and paging, cleared, exported as JSON Lines or HAR 1.2, followed
live (server-sent events), and verified (scimdock.mock.rules.verify)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from scimdock.core.errors import InvalidValue
from scimdock.handlers.admin import auth, times
from scimdock.handlers.admin.respond import body_of, no_content, ok
from scimdock.handlers.context import RequestContext
from scimdock.mock.handlers import state
from scimdock.mock.handlers.har import archive
from scimdock.mock.rules.matcher import bad_pattern, matches
from scimdock.mock.rules.verify import verify

#: Seconds between the comments that keep an idle event stream open.
KEEPALIVE = 15.0


async def _entries(ctx: RequestContext, tenant: str) -> tuple[int, list[dict[str, Any]]]:
    journal = state.journal()
    tenant_id = (await auth.tenant(ctx, tenant)).id
    return tenant_id, journal.entries(tenant_id)


async def get_journal(
    ctx: RequestContext,
    tenant: str,
    method: str | None = None,
    path: str | None = None,
    status: int | None = None,
    since: str | None = None,
    until: str | None = None,
    resourceId: str | None = None,
    startIndex: int = 1,
    count: int = 100,
) -> Response:
    _, entries = await _entries(ctx, tenant)
    start = times.parse(since, "since") if since is not None else None
    end = times.parse(until, "until") if until is not None else None
    given = {"method": method, "path": path, "status": status}
    matcher = {k: v for k, v in given.items() if v is not None}
    chosen = [
        e
        for e in entries
        if matches(e, matcher)
        and (start is None or e["time"] >= start)
        and (end is None or e["time"] < end)
        and (resourceId is None or resourceId in e["resourceIds"])
    ]
    page = chosen[startIndex - 1 : startIndex - 1 + count]
    return ok(
        {
            "totalResults": len(chosen),
            "startIndex": startIndex,
            "itemsPerPage": len(page),
            "Resources": page,
        }
    )


async def clear_journal(ctx: RequestContext, tenant: str) -> Response:
    journal = state.journal()
    journal.clear((await auth.tenant(ctx, tenant)).id)
    return no_content()


async def get_journal_lines(ctx: RequestContext, tenant: str) -> Response:
    """JSON Lines (https://jsonlines.org/): one entry a line."""
    _, entries = await _entries(ctx, tenant)
    body = b"".join(orjson.dumps(e) + b"\n" for e in entries)
    return Response(body, 200, media_type="application/jsonl")


async def get_journal_har(ctx: RequestContext, tenant: str) -> Response:
    _, entries = await _entries(ctx, tenant)
    return ok(archive(entries))


async def stream_journal(
    ctx: RequestContext, tenant: str, seconds: float | None = None
) -> Response:
    """Server-sent events (HTML Living Standard §9.2): ``event: entry``,
    ``id`` the entry's seq, ``data`` the entry."""
    journal = state.journal()
    tenant_id = (await auth.tenant(ctx, tenant)).id
    deadline = None if seconds is None else time.monotonic() + seconds

    async def events() -> AsyncIterator[bytes]:
        with journal.listening(tenant_id) as queue:
            yield b": scimdock journal\n\n"
            while deadline is None or time.monotonic() < deadline:
                wait = (
                    KEEPALIVE if deadline is None else min(KEEPALIVE, deadline - time.monotonic())
                )
                try:
                    entry = await asyncio.wait_for(queue.get(), max(wait, 0))
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield b"event: entry\nid: %d\ndata: %s\n\n" % (entry["seq"], orjson.dumps(entry))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


def _checked(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with every ``matches`` a regular expression, else 400."""
    for matcher in [spec, *(spec.get("inOrder") or [])]:
        problem = bad_pattern(matcher)
        if problem:
            raise InvalidValue(f"Field 'matches': {problem}")
    return spec


async def verify_journal(ctx: RequestContext, tenant: str, body: Any) -> Response:
    _, entries = await _entries(ctx, tenant)
    return ok(verify(entries, _checked(body_of(body))))


async def find_journal(ctx: RequestContext, tenant: str, body: Any) -> Response:
    """The entries the matcher (scimdock.mock.rules.matcher) matches, oldest first."""
    _, entries = await _entries(ctx, tenant)
    matcher = _checked(body_of(body))
    chosen = [e for e in entries if matches(e, matcher)]
    return ok(
        {
            "totalResults": len(chosen),
            "startIndex": 1,
            "itemsPerPage": len(chosen),
            "Resources": chosen,
        }
    )
