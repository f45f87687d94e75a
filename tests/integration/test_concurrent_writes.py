"""Concurrent writes over HTTP (store.group_commit): many clients at once,
each answer right, and every acknowledged write on disk even when the
server is killed the moment the last answer arrives."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import Server, start_server, stop_server
from tests import database

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CLIENTS = 8


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    if server.process.poll() is None:
        stop_server(server)


def _http(server: Server, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base,
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )


def test_concurrent_creates_patches_and_deletes_all_land(own_server: Server) -> None:
    token = own_server.tenant("acme")
    names = [f"user{i}@example.com" for i in range(120)]
    # Each name twice, the second time in capitals, from different clients:
    # exactly one of each pair is created, the other is a 409.
    attempts = names + [n.upper() for n in names]

    def create(name: str) -> httpx.Response:
        with _http(own_server, token) as http:
            return http.post("/Users", json={"schemas": [USER], "userName": name})

    with ThreadPoolExecutor(CLIENTS) as pool:
        created = list(pool.map(create, attempts))
    statuses = [r.status_code for r in created]
    assert set(statuses) == {201, 409}
    assert statuses.count(201) == len(names)
    for response in created:
        if response.status_code == 409:
            assert response.json()["scimType"] == "uniqueness"
    ids = {r.json()["userName"].lower(): r.json()["id"] for r in created if r.status_code == 201}
    assert sorted(ids) == sorted(names)

    # Concurrent PATCHes of one user: each is applied once, in some order.
    target = ids[names[0]]

    def patch(i: int) -> httpx.Response:
        with _http(own_server, token) as http:
            return http.patch(
                f"/Users/{target}",
                json={
                    "schemas": [PATCH],
                    "Operations": [{"op": "replace", "path": "displayName", "value": f"name {i}"}],
                },
            )

    with ThreadPoolExecutor(CLIENTS) as pool:
        patched = list(pool.map(patch, range(40)))
    assert all(r.status_code == 200 for r in patched)
    versions = sorted(r.headers["ETag"] for r in patched)
    assert len(set(versions)) == 40  # every PATCH made its own version

    # Deletes of half the users, alongside reads of the other half.
    doomed = [ids[n] for n in names[60:]]
    kept = [ids[n] for n in names[1:60]]

    def delete_or_read(user_id: str) -> int:
        with _http(own_server, token) as http:
            if user_id in doomed:
                return http.delete(f"/Users/{user_id}").status_code
            return http.get(f"/Users/{user_id}").status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(delete_or_read, doomed + kept))
    assert outcomes == [204] * len(doomed) + [200] * len(kept)

    # Killed at once, no shutdown: what was acknowledged is in the database.
    own_server.process.send_signal(signal.SIGKILL)
    own_server.process.wait(10)
    db = own_server.db
    live = {r[0] for r in database.query(db, "SELECT id FROM users WHERE deleted IS NULL")}
    dead = {r[0] for r in database.query(db, "SELECT id FROM users WHERE deleted IS NOT NULL")}
    ((version,),) = database.query(db, "SELECT version FROM users WHERE id = ?", (target,))
    ((audited,),) = database.query(
        db,
        "SELECT count(*) FROM audit WHERE resource_type = 'User'"
        " AND operation IN ('create', 'patch', 'delete')",
    )
    assert live == {target, *kept} and dead == set(doomed)
    assert version == 41
    assert audited == len(names) + 40 + len(doomed)
