"""Several scimdock processes on one database (a SQLite file, or one
PostgreSQL database under ``--backend=postgresql``), as behind one load
balancer: two separate ``scimdock serve`` on the same database, and one
``serve --workers 2`` (on PostgreSQL: ``serve`` refuses it on SQLite). Each process has its own connections, key cache
and buffered key uses; the database is all they share. What one writes
or revokes, the other honours on its next request (docs/architecture.md,
"Several processes")."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from conftest import (
    BACKEND,
    ROOT,
    Client,
    Server,
    free_port,
    new_database,
    start_server,
    stop_server,
    wait_until,
)
from scimdock.core.clock import SystemClock
from scimdock.store.blocking import BlockingStore
from scimdock.store.opening import open_store
from scimdock.store.pg_epoch import LEASE
from tests import database

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
T = TypeVar("T")


def _start_pair(tmp: Path) -> tuple[Server, Server]:
    """Two ``scimdock serve`` processes on one new database (one after the
    other: the first creates and migrates it)."""
    db = new_database(tmp)
    (tmp / "one").mkdir()
    (tmp / "two").mkdir()
    first = start_server(tmp / "one", db=db)
    try:
        return first, start_server(tmp / "two", db=db)
    except BaseException:
        stop_server(first)
        raise


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    one, two = _start_pair(tmp_path_factory.mktemp("pair"))
    yield one, two
    stop_server(two)
    stop_server(one)


def _race(*calls: Callable[[], T]) -> list[T]:
    """Each call on its own thread, all released at once."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(run, call) for call in calls]]


def _user(name: str) -> dict[str, object]:
    return {"schemas": [USER], "userName": name}


def _key_id(token: str) -> str:
    return base64.b64decode(token).decode().split(":", 1)[0]


def test_a_user_name_raced_through_both_is_created_once(pair: tuple[Server, Server]) -> None:
    """RFC 7644 §3.3: a taken userName is 409 ``uniqueness``; userName is
    case-insensitive (RFC 7643 §4.1.1), so the two spellings collide."""
    one, two = pair
    token = one.tenant("race")
    a, b = Client(one, token), Client(two, token)
    for n in range(20):
        answers = _race(
            partial(a.post, "/Users", json=_user(f"Raced{n}@example.com")),
            partial(b.post, "/Users", json=_user(f"raced{n}@EXAMPLE.com")),
        )
        assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
        [conflict] = [r for r in answers if r.status_code == 409]
        assert conflict.json()["scimType"] == "uniqueness"
    for client in (a, b):
        found = client.get("/Users", params={"filter": 'userName sw "raced"', "count": 100})
        assert found.json()["totalResults"] == 20


def test_members_added_through_both_all_land(pair: tuple[Server, Server]) -> None:
    """Concurrent PATCH ``add`` of members (RFC 7644 §3.5.2.1) through the
    two processes: each is applied to the group as the other left it."""
    one, two = pair
    token = one.tenant("members")
    a, b = Client(one, token), Client(two, token)
    ids = [a.post("/Users", json=_user(f"m{n}")).json()["id"] for n in range(20)]
    group = a.post("/Groups", json={"schemas": [GROUP], "displayName": "both"}).json()["id"]

    def add(client: Client, chunk: list[str]) -> list[int]:
        return [
            client.patch(
                f"/Groups/{group}",
                json={
                    "schemas": [PATCH],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": i}]}],
                },
            ).status_code
            for i in chunk
        ]

    statuses = _race(lambda: add(a, ids[0::2]), lambda: add(b, ids[1::2]))
    assert set(chain(*statuses)) <= {200, 204}
    for client in (a, b):
        members = client.get(f"/Groups/{group}").json()["members"]
        assert sorted(m["value"] for m in members) == sorted(ids)


def _refused_within(server: Server, token: str, bound: float) -> float:
    """Seconds until ``server`` answers ``token`` with 401, at most ``bound``."""
    started = time.monotonic()
    wait_until(
        lambda: Client(server, token).get("/Users").status_code == 401,
        bound,
        f"a key changed elsewhere refused within {bound:g} s",
    )
    return time.monotonic() - started


def test_a_key_revoked_or_rotated_through_one_is_refused_by_the_other_promptly(
    pair: tuple[Server, Server], figure: Callable[[str], None]
) -> None:
    """The other process's key cache is emptied when ``key_epoch`` moves:
    on SQLite its next lookup reads the epoch; on PostgreSQL a watch
    notified of the change tells it, within ``LEASE`` whatever becomes of
    the notification (store.pg_epoch; docs/architecture.md, "Key lookups")."""
    one, two = pair
    revoked = one.tenant("revoke")
    rotated = one.key("revoke")
    admin = Client(one, one.operator_token, admin=True)
    for server in (one, two):
        for token in (revoked, rotated):
            assert Client(server, token).get("/Users").status_code == 200  # now in its cache
    # SQLite: the very next request (the bound 0 is one try); PostgreSQL: the watch's lease.
    bound = LEASE if BACKEND == "postgresql" else 0.0

    assert admin.post(f"/tenants/revoke/keys/{_key_id(revoked)}/revoke").status_code == 200
    assert Client(one, revoked).get("/Users").status_code == 401  # its own process: at once
    took = _refused_within(two, revoked, bound)
    assert Client(two, rotated).get("/Users").status_code == 200

    new = admin.post(f"/tenants/revoke/keys/{_key_id(rotated)}/rotate").json()["token"]
    took = max(took, _refused_within(two, rotated, bound))  # no grace period
    assert Client(two, new).get("/Users").status_code == 200
    figure(
        f"a key revoked or rotated through one process refused by the other after {took * 1000:.0f} ms (each try a request of its own)"
    )


