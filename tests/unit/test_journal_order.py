"""The mock's journal records an exchange before the answer's last byte is
sent (scimdock.journal.JournalLayer): a client that reads the journal as
soon as it has its answer finds the exchange there. Driven as an ASGI app
over a stand-in ``send`` that looks at the journal at that moment."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from scimdock.handlers.mock.state import Journal
from scimdock.journal import JournalLayer

TENANT = 7


def _scope(path: str) -> Scope:
    """A request already authenticated for :data:`TENANT` (Connexion's
    context, as the security functions leave it)."""
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"scim.test")],
        "extensions": {"connexion_context": {"token_info": {"tenant_id": TENANT}}},
    }


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"a":', "more_body": True})
    await send({"type": "http.response.body", "body": b"1}"})


def test_the_entry_is_in_the_journal_before_the_last_body_message_is_sent() -> None:
    journal = Journal(100)
    layer = JournalLayer(_answer, journal=journal, faults=None)
    seen: list[tuple[bool, int]] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            seen.append((bool(message.get("more_body")), len(journal.entries(TENANT))))

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    asyncio.run(layer(_scope("/scim/v1/Users"), receive, send))
    # Not before the answer is whole (its body is what the entry keeps), but
    # before its last part leaves.
    assert seen == [(True, 0), (False, 1)]
    [entry] = journal.entries(TENANT)
    assert entry["path"] == "/Users" and entry["status"] == 200


def test_an_exchange_without_a_last_body_message_is_recorded_when_it_ends() -> None:
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
        asyncio.run(layer(_scope("/scim/v1/Groups"), receive, send))
    entries: list[Any] = journal.entries(TENANT)
    assert [e["path"] for e in entries] == ["/Groups"]
