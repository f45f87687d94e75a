"""Statements per SCIM request on PostgreSQL, read from the server's own
statement log (``log_statement = 'all'``, tests/postgres_cluster.py): the
round trips each request of the Entra-like cycle (bench/entra_shapes.py)
costs, the figure docs/deployment.md ("Speed") reports.

A real ``scimdock serve`` on a throwaway cluster; each request is sent
after a few of its kind (the pool's connections opened, the caches
warm), then a marker statement on a connection of its own shows where
the request's statements end in the log. Not timed, not part of ``make
bench``: run ``.venv/bin/python bench/pg_statements.py [-v]`` (``-v``
prints the statements themselves).
"""

from __future__ import annotations

import http.client
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench import entra_shapes as shapes  # noqa: E402
from bench import servers  # noqa: E402
from tests.postgres_cluster import PostgresCluster  # noqa: E402

Send = Callable[[str, str, Any], tuple[int, Any]]


def _sender(server: servers.Server) -> Send:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def send(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": server.auth, "Content-Type": "application/scim+json"}
        data = None if body is None else json.dumps(body)
        conn.request(method, server.base + path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else None

    return send


def _own(logged: list[str], start: int, end: int) -> list[str]:
    """The statements of ``logged[start:end]`` but the limits' own
    transactions (store.pg_counters: ``BEGIN``, statements on
    ``limit_counts``, ``COMMIT``), which a request may or may not trigger."""
    out, counting = [], False
    for k in range(start, end):
        text = logged[k]
        ahead = logged[k + 1] if k + 1 < len(logged) else ""
        if text == "BEGIN" and ("limit_counts" in ahead or "advisory" in ahead):
            counting = True
        if not counting and "limit_counts" not in text and "advisory" not in text:
            out.append(text)
        if counting and text == "COMMIT":
            counting = False
    return out


def main() -> None:
    verbose = "-v" in sys.argv
    cluster = PostgresCluster()
    logdir = Path(tempfile.mkdtemp(prefix="pg-statements-"))
    try:
        url = cluster.new_database(log_statements=True)
        database = url.rsplit("/", 1)[1]
        token = servers.tenant_token(url, "t")  # type: ignore[arg-type]
        server = servers.scimdock(url, token, logdir)
    except BaseException:
        cluster.stop()
        raise
    try:
        send = _sender(server)
        marks = iter(range(1_000_000))

        def counted(label: str, request: Callable[[int], tuple[int, Any]], n: int = 4) -> Any:
            """Send ``request`` ``n`` times; the last one's statements."""
            result: Any = None
            for i in range(n):
                with psycopg.connect(url, autocommit=True) as mark:
                    before = f"mark-{next(marks)}"
                    mark.execute(f"SELECT '{before}'")
                    status, result = request(i)
                    assert status < 300, (label, status, result)
                    after = f"mark-{next(marks)}"
                    mark.execute(f"SELECT '{after}'")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                logged = cluster.statements(database)
                ends = [k for k, s in enumerate(logged) if after in s]
                if ends:
                    start = next(k for k, s in enumerate(logged) if before in s)
                    mine = _own(logged, start + 1, ends[0])
                    print(f"{len(mine):3d}  {label}")
                    for s in mine if verbose else ():
                        print("       ", " ".join(s.split())[:160])
                    return result
                time.sleep(0.05)
            raise SystemExit(f"the marker of {label} never reached the log")

        run = "s"
        users: list[str] = []

        def create(i: int) -> tuple[int, Any]:
            status, doc = send("POST", "/Users", shapes.create_user(run, len(users)))
            users.append(doc["id"])
            return status, doc

        counted("GET /Users?filter=userName eq (none found)",
                lambda i: send("GET", shapes.user_filter(f"nobody{i}")))  # fmt: skip
        counted("POST /Users", create, n=8)
        counted("GET /Users/{id}", lambda i: send("GET", f"/Users/{users[i]}"))
        group = counted("POST /Groups",
                        lambda i: send("POST", "/Groups", shapes.create_group(run, i)))  # fmt: skip
        counted("GET /Groups?filter=displayName eq (one found)",
                lambda i: send("GET", shapes.group_filter(
                    shapes.group_name(run, 0))))  # fmt: skip
        counted("PATCH /Groups/{id} (add a member)",
                lambda i: send("PATCH", f"/Groups/{group['id']}",
                               shapes.members("Add", [users[i]])))  # fmt: skip
        counted("PATCH /Users/{id} (replace attributes)",
                lambda i: send("PATCH", f"/Users/{users[i]}", shapes.update_user(run, i)))  # fmt: skip
        counted("PATCH /Users/{id} (active false)",
                lambda i: send("PATCH", f"/Users/{users[4 + i]}", shapes.deactivate()))  # fmt: skip
    finally:
        server.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
