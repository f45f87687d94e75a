"""A full disk under the database (docs/security.md, "A full disk"): a write
the disk refuses is a SCIM Error 503 with ``Retry-After`` (RFC 7644 §3.12,
RFC 9110 §15.6.4), nothing acknowledged is lost (a 201 stays readable, also
after a restart), reads keep working, and writes succeed again, without a
restart, once there is room.

The database lives on a small tmpfs of its own (``mount -t tmpfs``, as root:
CI runs as root on Linux), filled with a file but for a little room.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Client, Server, start_server, stop_server
from scimdock.core.query import ListQuery
from scimdock.store.base import UserRecord
from scimdock.store.errors import Unavailable
from scimdock.store.sqlite import SqliteStore

#: SQLite's file on a full disk: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
#: Room left beside the filler: a few writes fit, then the disk is full.
ROOM = 256 * 1024
#: Each user carries this much text, so the room goes in a few dozen writes.
BIG = "x" * 16_000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted afterwards. Mounting needs root: outside CI
    a machine without it skips; in CI (``CI=true``) that is a failure."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs: {done.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> Path:
    """A file taking all of ``disk`` but :data:`ROOM`."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * (stat.f_bavail * stat.f_frsize - ROOM))
    return filler


def _user(n: int) -> dict[str, Any]:
    return {"schemas": [USER], "userName": f"u{n}", "title": f"{n}{BIG}"}


def _create_until_refused(client: Client, start: int) -> tuple[dict[str, int], Any]:
    """POST users until one is refused; the ids of those created (their
    number by id) and the refusal."""
    created: dict[str, int] = {}
    for n in range(start, start + 400):
        r = client.post("/Users", json=_user(n))
        if r.status_code != 201:
            return created, r
        created[r.json()["id"]] = n
    raise AssertionError("400 users of 16 kB fitted in 256 kB: the disk never filled")


def _create(client: Client, start: int, count: int) -> dict[str, int]:
    """``count`` users, each of which must be created."""
    created: dict[str, int] = {}
    for n in range(start, start + count):
        r = client.post("/Users", json=_user(n))
        assert r.status_code == 201, r.text
        created[r.json()["id"]] = n
    return created


def _assert_readable(client: Client, created: dict[str, int]) -> None:
    for user_id, n in created.items():
        r = client.get(f"/Users/{user_id}")
        assert r.status_code == 200, r.text
        assert r.json()["title"] == f"{n}{BIG}"
    listed = client.get("/Users", params={"count": 0})
    assert listed.status_code == 200, listed.text
    assert listed.json()["totalResults"] == len(created)


def _assert_unavailable(r: Any) -> None:
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) >= 1
    body = r.json()
    assert body["status"] == "503"
    assert "disk is full" in body["detail"]


def test_a_full_disk_refuses_writes_with_503_and_loses_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    server: Server = start_server(tmp_path, db=small_disk / "scimdock.db")
    try:
        token = server.tenant("full")
        server.close_store()  # only the server's connections from here on
        client = Client(server, token)
        filler = _fill(small_disk)

        created, refused = _create_until_refused(client, 0)
        _assert_unavailable(refused)
        assert created, "not one user fitted in the room left"
        # Refused again, not half-done; other writes too; reads still answer.
        _assert_unavailable(client.post("/Users", json=_user(10_000)))
        some = next(iter(created))
        _assert_unavailable(client.put(f"/Users/{some}", json=_user(10_001)))
        _assert_readable(client, created)

        # A restart on the full disk: every acknowledged write is there.
        stop_server(server)
        server = start_server(tmp_path, db=small_disk / "scimdock.db")
        client = Client(server, token)
        _assert_readable(client, created)
        _assert_unavailable(client.post("/Users", json=_user(10_002)))

        # Room again: the same server takes writes, without a restart.
        filler.unlink()
        more = _create(client, 20_000, 20)
        _assert_readable(client, created | more)
    finally:
        stop_server(server)


def test_a_batch_the_disk_refuses_is_rolled_back_whole(small_disk: Path) -> None:
    """The store itself (store.group_commit): writes awaited together share
    a COMMIT; when the disk refuses it, each of them is :class:`Unavailable`
    and none is on disk, and the same writer takes the next batch."""

    async def scenario() -> None:
        store = SqliteStore(small_disk / "s.db")
        try:
            tenant = (await store.create_tenant("full")).id
            filler = _fill(small_disk)
            docs = [_user(n) for n in range(40)]  # 640 kB for 256 kB of room
            results = await asyncio.gather(
                *(store.create(tenant, "User", doc) for doc in docs), return_exceptions=True
            )
            refused = [
                d for d, r in zip(docs, results, strict=True) if isinstance(r, BaseException)
            ]
            assert refused, "the disk took 640 kB in 256 kB"
            for result in results:
                assert isinstance(result, (UserRecord, Unavailable)), repr(result)
            kept = {r.doc["userName"] for r in results if isinstance(r, UserRecord)}
            _, listed = await store.search(tenant, "User", ListQuery(count=100))
            assert {u.doc["userName"] for u in listed} == kept

            filler.unlink()
            # Nothing of a refused write is left: its userName is free.
            again = await asyncio.gather(*(store.create(tenant, "User", d) for d in refused))
            assert {r.doc["userName"] for r in again} == {d["userName"] for d in refused}
        finally:
            await store.close()

    asyncio.run(scenario())
