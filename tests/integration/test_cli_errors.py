"""Mistakes at the ``scimdock`` command line: one line on stderr, a
non-zero exit (1 refused or failed, 2 usage or a bad ``SCIMDOCK_*`` value),
never a traceback, and nothing created on the way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

#: The command line on SQLite files of its own: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only

#: (environment, arguments after --db, exit status, text the line must hold)
CASES = {
    "not a database": ({}, ("tenant", "list"), 1, "file is not a database"),
    "not a database, writing": ({}, ("tenant", "create", "acme"), 1, "file is not a database"),
    "db under a regular file": ({}, ("tenant", "create", "acme"), 1, "not a folder"),
    "bad log level": ({}, ("serve", "--log-level", "loud"), 2, "argument --log-level"),
    "port out of range": ({}, ("serve", "--port", "99999"), 2, "1 to 65535"),
    "port zero": ({}, ("serve", "--port", "0"), 2, "1 to 65535"),
    "bad trusted proxy": (
        {},
        ("serve", "--forwarded-allow-ips", "proxy.local"),
        2,
        "'proxy.local' is not an IP address",
    ),
    "unknown command": ({}, ("tenant", "rename", "a"), 2, "invalid choice"),
    "missing argument": ({}, ("key", "create"), 2, "--tenant"),
    "max results": ({"SCIMDOCK_MAX_RESULTS": "abc"}, ("serve",), 2, "SCIMDOCK_MAX_RESULTS"),
    "env port": ({"SCIMDOCK_PORT": "99999"}, ("serve",), 2, "SCIMDOCK_PORT"),
    "env log level": ({"SCIMDOCK_LOG_LEVEL": "loud"}, ("serve",), 2, "SCIMDOCK_LOG_LEVEL"),
    "env proxies": (
        {"SCIMDOCK_FORWARDED_ALLOW_IPS": "10.0.0.0/33"},
        ("serve",),
        2,
        "SCIMDOCK_FORWARDED_ALLOW_IPS",
    ),
    "env strict": ({"SCIMDOCK_STRICT": "maybe"}, ("serve",), 2, "SCIMDOCK_STRICT"),
    "env public url": (
        {"SCIMDOCK_PUBLIC_URL": "acme.example.com"},
        ("serve",),
        2,
        "SCIMDOCK_PUBLIC_URL",
    ),
    "env synchronous": (
        {"SCIMDOCK_SYNCHRONOUS": "sometimes"},
        ("tenant", "create", "acme"),
        2,
        "SCIMDOCK_SYNCHRONOUS",
    ),
    "short admin token": (
        {"SCIMDOCK_ADMIN_TOKEN": "too-short"},
        ("serve",),
        2,
        "SCIMDOCK_ADMIN_TOKEN is too short",
    ),
}


def scimdock(
    db: str | Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCIMDOCK_")}
    return subprocess.run(
        [sys.executable, "-m", "scimdock", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**environ, **(env or {})},
    )


def one_line(out: subprocess.CompletedProcess[str], status: int) -> str:
    """The one ``scimdock: error:`` line of a failed command."""
    assert out.returncode == status, out
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert out.stderr.startswith("scimdock: error: ") and out.stderr.count("\n") == 1, out.stderr
    return out.stderr


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_mistake_is_one_line_and_creates_nothing(case: str, tmp_path: Path) -> None:
    env, args, status, text = CASES[case]
    db = {
        "not a database": "/etc/passwd",
        "not a database, writing": "/etc/passwd",
        "db under a regular file": "/etc/passwd/x.db",
    }.get(case, tmp_path / "d" / "s.db")
    line = one_line(scimdock(db, *args, env=env), status)
    assert text in line
    assert "too-short" not in line  # a secret is never repeated
    assert list(tmp_path.iterdir()) == []  # no database, no folder


READERS = {
    "tenant list": ("tenant", "list"),
    "key list": ("key", "list", "--tenant", "acme"),
    "user access": ("user", "access", "--tenant", "acme", "some-id"),
    "user tombstones": ("user", "tombstones", "--tenant", "acme"),
    "audit": ("audit", "--tenant", "acme"),
    "admin-token list": ("admin-token", "list"),
}


@pytest.mark.parametrize("command", READERS, ids=list(READERS))
def test_a_reading_command_refuses_a_missing_database(command: str, tmp_path: Path) -> None:
    for db in (tmp_path / "missing.db", tmp_path / "no" / "such" / "folder" / "x.db"):
        assert "no database at" in one_line(scimdock(db, *READERS[command], "--json"), 1)
    assert list(tmp_path.iterdir()) == []


def test_serve_on_a_port_in_use_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        out = scimdock(tmp_path / "s.db", "serve", "--demo", "--port", port)
    assert f"cannot listen on 127.0.0.1:{port}" in one_line(out, 1)
    assert list(tmp_path.iterdir()) == []  # bound before the database is opened


def test_version_is_the_installed_distribution() -> None:
    from importlib.metadata import version

    out = subprocess.run(
        [sys.executable, "-m", "scimdock", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout == f"scimdock {version('scimdock')}\n"
