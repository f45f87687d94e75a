"""The ``scimdock`` command line: the exact interface the docs promise."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, cli

#: The command line on SQLite files of its own: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only


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
    assert listed[0]["name"] == "acme" and listed[0]["scimEnabled"] is True
    assert "acme" in cli(db, "tenant", "list").stdout


def test_key_create_json_is_exactly_one_object(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    cli(db, "tenant", "create", "acme")
    out = cli(db, "key", "create", "--tenant", "acme", "--label", "entra", "--json")
    assert out.returncode == 0
    key = json.loads(out.stdout)
    assert out.stdout.count("\n") == 1
    assert {"id", "tenant", "label", "status", "secret", "token"} <= set(key)
    assert (key["tenant"], key["label"], key["status"]) == ("acme", "entra", "active")
    import base64

    assert base64.b64decode(key["token"]).decode() == f"{key['id']}:{key['secret']}"
    assert len(key["secret"]) >= 32
    listed = cli(db, "key", "list", "--tenant", "acme")
    assert key["id"] in listed.stdout and key["secret"] not in listed.stdout
    assert cli(db, "key", "create", "--tenant", "nope").returncode != 0
    assert cli(db, "key", "revoke", "sk_nope").returncode != 0


def test_secret_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "cli.db"
    cli(db, "tenant", "create", "acme")
    key = json.loads(cli(db, "key", "create", "--tenant", "acme", "--json").stdout)
    raw = db.read_bytes() + (
        Path(str(db) + "-wal").read_bytes() if Path(str(db) + "-wal").exists() else b""
    )
    assert key["secret"].encode() not in raw
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT secret_hash FROM api_keys").fetchone()
    assert len(stored) == 32


def test_db_from_environment_variable(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    env = {**os.environ, "SCIMDOCK_DB": str(db)}
    out = subprocess.run(
        [sys.executable, "-m", "scimdock", "tenant", "create", "envt"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert db.exists()


def _names(value: Any) -> set[str]:
    """Every field name in a JSON document, nested ones included."""
    if isinstance(value, dict):
        return set(value) | {n for v in value.values() for n in _names(v)}
    if isinstance(value, list):
        return {n for v in value for n in _names(v)}
    return set()


def test_every_command_takes_json() -> None:
    from scimdock.cli import _parser

    def leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield parser
        for action in subs:
            for child in action.choices.values():
                yield from leaves(child)

    commands = list(leaves(_parser()))
    assert len(commands) >= 19
    assert [c.prog for c in commands if "--json" not in c._option_string_actions] == []


def test_json_output_uses_the_admin_api_names(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"

    def out(*args: str) -> Any:
        done = cli(db, *args, "--json")
        assert done.returncode == 0 and done.stdout.count("\n") == 1, done
        value = json.loads(done.stdout)
        assert {n for n in _names(value) if "_" in n} == set(), value  # camelCase only
        return value

    assert out("tenant", "create", "acme") == {**out("tenant", "list")[0], "scimEnabled": False}
    assert out("tenant", "enable-scim", "acme")["scimEnabled"] is True
    key = out("key", "create", "--tenant", "acme", "--label", "idp")
    [listed] = out("key", "list", "--tenant", "acme")
    assert listed == {k: v for k, v in key.items() if k not in ("secret", "token")}
    assert {"id", "lastUsed", "lastUsedFrom", "previousSecretValidUntil"} <= set(listed)
    assert out("key", "update", key["id"], "--label", "entra")["label"] == "entra"
    rotated = out("key", "rotate", key["id"], "--grace", "60")
    assert rotated["id"] == key["id"] and rotated["previousSecretValidUntil"] is not None
    assert out("key", "revoke", key["id"])["status"] == "revoked"
    token = out("admin-token", "create", "--tenant", "acme")
    assert (token["role"], token["tenant"], token["status"]) == ("tenantAdmin", "acme", "active")
    assert out("admin-token", "list")[0]["id"] == token["id"]
    assert out("admin-token", "revoke", token["id"])["status"] == "revoked"
    assert out("user", "access", "--tenant", "acme", "--user-name", "nobody") == {
        "allowed": False,
        "reason": "notFound",
        "userId": None,
        "userName": None,
    }
    assert out("user", "tombstones", "--tenant", "acme") == []
    assert {e["resourceType"] for e in out("audit", "--tenant", "acme")} == {
        "Tenant",
        "ApiKey",
        "AdminToken",
    }
    assert out("tenant", "disable-scim", "acme")["scimEnabled"] is False
    assert out("tenant", "delete", "acme") == {"name": "acme", "deleted": True, "force": False}
