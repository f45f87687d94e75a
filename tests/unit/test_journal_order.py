"""The mock's journal records an exchange before the answer's last byte is
sent (scimdock.mock.journal.JournalLayer): a client that reads the journal as
soon as it has its answer finds the exchange there. Driven as an ASGI app
over a stand-in ``send`` that looks at the journal at that moment."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from scimdock.handlers.context import RequestContext, enter
from scimdock.handlers.runtime import Runtime
from scimdock.mock.handlers.state import Journal
from scimdock.mock.journal import JournalLayer
from scimdock.settings import Settings
from scimdock.store.sqlite import SqliteStore

TENANT = 7


@pytest.fixture(autouse=True)
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    store = SqliteStore(tmp_path / "journal.db")
    try:
        yield Runtime(store, Settings())
    finally:
        store.close_now()


def _scope(runtime: Runtime, path: str) -> Scope:
    """A request already authenticated for :data:`TENANT`: its context as
    the front makes it and the security functions fill it in."""
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"scim.test")],
    }
    ctx = RequestContext(runtime, scope, "request-1", 0.0)
    ctx.authenticated("key-1", TENANT, "acme", 0)
    enter(ctx)  # asyncio.run's task starts from a copy of this context
    return scope


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"a":', "more_body": True})
    await send({"type": "http.response.body", "body": b"1}"})


def test_the_entry_is_in_the_journal_before_the_last_body_message_is_sent(
    runtime: Runtime,
) -> None:
    journal = Journal(100)
    layer = JournalLayer(_answer, journal=journal, faults=None)
    seen: list[tuple[bool, int]] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            seen.append((bool(message.get("more_body")), len(journal.entries(TENANT))))

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    asyncio.run(layer(_scope(runtime, "/scim/v1/Users"), receive, send))
    # Not before the answer is whole (its body is what the entry keeps), but
    # before its last part leaves.
    assert seen == [(True, 0), (False, 1)]
    [entry] = journal.entries(TENANT)
    assert entry["path"] == "/Users" and entry["status"] == 200


def test_an_exchange_without_a_last_body_message_is_recorded_when_it_ends(
    runtime: Runtime,
) -> None:
    journal = Journal(100)

    async def dropped(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionResetError  # the connection went before the body

    layer = JournalLayer(dropped, journal=journal, faults=None)

    async def send(message: Message) -> None:
        return None

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.raises(ConnectionResetError):
        asyncio.run(layer(_scope(runtime, "/scim/v1/Groups"), receive, send))
    entries: list[Any] = journal.entries(TENANT)
    assert [e["path"] for e in entries] == ["/Groups"]
