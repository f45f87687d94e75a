"""A pytest plugin: the ``scim_mock`` fixture, a throwaway ``scimdock
mock`` for the tests of a SCIM client (docs/mock.md, "From pytest").

Installed with scimdock (the ``pytest11`` entry point ``scimdock``)::

    def test_deprovisioning(scim_mock):
        my_client.sync(base_url=scim_mock.url, token=scim_mock.token)
        assert scim_mock.verify(method="PATCH", path="/Users/*",
                                patch=[{"op": "replace", "path": "active", "value": False}],
                                count={"exactly": 1})["ok"]

Each test gets its own server process on a free port, with its own
temporary database, stopped when the test ends. The server's log (its
stderr: access lines, server messages) goes to a file in a temporary
folder of the fixture's, never to a pipe that nobody reads (a full pipe
would stop the server), and is shown in the report of a test that fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

#: Seconds the server may take to start or stop.
TIMEOUT = 30.0
#: The last characters of the server's log shown with a failing test.
LOG_TAIL = 20_000


class ScimMock:
    """A running ``scimdock mock``: ``url`` and ``token`` for the client
    under test, and the admin side (journal, verify, faults, reset, seed)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self._folder = tempfile.mkdtemp(prefix="scimdock-mock-log-")
        self.log_path = Path(self._folder) / "mock.log"
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scimdock", "mock", "--port", "0", "--json", *args],
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, **(env or {})},
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(TIMEOUT)
            self.process.stdout.close()
            text = self.log()
            shutil.rmtree(self._folder, ignore_errors=True)
            raise RuntimeError(f"scimdock mock did not start: {text}")
        # stdout carries the one line of --json; anything after it is kept
        # with the log rather than left to fill the pipe.
        self._drain = threading.Thread(
            target=_copy, args=(self.process.stdout, self.log_path), daemon=True
        )
        self._drain.start()
        self.info: dict[str, str] = json.loads(line)
        self.tenant = self.info["tenant"]
        self.url = self.info["baseUrl"]
        self.token = self.info["token"]
        self.admin_url = self.info["adminUrl"]
        self.admin_token = self.info["adminToken"]

    def log(self) -> str:
        """What the server wrote so far beside its ``--json`` line."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:  # stopped: the folder is gone
            return ""

    def call(self, verb: str, path: str, body: Any = None, /, **params: Any) -> Any:
        """One admin call on this tenant (``path`` under
        ``/admin/v1/tenants/<tenant>``); its JSON answer, or
        :class:`AssertionError` with the SCIM Error for a refusal."""
        url = f"{self.admin_url}/tenants/{self.tenant}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, method=verb)
        request.add_header("Authorization", f"Bearer {self.admin_token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data, timeout=TIMEOUT) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(
                f"scimdock mock answered {exc.code}: {exc.read().decode(errors='replace')}"
            ) from None
        return json.loads(raw) if raw else None

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal's entries (filters: method, path, status, since,
        until, resourceId), oldest first."""
        return list(self.call("GET", "/journal", count=1000, **filters)["Resources"])

    def clear_journal(self) -> None:
        self.call("DELETE", "/journal")

    def find(self, **matcher: Any) -> list[dict[str, Any]]:
        """The journal's entries a request matcher matches (docs/mock.md,
        "Match, find and verify"), oldest first."""
        return list(self.call("POST", "/journal/find", matcher)["Resources"])

    def verify(self, **expected: Any) -> dict[str, Any]:
        """The verdict of ``POST .../journal/verify`` (``ok``, ``summary``,
        ``reasons``, ``matched``, ``nearest``)."""
        return dict(self.call("POST", "/journal/verify", expected))

    def scenarios(self) -> dict[str, str]:
        """Each scenario of the rules and its state."""
        return dict(self.call("GET", "/scenarios")["scenarios"])

    def fault(self, rule: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Add one fault rule (a dict, or its fields as keywords)."""
        return dict(self.call("POST", "/faults", {**(rule or {}), **fields}))

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    def reset(self) -> dict[str, Any]:
        """Remove every user and group; the journal and faults stay."""
        return dict(self.call("POST", "/reset"))

    def seed(self, users: list[Any] | None = None, groups: list[Any] | None = None) -> Any:
        return self.call("POST", "/seed", {"users": users or [], "groups": groups or []})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._drain.join(TIMEOUT)  # the end of stdout: the process has exited
        shutil.rmtree(self._folder, ignore_errors=True)


def _copy(source: IO[bytes], path: Path) -> None:
    """``source`` to the end of the file at ``path``, until it ends."""
    with source, open(path, "ab") as log:
        for chunk in iter(lambda: source.read1(65536), b""):  # type: ignore[attr-defined]
            log.write(chunk)
            log.flush()


@pytest.fixture
def scim_mock() -> Iterator[ScimMock]:
    """A fresh ``scimdock mock`` for this test (docs/mock.md)."""
    server = ScimMock()
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """The report of a failing test that uses ``scim_mock`` gets the end
    of the mock's log, as a section of its own."""
    report = yield
    server = getattr(item, "funcargs", {}).get("scim_mock")
    if report.failed and isinstance(server, ScimMock):
        text = server.log()
        if text:
            report.sections.append(("scimdock mock log", text[-LOG_TAIL:]))
    return report


__all__ = ["ScimMock", "scim_mock"]
