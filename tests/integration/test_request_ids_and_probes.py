"""``X-Request-ID`` on every response (scimdock/front/access.py) and the
orchestrator's probes ``/healthz`` and ``/readyz`` (scimdock/front/probes.py)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from conftest import Server, start_server, stop_server
from tests import database

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/scim/v1/ServiceProviderConfig", {}),
        ("GET", "/scim/v1/Users", {}),  # 401: no credential
        ("GET", "/scim/v1/Users", {"Authorization": "Bearer bm8tc3VjaDprZXk="}),  # 401
        ("GET", "/nowhere", {}),  # Connexion's 404
        ("DELETE", "/scim/v1/ServiceProviderConfig", {}),  # 405
        ("GET", "/admin/v1/tenants", {}),  # 401 of the admin API
        ("GET", "/healthz", {}),
    ],
)
def test_every_response_echoes_the_request_id(
    server: Server, method: str, path: str, headers: dict[str, str]
) -> None:
    sent = "req-7f3a/edge:42"
    got = httpx.request(method, server.origin + path, headers={**headers, "X-Request-ID": sent})
    assert got.headers["x-request-id"] == sent
    fresh = httpx.request(method, server.origin + path, headers=headers)
    assert GENERATED.fullmatch(fresh.headers["x-request-id"])
    assert fresh.headers.get_list("x-request-id") == [fresh.headers["x-request-id"]]


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "caf\u00e9", "tab\there"])
def test_an_insane_request_id_is_replaced(server: Server, sent: str) -> None:
    got = httpx.get(server.origin + "/healthz", headers={"X-Request-ID": sent.encode()})
    assert GENERATED.fullmatch(got.headers["x-request-id"])


def test_probes_need_no_credential_and_answer_json(server: Server) -> None:
    live = httpx.get(server.origin + "/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = httpx.get(server.origin + "/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["content-type"] == "application/json"
    head = httpx.head(server.origin + "/readyz")
    assert (head.status_code, head.content) == (200, b"")
    post = httpx.post(server.origin + "/healthz")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    assert post.json()["schemas"] == [ERROR] and post.json()["status"] == "405"


def test_readyz_is_503_while_the_schema_is_not_current(tmp_path: Path) -> None:
    """Another process migrated the database further (newer code): not ready."""
    srv = start_server(tmp_path, in_process=True)
    try:
        version = database.schema_version(srv.db)
        database.schema_version(srv.db, version + 1)
        down = httpx.get(srv.origin + "/readyz")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/scim+json"
        assert down.json()["schemas"] == [ERROR] and down.json()["status"] == "503"
        assert down.headers["retry-after"] == "5"
        assert httpx.get(srv.origin + "/healthz").status_code == 200  # alive all the same
        database.schema_version(srv.db, version)
        assert httpx.get(srv.origin + "/readyz").status_code == 200
    finally:
        stop_server(srv)
