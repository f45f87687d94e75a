"""No tenant waits on another: one tenant's most expensive query neither
holds up another tenant's requests nor runs past the store's time budget.

Tenant B stores a few users with large attributes and asks for an ``or``
of many ``co`` (substring) comparisons over them, the costliest filter the
API takes. While that query runs, tenant A's reads must be answered: they
are sent after B's query and must come back before it. B's query itself
must end with a SCIM Error (400 ``tooMany``, RFC 7644 §3.12) once it is
past ``SCIMDOCK_QUERY_BUDGET``, never hang.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import (
    HEAVY_LIMITS,
    Client,
    Server,
    costly_filter,
    heavy_tenant,
    on_the_wire,
    start_server,
    stop_server,
)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def _server(tmp_path_factory: pytest.TempPathFactory, budget: float) -> Iterator[Server]:
    env = {"SCIMDOCK_QUERY_BUDGET": str(budget), **HEAVY_LIMITS}
    srv = start_server(tmp_path_factory.mktemp("noisy"), env=env)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A budget far below what the costly query needs (about a second here)."""
    yield from _server(tmp_path_factory, 0.2)


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A budget the costly query stays within: it runs to its end."""
    yield from _server(tmp_path_factory, 60)


def test_an_expensive_query_ends_with_too_many_and_never_hangs(tight_server: Server) -> None:
    b = heavy_tenant(tight_server, "noisyb")
    started = time.monotonic()
    r = b.get("/Users", params={"filter": costly_filter(), "count": 1})
    took = time.monotonic() - started
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["scimType"] == "tooMany" and body["status"] == "400"
    assert "budget" in body["detail"]
    assert took < 30, took  # ended by the budget, not by a client timeout


def test_another_tenant_is_answered_while_the_expensive_query_runs(
    roomy_server: Server,
) -> None:
    b = heavy_tenant(roomy_server, "noisyb2")
    a = Client(roomy_server, roomy_server.tenant("quieta"))
    ann = a.post("/Users", json={"schemas": [CORE], "userName": "ann@example.com"}).json()

    finished: dict[str, float] = {}
    outcome: list[httpx.Response] = []

    sent, extensions = on_the_wire()

    def noisy() -> None:
        with httpx.Client(base_url=roomy_server.base, headers=b.http.headers, timeout=120) as c:
            query: dict[str, str | int] = {"filter": costly_filter(), "count": 1}
            outcome.append(c.get("/Users", params=query, extensions=extensions))
        finished["b"] = time.monotonic()

    thread = threading.Thread(target=noisy)
    thread.start()
    assert sent.wait(60), "B's request was never sent"  # B's request is in the server before A's
    answered = []
    for _ in range(5):
        r = a.get(f"/Users/{ann['id']}")
        assert r.status_code == 200
        answered.append(time.monotonic())
    thread.join(60)
    assert "b" in finished
    assert outcome[0].status_code == 200 and outcome[0].json()["totalResults"] == 0
    # Every one of A's reads came back before B's query did: none waited on it.
    assert max(answered) < finished["b"], (answered, finished)


def test_the_budget_is_the_store_setting(tmp_path: Path) -> None:
    """A bad SCIMDOCK_QUERY_BUDGET is refused at start, naming the variable."""
    with pytest.raises(RuntimeError, match="SCIMDOCK_QUERY_BUDGET"):
        start_server(tmp_path, env={"SCIMDOCK_QUERY_BUDGET": "soon"})
