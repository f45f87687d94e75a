"""``scimdock mock`` as a process a SCIM client's team runs: what its
stdout and stderr carry, how it ends (SIGINT and SIGTERM), what a faulted
request leaves in the journal, the upload limit of snapshots and seeds,
and how its mistakes read (docs/mock.md)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import wait_until
from scimdock.mock.testing import ScimMock
from tests.integration.test_mock import ERROR, USER, admin, is_scim_error, mock, scim

__all__ = ["mock"]  # the fixture of test_mock.py

pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)

MiB = 1024 * 1024


def scimdock(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scimdock", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def json_mock(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``scimdock mock --json`` with stdout a pipe and stderr a file."""
    stderr = tmp_path / "stderr.log"
    with open(stderr, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "scimdock", "mock", "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            stderr=err,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
    try:
        yield process, stderr
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        assert process.stdout is not None
        process.stdout.close()


def test_json_is_one_document_on_stdout_and_the_log_is_on_stderr(
    json_mock: tuple[subprocess.Popen[bytes], Path],
) -> None:
    process, stderr = json_mock
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    headers = {"Authorization": f"Bearer {info['token']}"}
    with httpx.Client(base_url=info["baseUrl"], headers=headers, timeout=10) as client:
        for _ in range(3):
            assert client.get("/Users").status_code == 200
    wait_until(lambda: stderr.read_text().count('"path":"/scim/v1/Users"') == 3, 10, "3 lines")
    process.send_signal(signal.SIGINT)
    rest = process.stdout.read()
    assert process.wait(30) == 0
    assert rest == b""  # all of stdout was the one line: json.load reads it
    log = stderr.read_text()
    assert "Warning" not in log  # no StarletteDeprecationWarning, nor any other
    assert [json.loads(line)["status"] for line in log.splitlines() if "requestId" in line] == [
        200,
        200,
        200,
    ]


def test_sigterm_removes_the_throwaway_database_as_sigint_does(tmp_path: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        server = ScimMock(env={"TMPDIR": str(tmp_path)})
        try:
            assert len(list(tmp_path.glob("scimdock-mock-*/mock.db"))) == 1
            with scim(server) as client:
                assert client.get("/Users").status_code == 200
            server.process.send_signal(sig)
            assert server.process.wait(30) == 0, server.log()
        finally:
            server.stop()
        assert list(tmp_path.glob("scimdock-mock-*")) == [], sig


def test_every_faulted_request_is_journaled_with_its_body(mock: ScimMock) -> None:
    """A status, a dropped connection, and a delay the client does not wait
    out: each request is in the journal with what it sent, so that verify
    finds the attempt that got the 429."""
    mock.fault(method="POST", path="/Users", status=429, retryAfter=1, times=1)
    mock.fault(method="POST", path="/Users", drop="reset", times=1)
    mock.fault(method="POST", path="/Users", latencyMs=2000, times=1)
    bodies = [{"schemas": [USER], "userName": name} for name in ("ann", "bob", "cy")]
    with scim(mock) as client:
        refused = client.post("/Users", json=bodies[0])
        assert is_scim_error(refused, 429)
        with pytest.raises(httpx.TransportError):
            client.post("/Users", json=bodies[1])
        with pytest.raises(httpx.TimeoutException):
            client.post("/Users", json=bodies[2], timeout=0.5)

    def all_three() -> list[dict[str, Any]] | None:
        found = mock.journal(method="POST")
        return found if len(found) == 3 else None

    entries = wait_until(all_three, 30, "three POSTs in the journal")
    assert [e["request"]["body"] for e in entries] == bodies
    assert [e["fault"]["rule"] for e in entries] == [0, 1, 2]
    assert [e["status"] for e in entries[:2]] == [429, None]
    # Read before the delay: the request went on as sent (no "Request body
    # must not be empty"); the client had gone when it was answered.
    assert entries[2]["status"] == 201, entries[2]["response"]
    verdict = mock.verify(method="POST", path="/Users", status=429, resource={"userName": "ann"})
    assert verdict["ok"] and verdict["matched"] == 1, verdict


def test_a_snapshot_over_the_body_limit_goes_back_as_it_came(mock: ScimMock) -> None:
    """GET /snapshot then PUT of the same document, well over the 1 MiB
    of SCIMDOCK_MAX_BODY: the seed and the snapshot take uploads up to
    SCIMDOCK_MAX_UPLOAD; every other request keeps the 1 MiB."""
    # Large users rather than many: over the 1 MiB in few rows.
    users = [
        {"userName": f"user{i:04d}@example.com", "title": f"{i:04d}" + "t" * 1500}
        for i in range(800)
    ]
    with admin(mock) as adm, scim(mock) as client:
        adm.timeout = httpx.Timeout(120)
        seeded = adm.post("/seed", json={"users": users})
        assert seeded.status_code == 200, seeded.text
        taken = adm.get("/snapshot")
        assert taken.status_code == 200 and len(taken.content) > MiB
        client.post("/Users", json={"schemas": [USER], "userName": "extra"})
        loaded = adm.put(
            "/snapshot", content=taken.content, headers={"Content-Type": "application/json"}
        )
        assert loaded.status_code == 200, loaded.text
        assert len(loaded.json()["users"]) == 800
        assert adm.get("/snapshot").json() == taken.json()
        # The SCIM API's limit stays, and so does the admin API's elsewhere.
        big = {"schemas": [USER], "userName": "big", "title": "t" * MiB}
        assert is_scim_error(client.post("/Users", json=big), 413)
        assert is_scim_error(adm.put("/profile", json={"name": "t" * MiB}), 413)
    # The upload's own limit, refused before a byte of the body is sent.
    origin = urlsplit(mock.admin_url)
    with socket.create_connection((origin.hostname, origin.port), timeout=10) as sock:
        sock.sendall(
            f"PUT {origin.path}/tenants/{mock.tenant}/snapshot HTTP/1.1\r\n"
            f"Host: {origin.netloc}\r\nAuthorization: Bearer {mock.admin_token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {64 * MiB + 1}\r\n\r\n".encode()
        )
        answer = sock.makefile("rb").readline()
    assert answer.startswith(b"HTTP/1.1 413 "), answer


@pytest.mark.parametrize(
    ("verb", "path", "body", "detail"),
    [
        ("PUT", "/profile", {"filter": 5}, "Field 'filter' must be a string, not 5."),
        (
            "PUT",
            "/profile",
            {"filter": "some"},
            'Field \'filter\' must be one of "all", "eq" or "none", not "some".',
        ),
        ("POST", "/faults", {"status": 99}, "Field 'status' must be at least 400, not 99."),
        ("POST", "/seed", {"groups": [{}]}, "Field 'groups[0].displayName' is required."),
        (
            "POST",
            "/journal/verify",
            {"count": {"exactly": "one"}},
            "Field 'count.exactly' must be an integer, not \"one\".",
        ),
    ],
)
def test_admin_validation_errors_are_one_sentence_naming_the_field(
    mock: ScimMock, verb: str, path: str, body: Any, detail: str
) -> None:
    with admin(mock) as adm:
        refused = adm.request(verb, path, json=body)
    assert refused.status_code == 400
    assert refused.json() == {
        "schemas": [ERROR],
        "status": "400",
        "detail": detail,
        "scimType": "invalidValue",
    }


def test_an_unknown_admin_field_is_named_with_the_fields_there_are(mock: ScimMock) -> None:
    with admin(mock) as adm:
        refused = adm.put("/profile", json={"colour": "red"})
    assert is_scim_error(refused, 400)
    detail = refused.json()["detail"]
    assert detail.startswith("The body has a field 'colour' that it does not take (the fields")
    assert "patchResponse" in detail and "\n" not in detail


def test_an_unknown_profile_is_a_usage_error_listing_the_presets(tmp_path: Path) -> None:
    done = scimdock("mock", "--port", "0", "--profile", "okta", env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("scimdock: error: --profile okta: neither a preset (scimdock, ")
    assert "rfc-strict" in line and "minimal" in line and "nor a readable file" in line
    assert list(tmp_path.glob("scimdock-mock-*")) == []
    bad = scimdock("mock", "--port", "0", "--fault", '{"status": "x"}')
    assert bad.returncode == 2
    assert bad.stderr == (
        "scimdock: error: fault rule: field 'status' must be an integer, not \"x\"\n"
    )


def test_the_version_prints_nothing_on_stderr() -> None:
    done = scimdock("--version")
    assert done.returncode == 0 and done.stdout.startswith("scimdock ")
    assert done.stderr == ""
