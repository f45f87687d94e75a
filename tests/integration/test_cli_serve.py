"""``scimdock serve`` from the shell: ``--demo --json`` prints one JSON
line and reuses its key across starts; ``SCIMDOCK_PORT`` and
``SCIMDOCK_LOG_LEVEL`` apply unless the command line says otherwise;
``--forwarded-allow-ips`` decides whose ``X-Forwarded-For`` is believed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ROOT, cli, free_port

#: Serve --demo on SQLite files of its own: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only


@contextmanager
def demo(db: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """``serve --demo --json``: its one JSON line, the server running meanwhile."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCIMDOCK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimdock", "--db", str(db), "serve", "--demo", "--json", *args],
        cwd=ROOT,
        text=True,
        env={**environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert set(line) == {"baseUrl", "token"}
        yield line
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert out == ""  # exactly one line on stdout
    assert "Traceback" not in err


def _get(url: str, token: str) -> httpx.Response:
    """No retry: the port listens before the URL is printed; a connection made
    while the app starts waits in the listen backlog."""
    return httpx.get(f"{url}/Users", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_demo_reuses_its_key_and_the_environment_configures_serve(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    port, other = free_port(), free_port()
    with demo(db, env={"SCIMDOCK_PORT": str(port), "SCIMDOCK_LOG_LEVEL": "warning"}) as first:
        assert first["baseUrl"] == f"http://127.0.0.1:{port}/scim/v1"
        assert _get(first["baseUrl"], first["token"]).status_code == 200
    token_file = Path(str(db) + ".demo-token")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    # The command line wins over the environment; the first token still works.
    with demo(
        db,
        "--port",
        str(other),
        "--forwarded-allow-ips",
        "192.0.2.0/24",
        env={"SCIMDOCK_PORT": str(port), "SCIMDOCK_LOG_LEVEL": "warning"},
    ) as second:
        assert second["baseUrl"] == f"http://127.0.0.1:{other}/scim/v1"
        assert second["token"] == first["token"]
        assert _get(second["baseUrl"], first["token"]).status_code == 200
        # 127.0.0.1 is not a trusted proxy now: its X-Forwarded-For is not believed.
        r = httpx.post(
            f"{second['baseUrl']}/Users",
            json={"userName": "fwd@example.com"},
            headers={
                "Authorization": f"Bearer {second['token']}",
                "X-Forwarded-For": "198.51.100.7",
            },
        )
        assert r.status_code == 201, r.text
    keys = json.loads(cli(db, "key", "list", "--tenant", "demo", "--json").stdout)
    assert [(k["label"], k["status"]) for k in keys] == [("serve --demo", "active")]
    log = json.loads(cli(db, "audit", "--tenant", "demo", "--json").stdout)
    assert [e["actor"]["address"] for e in log if e["resourceType"] == "User"] == ["127.0.0.1"]


def test_a_lost_demo_token_is_replaced_and_the_old_key_revoked(tmp_path: Path) -> None:
    """Without the file (or with its key revoked) a new key is made; the old
    demo key is revoked so only one stays active."""
    db = tmp_path / "demo.db"
    assert cli(db, "tenant", "create", "demo").returncode == 0
    old = json.loads(
        cli(db, "key", "create", "--tenant", "demo", "--label", "serve --demo", "--json").stdout
    )
    Path(str(db) + ".demo-token").write_text(old["token"] + "x\n")  # a token that fails
    with demo(db, "--port", str(free_port()), "--log-level", "warning") as started:
        assert started["token"] != old["token"]
        assert _get(started["baseUrl"], started["token"]).status_code == 200
    keys = json.loads(cli(db, "key", "list", "--tenant", "demo", "--json").stdout)
    assert sorted((k["id"] == old["id"], k["status"]) for k in keys) == [
        (False, "active"),
        (True, "revoked"),
    ]
    assert Path(str(db) + ".demo-token").read_text().strip() == started["token"]
