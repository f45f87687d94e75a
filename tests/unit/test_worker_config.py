"""What ``serve --workers N`` hands each worker (scimdock.cli.serve,
scimdock.worker): a ``uvicorn.Config`` that survives pickling (uvicorn
starts workers with the ``spawn`` method) and still names the tuned
transport and the application factory."""

from __future__ import annotations

import pickle

import pytest

from scimdock import config
from scimdock.cli.serve import uvicorn_options, worker_config
from scimdock.protocol import ScimErrorProtocol
from scimdock.tuning.transport import CoalescingProtocol


def test_each_worker_gets_the_factory_and_the_tuned_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCIMDOCK_TUNING", "on")
    sent = worker_config(3, uvicorn_options("127.0.0.1", 8080, "warning", "127.0.0.1"))
    received = pickle.loads(pickle.dumps(sent))
    assert received.workers == 3 and received.factory is True
    assert received.app == "scimdock.worker:from_environment"
    assert received.http is CoalescingProtocol
    assert (received.server_header, received.proxy_headers) == (False, True)


def test_untuned_workers_run_uvicorns_protocol_with_scim_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Untuned: uvicorn's httptools protocol as shipped, but for the answer to
    a request it cannot parse (a SCIM Error: scimdock.protocol)."""
    monkeypatch.setenv("SCIMDOCK_TUNING", "off")
    assert worker_config(2, uvicorn_options("::1", 1, "info", "*")).http is ScimErrorProtocol


def test_the_worker_count_comes_from_the_command_line_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCIMDOCK_WORKERS", raising=False)
    assert config.workers(None) == 1
    monkeypatch.setenv("SCIMDOCK_WORKERS", " 4 ")
    assert (config.workers(None), config.workers(2)) == (4, 2)


def test_the_keep_alive_timeout_reaches_every_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SCIMDOCK_KEEPALIVE_TIMEOUT`` is uvicorn's ``timeout_keep_alive``
    (default 5 s, uvicorn's own), single process or ``--workers``."""
    monkeypatch.delenv("SCIMDOCK_KEEPALIVE_TIMEOUT", raising=False)
    assert uvicorn_options("::1", 1, "info", "*")["timeout_keep_alive"] == 5.0
    monkeypatch.setenv("SCIMDOCK_KEEPALIVE_TIMEOUT", "2.5")
    sent = worker_config(2, uvicorn_options("::1", 1, "info", "*"))
    assert pickle.loads(pickle.dumps(sent)).timeout_keep_alive == 2.5
