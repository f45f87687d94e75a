"""The noisy neighbour: tenant A's reads while tenant B runs the costliest
query the API takes.

Tenant B holds a few users with megabyte-long e-mail values and sends, from
two connections without pause, an ``or`` of 60 ``emails[value co "..."]``
comparisons (each scans every value); tenant A reads one user by id from
one connection. A's latency is measured idle, then under B's load; the
target is A's p99 under load within 3x its idle p99. B's queries end at the
store's time budget (``SCIMDOCK_QUERY_BUDGET``) with 400 ``tooMany`` or
complete; either way they run on reader threads, off the event loop that
serves A. Run by ``make bench``; prints both figures and the verdict.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
#: A's reads per measurement, and B's connections.
READS, NOISY_CONNECTIONS = 400, 2
TARGET = 3.0
#: B's 400,000-character values are over the default string and body limits
#: (docs/configuration.md): raised, as tests/integration/test_noisy_neighbour.py does.
LIMITS = {"SCIMDOCK_MAX_BODY": str(4 << 20), "SCIMDOCK_MAX_STRING": "500000"}


def _request(
    port: int, token: str, method: str, path: str, body: object = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _latencies(port: int, token: str, path: str, n: int) -> list[float]:
    """``n`` sequential GETs on one keep-alive connection, in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        out.append(1000 * (time.perf_counter() - t0))
        assert response.status == 200, response.status
    conn.close()
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="scimdock-noisy-"))
    db = work / "noisy.db"
    token_a, token_b = servers.tenant_token(db, "quiet"), servers.tenant_token(db, "noisy")
    server = servers.scimdock(db, token_a, work, env=LIMITS)
    port = server.port
    try:
        filler = "x" * 400_000
        for n in range(8):
            emails = [{"value": f"{filler}{n}{k}@example.com", "type": "work"} for k in range(4)]
            status, _ = _request(
                port,
                token_b,
                "POST",
                "/scim/v1/Users",
                {"schemas": [CORE], "userName": f"heavy{n}", "emails": emails},
            )
            assert status == 201, status
        status, body = _request(
            port, token_a, "POST", "/scim/v1/Users", {"schemas": [CORE], "userName": "ann"}
        )
        path = f"/scim/v1/Users/{json.loads(body)['id']}"
        expensive = "/scim/v1/Users?count=1&filter=" + " or ".join(
            f'emails[value co "q{i}-none"]' for i in range(60)
        ).replace(" ", "%20").replace('"', "%22")

        _latencies(port, token_a, path, 50)  # warm-up
        idle = _latencies(port, token_a, path, READS)
        stop = threading.Event()
        answers: list[int] = []

        def noisy() -> None:
            while not stop.is_set():
                answers.append(_request(port, token_b, "GET", expensive)[0])

        threads = [threading.Thread(target=noisy) for _ in range(NOISY_CONNECTIONS)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        busy = _latencies(port, token_a, path, READS)
        stop.set()
        for t in threads:
            t.join(300)
    finally:
        server.stop()
    idle_p99, busy_p99 = _p(idle, 99), _p(busy, 99)
    ratio = busy_p99 / idle_p99
    print("\n-- noisy neighbour (SQLite): tenant A's GET /Users/{id} while tenant B filters\n")
    print(f"  idle      p50 {_p(idle, 50):7.2f} ms   p99 {idle_p99:7.2f} ms")
    print(f"  B busy    p50 {_p(busy, 50):7.2f} ms   p99 {busy_p99:7.2f} ms")
    print(f"  B's answers: {len(answers)} ({', '.join(sorted({str(a) for a in answers}))})")
    verdict = "met" if ratio <= TARGET else "NOT MET"
    print(f"  p99 under load / idle p99: {ratio:.2f}x (target <= {TARGET:g}x): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
