"""The ``scimdock`` command line: the exact interface the docs promise."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import ROOT, cli, free_port


def test_tenant_lifecycle_and_errors(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    out = cli(db, "tenant", "create", "acme")
    assert out.returncode == 0, out.stderr
    dup = cli(db, "tenant", "create", "acme")
    assert dup.returncode != 0
    assert dup.stderr.strip().count("\n") == 0 and "already exists" in dup.stderr
    bad = cli(db, "tenant", "create", "Not A Label")
    assert bad.returncode != 0 and "invalid tenant name" in bad.stderr
    assert cli(db, "tenant", "enable-scim", "nope").returncode != 0
    assert cli(db, "tenant", "enable-scim", "acme").returncode == 0
    listed = json.loads(cli(db, "tenant", "list", "--json").stdout)
    assert listed[0]["name"] == "acme" and listed[0]["scim_enabled"] is True
    assert "acme" in cli(db, "tenant", "list").stdout


def test_key_create_json_is_exactly_one_object(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    cli(db, "tenant", "create", "acme")
    out = cli(db, "key", "create", "--tenant", "acme", "--label", "entra", "--json")
    assert out.returncode == 0
    key = json.loads(out.stdout)
    assert set(key) == {"key_id", "secret", "token"}
    import base64
    assert base64.b64decode(key["token"]).decode() == f"{key['key_id']}:{key['secret']}"
    assert len(key["secret"]) >= 32
    listed = cli(db, "key", "list", "--tenant", "acme")
    assert key["key_id"] in listed.stdout and key["secret"] not in listed.stdout
    assert cli(db, "key", "create", "--tenant", "nope").returncode != 0
    assert cli(db, "key", "revoke", "sk_nope").returncode != 0


def test_secret_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    import sqlite3
    db = tmp_path / "cli.db"
    cli(db, "tenant", "create", "acme")
    key = json.loads(cli(db, "key", "create", "--tenant", "acme", "--json").stdout)
    raw = db.read_bytes() + (Path(str(db) + "-wal").read_bytes()
                             if Path(str(db) + "-wal").exists() else b"")
    assert key["secret"].encode() not in raw
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT secret_hash FROM api_keys").fetchone()
    assert len(stored) == 32


def test_db_from_environment_variable(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    env = {**os.environ, "SCIMDOCK_DB": str(db)}
    out = subprocess.run([sys.executable, "-m", "scimdock", "tenant", "create", "envt"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert db.exists()


def test_serve_demo_prints_base_url_and_a_working_token(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimdock", "--db", str(tmp_path / "demo.db"), "serve", "--demo",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}/scim/v1" in text
        token = re.search(r"token:\s+(\S+)", text)
        assert token
        url = f"http://127.0.0.1:{port}/scim/v1/Users?filter=userName%20eq%20%22x%22"
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(url, headers={"Authorization": f"Bearer {token.group(1)}"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200 and r.json()["totalResults"] == 0
    finally:
        proc.terminate()
        proc.wait(10)
