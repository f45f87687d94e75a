"""Servers in the test process: the application ``scimdock serve`` builds
(scimdock.worker.assemble, with scimdock.cli.serve's uvicorn options),
served by uvicorn on a thread with an event loop of its own, on a
loopback socket bound here.

A server started this way costs the build of the app, a fraction of a
second, instead of a Python process, its imports and Connexion's cold
start (about 1.4 s of CPU each). It is the real server at its settings:
the same front, Connexion app, store, protocol and options; what it
lacks is a process of its own, so a test that signals or kills its
server, reads its log files, runs ``--workers``, or sets what a server
reads once per process (the slow-client timeouts, the header limit,
the metrics port, the mock's journal and faults, the untuned transport)
starts ``scimdock serve`` instead (conftest.start_server)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

#: What a server process reads once (functools.cache, the event loop's
#: transport, module state shared by every app of the process): a server
#: given one of these needs a process of its own.
PER_PROCESS = frozenset(
    {
        "SCIMDOCK_HEADER_TIMEOUT",
        "SCIMDOCK_BODY_TIMEOUT",
        "SCIMDOCK_KEEPALIVE_TIMEOUT",
        "SCIMDOCK_MAX_HEADER",
        "SCIMDOCK_METRICS",
        "SCIMDOCK_JOURNAL",
        "SCIMDOCK_FAULTS",
        "SCIMDOCK_TUNING",
        "SCIMDOCK_LOG_LEVEL",
        "SCIMDOCK_WORKERS",
    }
)
#: ``scimdock serve`` options an in-process server takes.
OPTIONS = frozenset({"--strict"})
#: os.environ is the process's: one server reads it at a time.
_ENVIRON = threading.Lock()


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``variables`` while a server reads its settings."""
    with _ENVIRON, mock.patch.dict(os.environ, variables):
        yield


def loopback_socket() -> socket.socket:
    """A listening socket on a free loopback port (bound before uvicorn
    starts, as ``serve`` binds its own: no other process can take the port
    between choosing it and listening)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    return sock


def serve_on_thread(app: Any, sock: socket.socket, **options: Any) -> Callable[[], None]:
    """Run ``app`` under uvicorn on ``sock`` in a thread of this process;
    return once it accepts requests. The call returned stops it (uvicorn's
    graceful shutdown: the app's lifespan shutdown writes the last key uses
    and closes a store the app owns) and waits for the thread."""
    import uvicorn

    from conftest import wait_until

    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="in-process-server", daemon=True
    )
    thread.start()

    def started() -> bool:
        if not server.started and not thread.is_alive():
            raise RuntimeError("the in-process server did not start")
        return server.started

    wait_until(started, 30, "the in-process server to start")

    def stop() -> None:
        server.should_exit = True
        thread.join(30)
        sock.close()

    return stop


def needs_process(environ: dict[str, str], options: tuple[str, ...]) -> list[str]:
    """What of ``environ`` and ``options`` an in-process server cannot
    honour (a variable of :data:`PER_PROCESS` other than this process's
    own, an option other than :data:`OPTIONS`): empty if none."""
    return [o for o in options if o not in OPTIONS] + sorted(
        name for name in PER_PROCESS if environ.get(name) != os.environ.get(name)
    )


def start(
    db: Path | str, environ: dict[str, str], options: tuple[str, ...]
) -> tuple[int, Callable[[], None]]:
    """The application of ``scimdock --db DB serve OPTIONS`` with the
    ``SCIMDOCK_*`` variables of ``environ``, as ``serve`` assembles it, on a
    free loopback port in this process: the port, and the call that stops it."""
    from scimdock import config
    from scimdock.cli.serve import uvicorn_options
    from scimdock.worker import assemble

    assert not needs_process(environ, options), needs_process(environ, options)
    sock = loopback_socket()
    port = int(sock.getsockname()[1])
    with environment({k: v for k, v in environ.items() if k.startswith("SCIMDOCK_")}):
        settings = config.settings(strict="--strict" in options)
        served = uvicorn_options("127.0.0.1", port, "warning", config.trusted_proxies(None))
        store = config.open_store(str(db))
        app = assemble(
            store, settings, validate=config.validate_responses(), log_level="warning", owned=True
        )
    try:
        return port, serve_on_thread(app, sock, **served)
    except BaseException:
        sock.close()
        close_unserved(store)
        raise


def close_unserved(store: Any) -> None:
    """Close a store whose server never started: on a loop of its own."""
    import asyncio

    asyncio.run(store.close())
