"""``scimdock check`` before it sends anything: the command line's words
(the fuzz suite without schemathesis, an unknown suite), what the CLI
imports at start, and the guard that refuses a write the run may not make."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scimdock.check.model import Unsafe
from scimdock.check.target import Target

#: A port nothing listens on: a request that got out would fail differently.
NOWHERE = "http://127.0.0.1:9/scim/v2"


def _cli(*args: str, hide: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        + (f"sys.modules[{hide!r}] = None\n" if hide else "")
        + "from scimdock.cli import main\nraise SystemExit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "check", NOWHERE, "--token", "t", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_fuzz_suite_without_schemathesis_says_how_to_install_it() -> None:
    out = _cli("--suite", "rfc,fuzz", hide="schemathesis")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "scimdock: error: the fuzz suite needs schemathesis: pip install 'scimdock[check]'"
    ]
    assert out.stdout == ""


def test_an_unknown_suite_is_a_usage_error() -> None:
    out = _cli("--suite", "rfc,ldap")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "scimdock: error: no suite 'ldap'; suites: rfc, entra, okta, fuzz"
    ]


def test_the_command_line_starts_without_the_check() -> None:
    code = (
        "import sys, scimdock.cli\n"
        "print(sorted(m for m in sys.modules if m in ('httpx', 'schemathesis')"
        " or m.startswith('scimdock.check.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("method", "path", "body", "why"),
    [
        ("POST", "/Users", {"userName": "alice"}, "does not start with"),
        ("POST", "/Groups", {"displayName": "Sales"}, "does not start with"),
        (
            "POST",
            "/Bulk",
            {"Operations": [{"method": "POST", "path": "/Users", "data": {}}]},
            "does not start with",
        ),
    ],
)
def test_a_create_without_the_prefix_is_never_sent(
    method: str, path: str, body: dict[str, object], why: str
) -> None:
    target = Target(NOWHERE, "secret-token", prefix="scimdock-check-x-")
    with pytest.raises(Unsafe, match=why):
        target.request(method, path, json=body)
    assert target.sent == 0 and target.last is None


def test_read_only_sends_no_write() -> None:
    target = Target(NOWHERE, "secret-token", read_only=True)
    for method, path in (("POST", "/Users"), ("DELETE", "/Users/x"), ("PATCH", "/Groups/y")):
        with pytest.raises(Unsafe, match="--read-only"):
            target.request(method, path, json={})
    assert target.sent == 0


def test_a_target_that_does_not_answer_fails_the_run() -> None:
    """Nothing answers: every flow is skipped for want of discovery, and
    the run fails rather than passing on nothing."""
    out = _cli("--suite", "okta")
    assert out.returncode == 1, out.stderr
    assert "run    discovery" in out.stdout and "FAIL" in out.stdout
    assert "0 passed, 1 failed, 7 skipped" in out.stdout
