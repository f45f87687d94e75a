"""Limits on abuse (docs/security.md, "Limits"; handlers/throttle.py), over
HTTP against servers started with small limits.

Each refusal is a 429 with ``Retry-After`` (RFC 6585 §4) and a SCIM Error
body (RFC 7644 §3.12), checked against the OpenAPI documents like every
response. Client addresses differ by binding the client's socket to
another loopback address (127.0.0.2), or, through the trusted proxy on
127.0.0.1, by ``X-Forwarded-For``.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import (
    HEAVY_LIMITS,
    Client,
    Server,
    check_response,
    costly_filter,
    heavy_tenant,
    start_server,
    stop_server,
)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
WRONG = "Bearer " + base64.b64encode(b"k_nosuchkey:wrong-secret").decode()


def _start(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("limits"), env=env)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def lockout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _start(tmp_path_factory, {"SCIMDOCK_AUTH_FAILURES": "5/minute"})


@pytest.fixture(scope="module")
def rate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _start(
        tmp_path_factory,
        {"SCIMDOCK_RATE_TENANT": "4/2 seconds", "SCIMDOCK_RATE_KEY": "3/2 seconds"},
    )


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _start(
        tmp_path_factory,
        {"SCIMDOCK_TENANT_CONCURRENCY": "1", "SCIMDOCK_QUERY_BUDGET": "60", **HEAVY_LIMITS},
    )


def _http(base: str, authorization: str, local: str = "127.0.0.1", **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=base,
        headers={"Authorization": authorization, **headers},
        timeout=60,
        transport=httpx.HTTPTransport(local_address=local),
    )


def _get(http: httpx.Client, path: str) -> httpx.Response:
    r = http.get(path)
    check_response(r)  # 429 is in the document, with its Retry-After
    return r


def _assert_too_many(r: httpx.Response, most: int) -> int:
    assert r.status_code == 429, r.text
    body = r.json()
    assert body["status"] == "429" and "scimType" not in body, body
    wait = int(r.headers["retry-after"])
    assert 1 <= wait <= most, wait
    return wait


# --- failed logins ---------------------------------------------------------------
def test_an_address_with_too_many_failed_logins_gets_429_others_are_served(
    lockout_server: Server,
) -> None:
    good = lockout_server.tenant("lockgood")
    guesser = _http(lockout_server.base, WRONG, "127.0.0.2")
    for _ in range(5):
        assert _get(guesser, "/Users").status_code == 401
    _assert_too_many(_get(guesser, "/Users"), 60)
    # Locked out is locked out: the address's valid key is refused too.
    locked_valid = _http(lockout_server.base, f"Bearer {good}", "127.0.0.2")
    _assert_too_many(_get(locked_valid, "/Users"), 60)
    basic = base64.b64encode(b"k_nosuchkey:x").decode()
    _assert_too_many(_get(_http(lockout_server.base, f"Basic {basic}", "127.0.0.2"), "/Users"), 60)
    admin = _http(lockout_server.admin, f"Bearer {lockout_server.operator_token}", "127.0.0.2")
    _assert_too_many(_get(admin, "/tenants"), 60)
    # Another address is not affected, on either API.
    assert _get(_http(lockout_server.base, f"Bearer {good}"), "/Users").status_code == 200
    other_admin = _http(lockout_server.admin, f"Bearer {lockout_server.operator_token}")
    assert _get(other_admin, "/tenants").status_code == 200


def test_admin_api_failures_count_too(lockout_server: Server) -> None:
    wrong_admin = _http(lockout_server.admin, "Bearer not-a-token", "127.0.0.3")
    for _ in range(5):
        assert _get(wrong_admin, "/tenants").status_code == 401
    _assert_too_many(_get(wrong_admin, "/tenants"), 60)
    valid = lockout_server.tenant("lockadm")
    _assert_too_many(_get(_http(lockout_server.base, f"Bearer {valid}", "127.0.0.3"), "/Users"), 60)


def test_behind_the_trusted_proxy_the_forwarded_address_counts(lockout_server: Server) -> None:
    """127.0.0.1 is a trusted proxy by default (SCIMDOCK_FORWARDED_ALLOW_IPS):
    the client is the address it forwards."""
    good = lockout_server.tenant("lockproxy")
    guesser = _http(lockout_server.base, WRONG, **{"X-Forwarded-For": "203.0.113.7"})
    for _ in range(5):
        assert _get(guesser, "/Users").status_code == 401
    _assert_too_many(_get(guesser, "/Users"), 60)
    neighbour = _http(lockout_server.base, f"Bearer {good}", **{"X-Forwarded-For": "203.0.113.8"})
    assert _get(neighbour, "/Users").status_code == 200


def test_a_revoked_key_is_not_a_guess(lockout_server: Server) -> None:
    """Only guesses count (unknown key, wrong secret, malformed token): an
    identity provider still sending a revoked key keeps getting 401."""
    token = lockout_server.tenant("lockrevoked")
    key_id = base64.b64decode(token).decode().split(":", 1)[0]
    lockout_server.store.revoke_key(key_id)
    revoked = _http(lockout_server.base, f"Bearer {token}", "127.0.0.4")
    for _ in range(8):
        assert _get(revoked, "/Users").status_code == 401


# --- request rates -----------------------------------------------------------------
def test_a_tenant_over_its_rate_gets_429_then_is_served_after_the_wait(
    rate_server: Server,
) -> None:
    tenant = "ratet"
    first = _http(rate_server.base, f"Bearer {rate_server.tenant(tenant)}")
    second = _http(rate_server.base, f"Bearer {rate_server.key(tenant)}")
    other = _http(rate_server.base, f"Bearer {rate_server.tenant('rateother')}")
    for http in (first, first, second, second):
        assert _get(http, "/Users").status_code == 200
    wait = _assert_too_many(_get(second, "/Users"), 2)  # the tenant's 4 in 2 s
    assert "tenant" in _get(first, "/Users").json()["detail"]
    assert _get(other, "/Users").status_code == 200
    time.sleep(wait)
    assert _get(first, "/Users").status_code == 200


def test_a_key_over_its_rate_gets_429_while_the_tenants_other_key_is_served(
    rate_server: Server,
) -> None:
    tenant = "ratek"
    busy = _http(rate_server.base, f"Bearer {rate_server.tenant(tenant)}")
    calm = _http(rate_server.base, f"Bearer {rate_server.key(tenant)}")
    for _ in range(3):
        assert _get(busy, "/Users").status_code == 200
    r = _get(busy, "/Users")
    _assert_too_many(r, 2)  # the key's 3 in 2 s
    assert "key" in r.json()["detail"]
    assert _get(calm, "/Users").status_code == 200  # refused requests counted for nothing


# --- requests in flight --------------------------------------------------------------
def test_a_tenant_over_its_requests_in_flight_gets_429_others_are_served(
    busy_server: Server,
) -> None:
    heavy = heavy_tenant(busy_server, "busyb")
    quiet = Client(busy_server, busy_server.tenant("busya"))
    query = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": costly_filter(120),
        "count": 1,
    }
    outcome: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: outcome.append(heavy.post("/Users/.search", json=query))
    )
    thread.start()
    time.sleep(0.5)  # the slow search is in the server and holds the tenant's one slot
    refused = heavy.get("/Users", params={"count": 1})
    served = quiet.get("/Users")
    still_running = thread.is_alive()
    thread.join(120)
    assert still_running, "the slow search ended too early to test anything"
    _assert_too_many(refused, 1)
    assert served.status_code == 200
    assert outcome[0].status_code == 200, outcome[0].text
    # The slot came back with the response; an error response gives it back too.
    assert heavy.get("/Users/no-such-id").status_code == 404
    assert heavy.get("/Users", params={"count": 1}).status_code == 200


def test_bad_limit_settings_are_refused_at_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    for name, value in (
        ("SCIMDOCK_RATE_TENANT", "lots"),
        ("SCIMDOCK_AUTH_FAILURES", "0/minute"),
        ("SCIMDOCK_TENANT_CONCURRENCY", "none"),
    ):
        with pytest.raises(RuntimeError, match=name):
            start_server(tmp_path_factory.mktemp("badlimit"), env={name: value})
