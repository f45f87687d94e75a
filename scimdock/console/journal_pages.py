"""The console's journal (docs/mock.md, "Web console"): the list, filtered
by method, status and path with the journal's own matcher (scimdock.mock.rules.matcher,
as ``GET /journal`` filters), faulted rows marked, each request's query
string shown; one entry's detail (bodies, headers as the journal masks
them, conformance notes with the RFC's words, the fault that fired); the
live stream of new entries; and clearing the journal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote_plus

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from scimdock.console import PREFIX
from scimdock.console.pages import ROWS, render, tenant_of
from scimdock.console.sessions import Session
from scimdock.core.errors import ScimError
from scimdock.mock.handlers import state
from scimdock.mock.rules.matcher import matches

#: The filters of the list, in the order the form shows them.
FILTERS = ("method", "status", "path")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def matcher_of(filters: dict[str, str]) -> dict[str, Any]:
    """The request matcher (scimdock.mock.rules.matcher) of the list's filters; a
    ``ValueError`` for a status that is no number."""
    found: dict[str, Any] = {}
    if filters["method"]:
        found["method"] = filters["method"]
    if filters["path"]:
        found["path"] = filters["path"]
    if filters["status"]:
        text = filters["status"]
        if text.lower() == "none":  # no answer sent: dropped, timed out
            found["status"] = None
        elif text.isdigit() and len(text) == 3:
            found["status"] = int(text)
        else:
            raise ValueError(f"status {text!r} is not a status code (or none)")
    return found


def fault_text(fault: dict[str, Any] | None) -> str:
    """A fault as one line: the rule's index and what it did."""
    if not fault:
        return ""
    done = ", ".join(
        f"{k} {v}" if not isinstance(v, dict) else k for k, v in fault.items() if k != "rule"
    )
    return f"rule {fault['rule']}: {done}"


def row(entry: dict[str, Any]) -> dict[str, Any]:
    """What the list and the live stream show of an entry."""
    return {
        "seq": entry["seq"],
        "method": entry["method"],
        "path": entry["path"],
        "query": unquote_plus(entry["query"] or ""),  # as the client meant it
        "status": entry["status"],
        "fault": fault_text(entry["fault"]),
        "notes": [n["rule"] for n in entry.get("conformance") or ()],
    }


async def journal(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    filters = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    error = None
    try:
        matcher = matcher_of(filters)
    except ValueError as exc:
        matcher, error = {}, str(exc)
    chosen = [e for e in state.journal().entries(tenant.id) if matches(e, matcher)]
    return render(
        "journal.html",
        request,
        session,
        tenant=tenant,
        rows=[row(e) for e in chosen[-ROWS:][::-1]],
        total=len(chosen),
        filters=filters,
        methods=METHODS,
        error=error,
        live=not matcher,  # new entries are shown live only unfiltered
    )


async def entry(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    seq = request.path_params["seq"]
    found = next((e for e in state.journal().entries(tenant.id) if e["seq"] == seq), None)
    if found is None:
        raise ScimError(404, f"No journal entry {seq} (the journal keeps the last entries only)")
    bodies = {side: pretty(found[side]) for side in ("request", "response") if side in found}
    return render(
        "entry.html",
        request,
        session,
        tenant=tenant,
        e=found,
        query=unquote_plus(found["query"] or ""),
        bodies=bodies,
        fault=fault_text(found["fault"]),
        fault_json=orjson.dumps(found["fault"]).decode() if found["fault"] else "",
    )


def pretty(side: dict[str, Any]) -> str:
    """A side's body as the journal keeps it: JSON indented, else its text."""
    if side.get("body") is not None:
        return orjson.dumps(side["body"], option=orjson.OPT_INDENT_2).decode()
    return str(side.get("bodyText") or "")


async def clear(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    state.journal().clear(tenant.id)
    return RedirectResponse(f"{PREFIX}/t/{tenant.name}/journal", 303)


async def stream(request: Request, session: Session) -> Response:
    """New entries as server-sent events, for the page's EventSource."""
    tenant = await tenant_of(request, session)
    book = state.journal()

    async def events() -> AsyncIterator[bytes]:
        with book.listening(tenant.id) as queue:
            yield b": scimdock console\n\n"
            while True:
                try:
                    new = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield b"event: entry\ndata: %s\n\n" % orjson.dumps(row(new))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
