"""Failover with PostgreSQL's own streaming replication (docs/deployment.md,
"Failover"): a primary and a synchronous standby made with
``pg_basebackup -R``, scimdock given both in one libpq URL with
``target_session_attrs=read-write``. A writer keeps creating users; every
process of the primary is killed with SIGKILL (a machine lost), and
``pg_ctl promote`` makes the standby the primary. scimdock writes again
within 5 s of the promotion, and every user it acknowledged is on the new
primary: with ``synchronous_commit=on`` a commit is acknowledged only once
the standby has the WAL that holds it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from conftest import Client, Server, start_server, stop_server, wait_until
from tests.postgres_cluster import PostgresCluster

pytestmark = pytest.mark.postgresql_only
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
#: Seconds within which scimdock must write again after the promotion.
RESUME_WITHIN = 5.0


@pytest.fixture
def pair() -> Iterator[tuple[PostgresCluster, PostgresCluster]]:
    """A primary whose commits wait for its standby (``synchronous_commit=on``,
    and the standby, ``cluster_name=standby``, named in
    ``synchronous_standby_names`` once it streams), and the standby."""
    primary = PostgresCluster(("synchronous_commit=on",))
    try:
        standby = PostgresCluster(("cluster_name=standby",), standby_of=primary)
        try:
            with psycopg.connect(primary.url(), autocommit=True) as conn:
                conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
                conn.execute("SELECT pg_reload_conf()")
                wait_until(
                    lambda: conn.execute(
                        "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'"
                    ).fetchone(),
                    30,
                    "the standby to stream synchronously",
                )
            yield primary, standby
        finally:
            standby.stop()
    finally:
        primary.stop()


@dataclass
class Writer:
    """A thread creating users through scimdock until stopped: the id and
    time of each one acknowledged (201), the time of each refusal."""

    client: Client
    acknowledged: list[tuple[str, float]] = field(default_factory=list)
    refused: list[tuple[int, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            r = self.client.post("/Users", json={"schemas": [USER], "userName": f"f{n}"})
            n += 1
            if r.status_code == 201:
                self.acknowledged.append((r.json()["id"], time.monotonic()))
            else:
                assert r.status_code == 503, r.text  # a SCIM Error (the client checks it)
                self.refused.append((r.status_code, time.monotonic()))

    def after(self, moment: float) -> list[float]:
        return [at for _, at in self.acknowledged if at > moment]


def test_writes_resume_on_the_promoted_standby_and_none_acknowledged_is_lost(
    pair: tuple[PostgresCluster, PostgresCluster], tmp_path: Path, figure: Callable[[str], None]
) -> None:
    primary, standby = pair
    database = primary.new_database().rsplit("/", 1)[1]
    url = (
        f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{database}"
        "?target_session_attrs=read-write"
    )
    srv: Server = start_server(tmp_path, db=url)
    try:
        client = Client(srv, srv.tenant("failover"))
        srv.close_store()
        writer = Writer(client)
        thread = threading.Thread(target=writer.run, name="writer")
        thread.start()
        try:
            wait_until(lambda: len(writer.acknowledged) >= 100, 60, "100 users written")
            for pid in primary.processes():  # the postmaster first: it restarts nothing
                os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            acknowledged_before = len(writer.acknowledged)
            standby.promote()  # returns once the standby takes writes
            promoted = time.monotonic()
            wait_until(
                lambda: len(writer.after(promoted)) >= 100, 60, "100 users on the new primary"
            )
        finally:
            writer.stop.set()
            thread.join(60)
    finally:
        stop_server(srv)
    resumed = writer.after(promoted)[0] - promoted
    with psycopg.connect(standby.url(database), autocommit=True) as conn:
        kept = {row[0] for row in conn.execute("SELECT id FROM users")}
    lost = [user for user, _ in writer.acknowledged if user not in kept]
    figure(
        f"failover: {acknowledged_before} users acknowledged before the primary was killed,"
        f" promotion took {promoted - killed:.2f} s, first write on the new primary"
        f" {resumed * 1000:.0f} ms after it, requests refused (503) meanwhile:"
        f" {len(writer.refused)}; {len(writer.acknowledged)} acknowledged in all, {len(lost)} lost"
    )
    assert not lost
    assert resumed < RESUME_WITHIN
