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

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from conftest import Client, Server, start_server, stop_server, wait_until
from tests.postgres_cluster import PostgresCluster
from tests.writers import Writer

pytestmark = pytest.mark.postgresql_only
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
        with Writer(client, "f") as writer:
            wait_until(lambda: len(writer.acknowledged) >= 100, 60, "100 users written")
            primary.kill()  # SIGKILL to every process of it
            killed = time.monotonic()
            acknowledged_before = len(writer.acknowledged)
            standby.promote()  # returns once the standby takes writes
            promoted = time.monotonic()
            wait_until(
                lambda: len(writer.after(promoted)) >= 100, 60, "100 users on the new primary"
            )
    finally:
        stop_server(srv)
    resumed = writer.after(promoted)[0] - promoted
    with psycopg.connect(standby.url(database), autocommit=True) as conn:
        kept = {row[0] for row in conn.execute("SELECT id FROM users")}
    lost = writer.lost(kept)
    figure(
        f"failover: {acknowledged_before} users acknowledged before the primary was killed,"
        f" promotion took {promoted - killed:.2f} s, first write on the new primary"
        f" {resumed * 1000:.0f} ms after it, requests refused (503) meanwhile:"
        f" {len(writer.refused)}; {len(writer.acknowledged)} acknowledged in all, {len(lost)} lost"
    )
    assert not lost
    assert resumed < RESUME_WITHIN
