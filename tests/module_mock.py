"""One ``scimdock mock`` process per test module, its tenant made clean
for each test (:meth:`scimdock.mock.client.ScimMock.isolate`: no users,
groups, journal, rules, scenarios or profile, in one admin call), as the
``scim_mock`` fixture of scimdock.mock.testing serves a whole session.

Each start of the mock costs a Python process, its imports and
Connexion's cold start (about 1.5 s of CPU); a reset costs one request.
A test about what the mock does at start (``--profile``, ``--faults``,
``--seed``, its process) starts a mock of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scimdock.mock.testing import ScimMock

#: The running mock of each module (by node id) that asked for one.
_RUNNING: dict[str, ScimMock] = {}


def module_mock(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    start: Callable[[Path], ScimMock],
) -> ScimMock:
    """The mock of the requesting test's module, started by ``start`` (in
    a fresh directory) for its first test or if it has stopped, and
    stopped when the module's tests are done; clean for this test."""
    module = request.node.getparent(pytest.Module)
    assert module is not None, request.node
    server = _RUNNING.get(module.nodeid)
    if server is None or server.process.poll() is not None:
        server = start(tmp_path_factory.mktemp("mock"))
        _RUNNING[module.nodeid] = server
        module.addfinalizer(lambda: _stop(module.nodeid, server))
    server.isolate()
    return server


def _stop(key: str, server: ScimMock) -> None:
    if _RUNNING.get(key) is server:
        del _RUNNING[key]
    server.stop()
