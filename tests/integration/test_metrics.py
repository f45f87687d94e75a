"""Prometheus metrics (scimdock/metrics.py, store/metrics.py;
docs/configuration.md "Metrics") over HTTP: ``/metrics`` on the main port
behind its token, on a port of its own, and across ``--workers``; the
counters move with the requests the server answers.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import BACKEND, Client, Server, free_port, start_server, stop_server

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
TOKEN = secrets.token_urlsafe(32)
WRONG = "Bearer " + base64.b64encode(b"k_nosuchkey:wrong-secret").decode()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(server: Server) -> str:
    response = httpx.get(f"{server.origin}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("metrics"),
        env={
            "SCIMDOCK_METRICS": "token",
            "SCIMDOCK_METRICS_TOKEN": TOKEN,
            "SCIMDOCK_RATE_KEY": "3/minute",
        },
    )
    yield srv
    stop_server(srv)


def test_metrics_need_the_token(server: Server) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer " + "x" * 43},
        {"Authorization": f"Basic {TOKEN}"},
    ):
        response = httpx.get(f"{server.origin}/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/scim+json"
        assert response.json()["status"] == "401"
        assert "scimdock_requests_total" not in response.text
    assert httpx.post(f"{server.origin}/metrics").status_code == 405
    assert "scimdock_requests_total" in scrape(server)


def test_requests_latency_db_time_and_commit_batches_are_counted(server: Server) -> None:
    client = Client(server, server.tenant("metrics-users"))
    before = scrape(server)
    created = client.post("/Users", json={"schemas": [CORE], "userName": "counted"})
    assert created.status_code == 201
    assert client.get(f"/Users/{created.json()['id']}").status_code == 200
    after = scrape(server)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("scimdock_requests_total", operation="createUser", status="201") == 1
    assert moved("scimdock_requests_total", operation="getUser", status="200") == 1
    assert moved("scimdock_request_seconds_count", operation="createUser") == 1
    assert moved("scimdock_db_seconds_count", kind="commit") >= 1
    if BACKEND["name"] == "sqlite":
        assert moved("scimdock_db_seconds_count", kind="inline") >= 2  # the key, the user
        assert moved("scimdock_commit_batch_writes_count") >= 1
        assert moved("scimdock_commit_batch_writes_sum") >= 1
    else:  # every read a pooled connection's query; each write its own transaction
        assert moved("scimdock_db_seconds_count", kind="read") >= 2  # the key, the user


def test_failed_authentication_is_counted(server: Server) -> None:
    before = scrape(server)
    assert httpx.get(f"{server.base}/Users", headers={"Authorization": WRONG}).status_code == 401
    admin = httpx.get(f"{server.admin}/tenants", headers={"Authorization": "Bearer nope"})
    assert admin.status_code == 401
    after = scrape(server)
    for api in ("scim", "admin"):
        assert (
            value(after, "scimdock_auth_failures_total", api=api)
            - value(before, "scimdock_auth_failures_total", api=api)
            == 1
        )


def test_throttled_requests_are_counted_by_reason(server: Server) -> None:
    client = Client(server, server.tenant("metrics-rate"), validate=False)
    before = value(scrape(server), "scimdock_throttled_requests_total", reason="rate_key")
    statuses = [client.get("/Users").status_code for _ in range(5)]
    assert statuses.count(429) == 2  # the key's 3 a minute
    after = value(scrape(server), "scimdock_throttled_requests_total", reason="rate_key")
    assert after - before == 2


def test_a_port_of_its_own(tmp_path: Path) -> None:
    port = free_port()
    srv = start_server(tmp_path, env={"SCIMDOCK_METRICS": f"port:{port}"})
    try:
        Client(srv, srv.tenant("metrics-port")).get("/Users")
        assert httpx.get(f"{srv.origin}/metrics").status_code == 404
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert value(text, "scimdock_requests_total", operation="listUsers", status="200") == 1
    finally:
        stop_server(srv)


def test_off_by_default(tmp_path: Path) -> None:
    srv = start_server(tmp_path, in_process=True)
    try:
        response = httpx.get(f"{srv.origin}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 404
    finally:
        stop_server(srv)


@pytest.mark.postgresql_only("serve refuses --workers on SQLite")
def test_workers_add_up(tmp_path: Path) -> None:
    port = free_port()
    srv = start_server(tmp_path, "--workers", "2", env={"SCIMDOCK_METRICS": f"port:{port}"})
    try:
        token = srv.tenant("metrics-workers")
        for _ in range(6):  # new connections: the kernel spreads them over both workers
            response = httpx.get(f"{srv.base}/Users", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert value(text, "scimdock_requests_total", operation="listUsers", status="200") == 6
    finally:
        stop_server(srv)
