"""Test data: Entra-like users ``user<i>@example.com``, loaded either through
HTTP (``POST /Users``, any server) or in bulk through the store
(:meth:`store.base.Store.create_users` on SQLite, scimdock only).

The bulk documents are built directly in the normalised form the store
keeps; :func:`check_docs` proves on a sample that they equal what
``POST /Users`` would store (:func:`core.resource.normalize_resource`).
"""

from __future__ import annotations

import http.client
import json
import sqlite3
from pathlib import Path
from typing import Any

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
NAME_FMT = "user%d@example.com"  # the Lua scripts use the same pattern


def body(i: int) -> dict[str, Any]:
    """The ``POST /Users`` body of user ``i`` (the shape of lua/post.lua)."""
    n = f"user{i}"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": f"{n}@example.com",
        "externalId": n,
        "active": True,
        "displayName": f"Bench User {n}",
        "name": {"givenName": "Bench", "familyName": n},
        "emails": [{"value": f"{n}@example.com", "type": "work", "primary": True}],
        ENTERPRISE: {"employeeNumber": n, "department": "Engineering"},
    }


def doc(i: int) -> dict[str, Any]:
    """The stored (normalised) document of user ``i``."""
    b = body(i)
    del b["schemas"]
    return b


def check_docs(sample: range = range(1, 200, 7)) -> None:
    """Assert that :func:`doc` is what the server stores for :func:`body`."""
    from scimdock.core.resource import normalize_resource
    from scimdock.core.schema import USER

    for i in sample:
        assert doc(i) == normalize_resource(body(i), USER), f"seed doc {i} is not normalised"


def bulk_load(db: Path, tenant: str, start: int, stop: int, chunk: int = 50_000) -> None:
    """Users ``start..stop-1`` into ``tenant`` with ``create_users``, one
    transaction per ``chunk``."""
    from scimdock.store.blocking import BlockingStore
    from scimdock.store.sqlite import SqliteStore

    store = BlockingStore(SqliteStore(db))
    try:
        found = store.get_tenant(tenant)
        assert found is not None, tenant
        for first in range(start, stop, chunk):
            store.create_users(found.id, [doc(i) for i in range(first, min(stop, first + chunk))])
    finally:
        store.close()


def checkpoint(db: Path) -> int:
    """Fold the WAL into the database file; its size in bytes."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def sample_ids(db: Path, tenant: str, n: int = 1000) -> list[str]:
    """``n`` random live user ids of ``tenant``."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id"
            " WHERE t.name = ? AND u.deleted IS NULL ORDER BY random() LIMIT ?",
            (tenant, n),
        ).fetchall()
    return [r[0] for r in rows]


def post_users(port: int, base: str, auth: str, start: int, stop: int) -> list[str]:
    """POST users ``start..stop-1`` one by one over one connection; their ids."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": auth, "Content-Type": "application/scim+json"}
    ids = []
    try:
        for i in range(start, stop):
            conn.request("POST", f"{base}/Users", body=json.dumps(body(i)), headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 201:
                raise RuntimeError(f"seeding POST answered {resp.status}: {data[:300]!r}")
            ids.append(json.loads(data)["id"])
    finally:
        conn.close()
    return ids
