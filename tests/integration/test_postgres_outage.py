"""PostgreSQL goes away under a running ``scimdock serve``, and comes back
(docs/deployment.md, "When PostgreSQL goes away"): a real ``pg_ctl stop``
and ``pg_ctl start`` of a cluster of the test's own, or its processes
frozen with SIGSTOP.

* While it is down, every SCIM request is answered within a second: a
  SCIM Error 503 with ``Retry-After``, nothing kept, frozen server
  included. ``/readyz`` says 503 within a second too; ``/healthz`` stays 200.
* Once it accepts connections again, the first 2xx comes within two
  seconds, after an outage of 5 s as after one of 90 s.
* Killed with SIGKILL under writes and started again, it has every write
  scimdock acknowledged.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import httpx
import pytest

from conftest import Client, Server, check_response, start_server, stop_server, wait_until
from tests import database
from tests.postgres_cluster import PostgresCluster
from tests.writers import Writer

pytestmark = pytest.mark.postgresql_only
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
#: The bounds this file holds the server to, in seconds.
ANSWER_WITHIN, BACK_WITHIN = 1.0, 2.0
#: Seconds between two rounds of requests while the database is down.
PACE = 0.25
_names = count()


@dataclass
class Outage:
    """What the server answered while PostgreSQL was down: per kind of
    request, each answer's status and time; and how long after PostgreSQL
    accepted connections again the first 2xx came."""

    answers: dict[str, list[tuple[int, float, str | None]]] = field(default_factory=dict)
    back_after: float = 0.0

    def note(self, what: str, response: httpx.Response, seconds: float) -> None:
        entry = (response.status_code, seconds, response.headers.get("retry-after"))
        self.answers.setdefault(what, []).append(entry)

    def slowest(self, what: str) -> float:
        return max(seconds for _, seconds, _ in self.answers[what])

    def report(self, length: float, label: str = "") -> str:
        kinds = ", ".join(
            f"{what} {len(got)}x, slowest {self.slowest(what) * 1000:.0f} ms"
            for what, got in self.answers.items()
        )
        return (
            f"outage of {length:.0f} s{label}: {kinds}; first 2xx {self.back_after * 1000:.0f} ms"
            " after PostgreSQL accepted connections again"
        )


def timed(call: Callable[[], httpx.Response], *, scim: bool = True) -> tuple[httpx.Response, float]:
    """The answer and how long it took, timed without the check of a SCIM
    answer against the OpenAPI document (its first use of a response builds
    validators, in the test's process), which follows."""
    started = time.monotonic()
    response = call()
    seconds = time.monotonic() - started
    if scim:
        check_response(response)
    return response, seconds


@pytest.fixture
def own(tmp_path: Path) -> Iterator[tuple[PostgresCluster, Server, Client]]:
    """A cluster of this test's own (it stops it), committing as PostgreSQL
    ships (``synchronous_commit=on``: a commit is acknowledged once its WAL
    is written, so it outlives the server's processes), a server on it, and
    a client of a tenant. The server has not used its pool yet."""
    cluster = PostgresCluster(("synchronous_commit=on",))
    try:
        srv = start_server(tmp_path, db=cluster.new_database())
        try:
            client = Client(srv, srv.tenant("outage"))
            srv.close_store()  # the test's own connections: only the server's remain
            yield cluster, srv, client
        finally:
            stop_server(srv)
    finally:
        cluster.stop()


def _user() -> dict[str, object]:
    return {"schemas": [USER], "userName": f"u{next(_names)}"}


def _round(outage: Outage, srv: Server, client: Client) -> None:
    """One request of each kind, timed (on the client's own connection)."""
    http, body = client.http, json.dumps(_user())
    scim = {"Content-Type": "application/scim+json"}
    outage.note("POST", *timed(lambda: http.post("/Users", content=body, headers=scim)))
    outage.note("GET", *timed(lambda: http.get("/Users", params={"count": 5})))
    outage.note("readyz", *timed(lambda: http.get(srv.origin + "/readyz"), scim=False))
    outage.note("healthz", *timed(lambda: http.get(srv.origin + "/healthz"), scim=False))


def _created(client: Client) -> bool:
    return client.post("/Users", json=_user()).status_code == 201


@pytest.mark.parametrize(
    ("length", "warm"),
    [
        # 90 s of waiting by design: collected first (runs_long), so that
        # under pytest-xdist one worker holds it from the start while the
        # other runs the rest of the suite.
        pytest.param(90.0, True, marks=pytest.mark.runs_long, id="90s"),
        # The server's pool never connected before the outage: no broken
        # connection shows it, the pool's own attempts must.
        pytest.param(5.0, False, id="5s-cold-pool"),
    ],
)
def test_an_outage_is_answered_at_once_and_its_end_noticed_at_once(
    own: tuple[PostgresCluster, Server, Client],
    length: float,
    warm: bool,
    figure: Callable[[str], None],
) -> None:
    cluster, srv, client = own
    if warm:  # the server's pool holds a connection, which the outage breaks
        assert client.post("/Users", json=_user()).status_code == 201
    outage = Outage()
    cluster.halt()
    down = time.monotonic()
    while time.monotonic() - down < length:
        _round(outage, srv, client)
        # The outage's length is what this test is about: held for `length`
        # seconds, with a round of requests every PACE seconds.
        time.sleep(PACE)  # the outage: its length is what is tested
    cluster.start()  # returns once PostgreSQL accepts connections
    up = time.monotonic()
    wait_until(lambda: _created(client), 30, "the first 2xx after the restart", every=0.02)
    outage.back_after = time.monotonic() - up
    figure(outage.report(length, "" if warm else " (a pool not yet connected)"))
    for what in ("POST", "GET", "readyz"):
        statuses = {status for status, _, _ in outage.answers[what]}
        assert statuses == {503}, (what, outage.answers[what])
        assert all(after == "5" for _, _, after in outage.answers[what]), outage.answers[what]
        assert outage.slowest(what) < ANSWER_WITHIN, (what, outage.answers[what])
    assert {status for status, _, _ in outage.answers["healthz"]} == {200}
    assert outage.back_after < BACK_WITHIN
    assert httpx.get(srv.origin + "/readyz").status_code == 200
    # Nothing a 503 refused was kept: the users are the one made after (and the one before).
    assert client.get("/Users").json()["totalResults"] == 1 + warm


def test_requests_answer_within_a_second_while_postgresql_is_frozen(
    own: tuple[PostgresCluster, Server, Client], figure: Callable[[str], None]
) -> None:
    """SIGSTOP to the postmaster and every process of the cluster: the
    connections stay open and nothing answers on them, which no refused
    connection reveals. /readyz's own timeout says 503; a SCIM request that
    waits on a pooled connection has a probe started, which cannot open a
    session, and is answered 503 with ``Retry-After``, as are the next."""
    cluster, srv, client = own
    assert client.get("/Users").status_code == 200  # the pool holds a connection
    assert httpx.get(srv.origin + "/readyz").status_code == 200
    frozen = cluster.processes()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    outage, started = Outage(), time.monotonic()
    try:
        for _ in range(3):
            _round(outage, srv, client)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    figure(outage.report(time.monotonic() - started, " (frozen with SIGSTOP)"))
    for what, got in outage.answers.items():
        for status, seconds, retry_after in got:
            assert seconds < ANSWER_WITHIN, (what, seconds)
            if what == "healthz":
                assert status == 200
            else:
                assert (status, retry_after) == (503, "5"), what
    wait_until(lambda: _created(client), 30, "a write once thawed")
    assert httpx.get(srv.origin + "/readyz").status_code == 200
    # Nothing a 503 refused was kept: the one user is the one made after.
    assert client.get("/Users").json()["totalResults"] == 1


def test_a_killed_postgresql_loses_no_acknowledged_write(
    own: tuple[PostgresCluster, Server, Client], figure: Callable[[str], None]
) -> None:
    """SIGKILL to the postmaster and every process of the cluster while a
    writer creates users, then ``pg_ctl start`` (crash recovery from the
    WAL): every user acknowledged is there, and writes resume within 2 s."""
    cluster, srv, client = own
    with Writer(client) as writer:
        wait_until(lambda: len(writer.acknowledged) >= 100, 60, "100 users written")
        cluster.kill()  # SIGKILL to every process of it
        acknowledged_before = len(writer.acknowledged)
        cluster.start()  # crash recovery; returns once PostgreSQL accepts connections
        up = time.monotonic()
        wait_until(lambda: len(writer.after(up)) >= 100, 60, "100 users after the restart")
    back = writer.after(up)[0] - up
    kept = {row[0] for row in database.query(srv.db, "SELECT id FROM users")}
    lost = writer.lost(kept)
    figure(
        f"PostgreSQL killed (SIGKILL) under writes: {acknowledged_before} users acknowledged"
        f" before, first write {back * 1000:.0f} ms after the restart, requests refused (503)"
        f" meanwhile: {len(writer.refused)}; {len(writer.acknowledged)} acknowledged in all,"
        f" {len(lost)} lost"
    )
    assert not lost
    assert back < BACK_WITHIN
