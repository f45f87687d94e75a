"""A running ``scimdock mock`` from Python (docs/mock.md, "From pytest"):
:class:`ScimMock` starts one and speaks its admin API for one tenant
(journal, find, verify, faults, scenarios, reset, seed, profile), with the
standard library only, so a client team's tests need nothing else.

A refusal of the admin API is a typed :class:`ScimMockError` (a 400 is
:class:`ScimMockBadRequest`, a 404 :class:`ScimMockNotFound`, ...), an
``AssertionError`` so that pytest reports it as a failed test.

The server's log (its stderr: access lines, server messages) goes to a
file in a temporary folder of its own, never to a pipe that nobody reads
(a full pipe would stop the server).
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
from pathlib import Path
from typing import IO, Any

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
        #: Where the current test's part of the log begins (:meth:`isolate`).
        self.log_start = 0

    def log(self, start: int = 0) -> str:
        """What the server wrote so far beside its ``--json`` line (from
        byte ``start`` on)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(start)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:  # stopped: the folder is gone
            return ""

    def call(self, verb: str, path: str, body: Any = None, /, **params: Any) -> Any:
        """One admin call on this tenant (``path`` under
        ``/admin/v1/tenants/<tenant>``); its JSON answer, or a
        :class:`ScimMockError` for a refusal."""
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
            raise admin_error(exc.code, exc.read()) from None
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

    def assert_called(self, **expected: Any) -> dict[str, Any]:
        """:meth:`verify`, failing with the verdict in plain words
        (:func:`verdict_text`) when it does not hold."""
        verdict = self.verify(**expected)
        if not verdict["ok"]:
            raise AssertionError(verdict_text(verdict))
        return verdict

    def profile(self, profile: dict[str, Any] | str) -> dict[str, Any]:
        """Set the behaviour profile: a preset's name, or a profile object."""
        body = {"preset": profile} if isinstance(profile, str) else profile
        return dict(self.call("PUT", "/profile", body))

    def isolate(
        self,
        *,
        profile: dict[str, Any] | str | None = None,
        seed: dict[str, Any] | None = None,
        faults: list[dict[str, Any]] | None = None,
    ) -> None:
        """A clean tenant for the next test: no users or groups, journal,
        rules, scenarios or profile (one call); then the ``profile``,
        ``seed`` and ``faults`` given. The log from here on is the test's."""
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.call("POST", "/reset", journal="true", faults="true", profile="true")
        if profile is not None:
            self.profile(profile)
        if seed is not None:
            self.call("POST", "/seed", seed)
        if faults:
            self.call("PUT", "/faults", {"rules": faults})

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


class ScimMockError(AssertionError):
    """The admin API refused a call: its status, and the SCIM Error's
    ``scimType`` and ``detail`` (RFC 7644 §3.12)."""

    status = 0

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.scim_type: str | None = self.body.get("scimType")
        self.detail = str(self.body.get("detail", body))
        kind = f" ({self.scim_type})" if self.scim_type else ""
        super().__init__(f"scimdock mock answered {status}{kind}: {self.detail}")


class ScimMockBadRequest(ScimMockError):
    """400: a bad rule, matcher, seed or profile; ``detail`` names the field."""

    status = 400


class ScimMockNotFound(ScimMockError):
    """404: no such route, tenant or thing of the tenant (a scenario never
    named), or a mock feature that is off."""

    status = 404


class ScimMockConflict(ScimMockError):
    """409: a seeded name already taken, or a userName switch that would
    make two users one."""

    status = 409


_ERRORS = {c.status: c for c in (ScimMockBadRequest, ScimMockNotFound, ScimMockConflict)}


def admin_error(status: int, raw: bytes) -> ScimMockError:
    """The typed error of an admin API refusal."""
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode(errors="replace")
    return _ERRORS.get(status, ScimMockError)(status, body)


def verdict_text(verdict: dict[str, Any]) -> str:
    """A verify verdict as a reader wants it: the summary, each reason, and
    the nearest entries with why they do not match."""
    lines = [str(verdict["summary"])]
    lines += [f"  - {reason}" for reason in verdict.get("reasons", [])[1:]]
    for near in verdict.get("nearest") or ():
        lines.append(
            f"  nearest: seq {near['seq']} {near['method']} {near['path']} ({near['status']}): "
            + "; ".join(near["reasons"])
        )
    return "\n".join(lines)
