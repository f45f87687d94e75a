"""A pytest plugin: the ``scim_mock`` fixture, a ``scimdock mock`` for the
tests of a SCIM client (docs/mock.md, "From pytest").

Installed with scimdock (the ``pytest11`` entry point ``scimdock``)::

    @pytest.mark.scim_mock(seed={"users": [{"userName": "ann"}]})
    def test_deprovisioning(scim_mock):
        my_client.sync(base_url=scim_mock.url, token=scim_mock.token)
        scim_mock.assert_called(method="PATCH", path="/Users/*",
                                patch=[{"op": "replace", "path": "active", "value": False}],
                                count={"exactly": 1})

One server process serves the whole session (started by the first test
that asks for it); each test gets its tenant clean, in one admin call:
no users, groups, journal, rules, scenarios or profile, then the
``profile``, ``seed`` and ``faults`` its ``scim_mock`` marker gives, or
its fixture parameter (``@pytest.mark.parametrize("scim_mock", [{...}],
indirect=True)``). A test that fails gets its part of the server's log in
its report. :class:`ScimMock` (scimdock.mock.client) starts one outside
pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scimdock.mock.client import (
    ScimMock,
    ScimMockBadRequest,
    ScimMockConflict,
    ScimMockError,
    ScimMockNotFound,
    verdict_text,
)

#: The last characters of the server's log shown with a failing test.
LOG_TAIL = 20_000
#: The session's mock takes a test suite's bursts: no per-tenant request
#: rate (``SCIMDOCK_RATE_TENANT``, docs/configuration.md; a rule with
#: ``status: 429`` tests a client's back-off).
FIXTURE_ENV = {"SCIMDOCK_RATE_TENANT": "off"}
#: What a ``scim_mock`` marker or fixture parameter may set.
OPTIONS = ("profile", "seed", "faults")


class _Shared:
    """The session's server, started when first wanted and again if a
    test stopped it."""

    def __init__(self) -> None:
        self.server: ScimMock | None = None

    def get(self) -> ScimMock:
        if self.server is None or self.server.process.poll() is not None:
            if self.server is not None:
                self.server.stop()
            self.server = ScimMock(env=FIXTURE_ENV)
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "scim_mock(profile=None, seed=None, faults=None): the scim_mock tenant's behaviour"
        " profile (a preset's name or an object), seed document and fault rules for this test",
    )


@pytest.fixture(scope="session")
def scim_mock_server() -> Iterator[_Shared]:
    """The session's ``scimdock mock`` process (see :func:`scim_mock`)."""
    shared = _Shared()
    try:
        yield shared
    finally:
        shared.stop()


@pytest.fixture
def scim_mock(request: pytest.FixtureRequest, scim_mock_server: _Shared) -> ScimMock:
    """The session's ``scimdock mock``, its tenant clean for this test and
    set as its marker or parameter says (docs/mock.md)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("scim_mock"))):
        options.update(marker.kwargs)
    options.update(getattr(request, "param", None) or {})
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise pytest.UsageError(f"scim_mock: unknown options {sorted(unknown)}; use {OPTIONS}")
    server = scim_mock_server.get()
    server.isolate(**options)
    return server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """The report of a failing test that uses ``scim_mock`` gets the
    mock's log written during it, as a section of its own."""
    report = yield
    server = getattr(item, "funcargs", {}).get("scim_mock")
    if report.failed and isinstance(server, ScimMock):
        text = server.log(server.log_start)
        if text:
            report.sections.append(("scimdock mock log", text[-LOG_TAIL:]))
    return report


__all__ = [
    "ScimMock",
    "ScimMockBadRequest",
    "ScimMockConflict",
    "ScimMockError",
    "ScimMockNotFound",
    "scim_mock",
    "scim_mock_server",
    "verdict_text",
]
