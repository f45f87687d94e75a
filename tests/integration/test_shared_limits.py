"""The limits held across every process on one database (docs/security.md,
"Limits"; handlers/throttle.py): two ``scimdock serve`` on one database (a
SQLite file, or one PostgreSQL database under ``--backend=postgresql``),
and ``serve --workers 2`` (PostgreSQL only: ``serve`` refuses it on SQLite). Each test sets the limit it tests, small, and
sends its requests well inside one window, so that no wait is needed: a
window is counted as a moving one (no boundary to fall on)."""

from __future__ import annotations

import base64
import socket
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import (
    HEAVY_LIMITS,
    Server,
    check_response,
    heavy_tenant,
    new_database,
    start_server,
    stop_server,
    wait_until,
)
from scimdock.handlers.slots import LEASE_SECONDS

RATE = 400


def _pair(tmp: Path, env: dict[str, str]) -> tuple[Server, Server]:
    """Two ``serve`` on one new database, with the settings ``env``."""
    db = new_database(tmp)
    (tmp / "one").mkdir()
    (tmp / "two").mkdir()
    first = start_server(tmp / "one", env=env, db=db)
    try:
        return first, start_server(tmp / "two", env=env, db=db)
    except BaseException:
        stop_server(first)
        raise


@pytest.fixture
def rate_pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    pair = _pair(tmp_path, {"SCIMDOCK_RATE_TENANT": f"{RATE}/minute"})
    yield pair
    for server in pair:
        stop_server(server)


def _http(server: Server, token: str, local: str = "127.0.0.1") -> httpx.Client:
    return httpx.Client(
        base_url=server.base,
        headers={"Authorization": f"Bearer {token}"},
        transport=httpx.HTTPTransport(local_address=local),
        timeout=60,
    )


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    for r in responses:
        check_response(r)  # a 429 as the document says, Retry-After included
    return Counter(r.status_code for r in responses)


def test_a_client_alternating_between_two_instances_gets_the_rate_once(
    rate_pair: tuple[Server, Server],
) -> None:
    one, two = rate_pair
    token = one.tenant("alternating")
    clients = [_http(one, token), _http(two, token)]
    sent = RATE * 3 // 2
    responses = [clients[n % 2].get("/Users", params={"count": 1}) for n in range(sent)]
    through = _statuses(responses)
    print(f"\ntwo instances, one tenant at {RATE}/minute: {through[200]} of {sent} through")
    assert set(through) == {200, 429}, through
    assert 0.9 * RATE <= through[200] <= 1.1 * RATE, through
    # Both instances served, both refused: one count, not two.
    for parity in (0, 1):
        assert {r.status_code for r in responses[parity::2]} == {200, 429}
    other = _http(two, one.tenant("neighbour")).get("/Users")
    assert other.status_code == 200  # another tenant's count is its own


@pytest.mark.postgresql_only("serve refuses --workers on SQLite")
def test_workers_of_one_serve_count_the_rate_together(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, "--workers", "2", env={"SCIMDOCK_RATE_TENANT": f"{RATE}/minute"}
    )
    try:
        token = server.tenant("workers")
        sent = RATE * 3 // 2

        def one_request(_: int) -> httpx.Response:
            # A new connection each: the kernel hands each to either worker.
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
                return http.get(f"{server.base}/Users", params={"count": 1})

        with ThreadPoolExecutor(8) as pool:
            through = _statuses(list(pool.map(one_request, range(sent))))
        print(f"\n--workers 2, one tenant at {RATE}/minute: {through[200]} of {sent} through")
        assert set(through) == {200, 429}, through
        assert 0.9 * RATE <= through[200] <= 1.1 * RATE, through
    finally:
        stop_server(server)


def _guess(n: int, key_id: str = "k_nosuchkey") -> str:
    return base64.b64encode(f"{key_id}:guess-{n}".encode()).decode()


def test_failed_logins_count_across_instances(tmp_path: Path) -> None:
    one, two = _pair(tmp_path, {"SCIMDOCK_AUTH_FAILURES": "6/minute"})
    try:
        local, both = "127.0.0.9", (one, two)
        stale = [_http(server, _guess(0), local) for server in both]
        # One wrong token retried through both instances is one failure, not eight.
        assert [stale[n % 2].get("/Users").status_code for n in range(8)] == [401] * 8
        guesses = [_http(both[n % 2], _guess(n), local).get("/Users") for n in range(1, 7)]
        assert [r.status_code for r in guesses] == [401] * 5 + [429], guesses[-1].text
        assert _http(one, _guess(7), local).get("/Users").status_code == 429
        # A valid credential from the address is served by either; the
        # failures of an existing key count on both too.
        token = one.tenant("failures")
        assert _http(two, token, local).get("/Users").status_code == 200
        key = base64.b64decode(token).decode().split(":", 1)[0]
        spread = [
            _http(both[n % 2], _guess(n, key), f"127.0.2.{n + 1}").get("/Users").status_code
            for n in range(7)
        ]
        assert spread == [401] * 6 + [429]
    finally:
        stop_server(two)
        stop_server(one)


def _stalled_list(server: Server, token: str) -> socket.socket | None:
    """A GET of every user of a heavy tenant (megabytes) whose answer is
    never read past its status line: the server's send waits for the
    socket, and the request keeps its in-flight slot until the socket goes.
    ``None`` (the socket closed) when the answer was not a 200: no slot."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        f"GET /scim/v1/Users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    status = b""
    while len(status) < 12:
        status += sock.recv(12 - len(status))
    if status == b"HTTP/1.1 200":
        return sock
    sock.close()
    return None


def test_the_in_flight_cap_holds_across_instances_and_a_dead_ones_slots_come_back(
    tmp_path: Path,
) -> None:
    env = {"SCIMDOCK_TENANT_CONCURRENCY": "1", **HEAVY_LIMITS}
    one, two = _pair(tmp_path, env)
    try:
        heavy = heavy_tenant(one, "inflight")
        token = heavy.http.headers["authorization"].removeprefix("Bearer ")
        through_two = _http(two, token)
        quiet = _http(two, one.tenant("quietneighbour"))

        def refused_on_two() -> httpx.Response | None:
            r = through_two.get("/Users", params={"count": 1})
            assert r.status_code in (200, 429), r.text
            return r if r.status_code == 429 else None

        def served_on_two() -> bool:
            return bool(through_two.get("/Users", params={"count": 1}).status_code == 200)

        def held_by_one() -> socket.socket | None:
            # Refused while two still leases the slot: two gives back what
            # it holds free half a second after its last response.
            return _stalled_list(one, token)

        stalled = wait_until(held_by_one, 30, "a list on one to hold the slot", every=1)
        refused = refused_on_two()
        assert refused is not None  # two asks the pool: one holds its one slot
        check_response(refused)
        assert quiet.get("/Users").status_code == 200
        stalled.close()  # the answer goes nowhere; the slot comes back
        wait_until(served_on_two, 30, "the slot given back to the pool")
        # A process that dies holding a slot: its lease expires.
        stalled = wait_until(held_by_one, 30, "a list on one to hold the slot again", every=1)
        assert refused_on_two() is not None
        one.process.kill()
        one.process.wait(30)
        wait_until(
            served_on_two, LEASE_SECONDS + 15, f"the dead lease to expire ({LEASE_SECONDS} s)"
        )
        stalled.close()
    finally:
        stop_server(two)
        stop_server(one)