def test_the_audit_log_has_one_line_per_change_in_commit_order(
    pair: tuple[Server, Server],
) -> None:
    """Every acknowledged change has its line; the log read in time order
    (``at``, as the admin API serves it) is in ``seq`` order, so a reader
    that follows ``since`` never meets a line committed after one it
    already read but dated before it; and no number is skipped (a write
    refused or rolled back leaves none). On SQLite ``seq`` is one counter
    for the whole file (the ``audit`` table's rowid); on PostgreSQL one per
    tenant's log (``audit_seq``, store/pg_schema.py): 1, 2, 3, ..."""
    one, two = pair
    token = one.tenant("audited")
    a, b = Client(one, token), Client(two, token)

    def create(client: Client, prefix: str) -> list[httpx.Response]:
        made = [client.post("/Users", json=_user(f"{prefix}{n}")) for n in range(15)]
        made.append(client.post("/Users", json=_user("taken")))  # one of the two is 409
        return made

    answers = list(chain(*_race(lambda: create(a, "a"), lambda: create(b, "b"))))
    created = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(created) == 31 and sum(r.status_code == 409 for r in answers) == 1

    tenant = one.store.get_tenant("audited")
    assert tenant is not None
    _, entries = one.store.audit_log(tenant.id, count=1000)
    by_key = [e for e in entries if e.actor_kind == "scim-key"]
    assert sorted(e.resource_id for e in by_key) == sorted(created)
    seqs = [e.seq for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    page = Client(two, two.operator_token, admin=True).get(
        "/tenants/audited/audit", params={"count": 1000}
    )
    assert [e["seq"] for e in page.json()["Resources"]] == seqs
    if BACKEND["name"] == "sqlite":
        [(count, low, high)] = database.query(
            one.db, "SELECT count(*), min(seq), max(seq) FROM audit"
        )
        assert (low, high) == (1, count)
    else:
        assert seqs == list(range(1, len(seqs) + 1))


def _last_use(db: Path | str, token: str) -> str | None:
    with BlockingStore(open_store(db)) as store:
        key = store.get_key(_key_id(token))
        assert key is not None
        return str(key.last_used) if key.last_used is not None else None


def test_no_key_use_is_lost_when_both_stop(tmp_path: Path) -> None:
    """Each process keeps its key uses in memory and writes them when it
    shuts down; an older use written last does not replace a newer one."""
    one, two = _start_pair(tmp_path)
    try:
        token = one.tenant("uses")
        assert Client(one, token).get("/Users").status_code == 200
        before = SystemClock().now()
        assert Client(two, token).get("/Users").status_code == 200
        after = SystemClock().now()
    finally:
        stop_server(two)  # the newer use is written first ...
        stop_server(one)  # ... the older one after it
    last = _last_use(one.db, token)
    assert last is not None and before <= last <= after


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _workers(pid: int) -> list[int]:
    return [
        child
        for child in _children(pid)
        if b"multiprocessing.spawn" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


@pytest.mark.postgresql_only("serve refuses --workers on SQLite")
def test_workers_share_one_port_and_write_their_key_uses_at_shutdown(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "--workers", "2")
    workers = _workers(srv.process.pid)
    try:
        assert len(workers) == 2
        token = srv.tenant("workers")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}

        def post_each() -> list[int]:  # a new connection each: any worker may accept it
            return [
                httpx.post(
                    f"{srv.base}/Users",
                    content=json.dumps(_user(f"w{i}")),
                    headers=headers,
                    timeout=30,
                ).status_code
                for i in range(10)
            ]

        answers = list(chain(*_race(post_each, post_each)))
        assert sorted(answers) == [201] * 10 + [409] * 10
        before = SystemClock().now()
        assert Client(srv, token).get("/Users").status_code == 200
        after = SystemClock().now()
    finally:
        stop_server(srv)
    assert srv.process.returncode == 0
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]  # none left behind
    last = _last_use(srv.db, token)
    assert last is not None and before <= last <= after


@pytest.mark.postgresql_only("serve refuses --workers on SQLite")
def test_workers_announce_the_demo_token_they_accept(tmp_path: Path) -> None:
    """``--json`` prints one line once the port listens; the token works
    whichever worker answers."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCIMDOCK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimdock", "--db", str(new_database(tmp_path)), "serve"]
        + ["--demo", "--json", "--workers", "2", "--port", str(free_port())],
        cwd=ROOT,
        text=True,
        env={**environ, "SCIMDOCK_LOG_LEVEL": "warning"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        for _ in range(4):
            answer = httpx.get(
                f"{line['baseUrl']}/Users",
                headers={"Authorization": f"Bearer {line['token']}"},
                timeout=30,
            )
            assert answer.status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert (proc.returncode, out) == (0, "") and "Traceback" not in err


@pytest.mark.sqlite_only
@pytest.mark.parametrize("db", ["scimdock.db", ":memory:"])
def test_workers_are_refused_on_sqlite_with_the_reason(tmp_path: Path, db: str) -> None:
    """Two processes on one SQLite file contend for its one write lock
    (docs/deployment.md, "SQLite on one node"): one line says so."""
    out = subprocess.run(
        [sys.executable, "-m", "scimdock", "--db", db, "serve", "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("scimdock: error: --workers above 1 needs PostgreSQL: on SQLite")
    assert not (tmp_path / "scimdock.db").exists()  # refused before anything was created
