"""The floor: the least an ASGI app on the same uvicorn and httptools does
to answer ``GET /scim/v1/Users/{id}`` as scimdock answers it.

It checks the bearer token's SHA-256 against the one it was given, in
constant time (``hmac.compare_digest``), reads the document from SQLite
by (tenant, id), and answers it with its ``ETag``: 200, or 401 / 404 with
no body. No framework, no routing table, no validation, no logging, no
projection: whatever scimdock's GET costs above this is the price of
everything else it does. :func:`prepare` copies the documents a running
scimdock answers into the floor's database (bench/steps.py), so both serve
the same bytes for the same ids.

Serve with ``uvicorn bench.floor:app`` (``BENCH_FLOOR_DB``: the database,
``BENCH_PEER_TOKEN``: the token).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import sqlite3
from pathlib import Path
from typing import Any

PREFIX = "/scim/v1/Users/"
TENANT = 1
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS users (tenant INTEGER NOT NULL, id TEXT NOT NULL,"
    " version INTEGER NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID"
)
_UNAUTHORIZED = {
    "type": "http.response.start",
    "status": 401,
    "headers": [(b"content-length", b"0")],
}
_NOT_FOUND = {"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]}
_EMPTY = {"type": "http.response.body", "body": b""}


def prepare(db: Path, origin_port: int, base: str, auth: str, ids: list[str]) -> None:
    """The documents of ``ids`` as the scimdock on ``origin_port`` answers
    them, with their versions, into ``db`` (tenant :data:`TENANT`)."""
    conn = http.client.HTTPConnection("127.0.0.1", origin_port, timeout=30)
    rows = []
    try:
        for id in ids:
            conn.request("GET", f"{base}/Users/{id}", headers={"Authorization": auth})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {id}: {response.status} {body[:200]!r}")
            etag = response.getheader("ETag") or ""
            rows.append((TENANT, id, int(etag.strip('W/"') or 0), body))
    finally:
        conn.close()
    with sqlite3.connect(db) as out:
        out.execute("PRAGMA journal_mode=WAL")
        out.execute(SCHEMA)
        out.executemany("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)", rows)


class Floor:
    def __init__(self, db: str, token: str) -> None:
        self.expected = hashlib.sha256(token.encode()).digest()
        self.db = sqlite3.connect(db, check_same_thread=False)
        self.db.execute("PRAGMA query_only=ON")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        token = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value[7:] if value[:7].lower() == b"bearer " else b""
                break
        if not hmac.compare_digest(hashlib.sha256(token).digest(), self.expected):
            await send(_UNAUTHORIZED)
            await send(_EMPTY)
            return
        path = scope["path"]
        row = None
        if path.startswith(PREFIX):
            row = self.db.execute(
                "SELECT version, doc FROM users WHERE tenant = ? AND id = ?",
                (TENANT, path[len(PREFIX) :]),
            ).fetchone()
        if row is None:
            await send(_NOT_FOUND)
            await send(_EMPTY)
            return
        version, doc = row
        headers = [
            (b"content-type", b"application/scim+json"),
            (b"content-length", str(len(doc)).encode()),
            (b"etag", f'W/"{version}"'.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": doc})


def __getattr__(name: str) -> Any:
    """``app``, made on first use (uvicorn imports it by name): the
    environment is read in the server process only."""
    if name == "app":
        return Floor(os.environ["BENCH_FLOOR_DB"], os.environ["BENCH_PEER_TOKEN"])
    raise AttributeError(name)
