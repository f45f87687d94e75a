"""One server process: the application built from the environment.

``scimdock serve --workers N`` runs N processes on one listening socket
(uvicorn's ``Multiprocess`` supervisor, which starts each with the
``spawn`` method). A spawned process inherits the environment, not the
parent's objects, so each builds its own application here, uvicorn's
*application factory* (``factory=True``): its own
:class:`~scimdock.store.sqlite.SqliteStore` on the same database file,
and the settings of the ``SCIMDOCK_*`` variables (docs/configuration.md),
which ``serve`` sets from its options before starting the workers.

The same factory runs under uvicorn directly::

    SCIMDOCK_DB=/var/lib/scimdock/scimdock.db \\
        uvicorn --factory scimdock.worker:from_environment --workers 4
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE

from scimdock import config
from scimdock.handlers.runtime import Settings
from scimdock.store.base import Store

#: Seconds a thread may keep the GIL while another waits (CPython: 0.005).
#: A reader thread that holds it (a Python SQL function over a long value)
#: hands it to the event loop after 0.5 ms, so another tenant's request
#: waits less (bench/noisy.py).
SWITCH_INTERVAL = 0.0005
#: The log levels at which each request gets an access line.
ACCESS_LEVELS = ("trace", "debug", "info")


def from_environment() -> Any:
    """The ASGI application on the database of ``SCIMDOCK_DB``, writing its
    buffered key uses when the server shuts down (:func:`flush_at_shutdown`).

    A setting or a database this process cannot use ends it with uvicorn's
    start-up failure status, which stops the supervisor instead of
    restarting the worker for ever."""
    from scimdock.store.sqlite import SqliteStore

    path = config.db_path(None)
    try:
        settings = config.settings()
        log_level = config.server_log_level(None)
        store = SqliteStore(
            path,
            synchronous=config.synchronous(),
            query_budget=config.query_budget(),
            readers=config.readers(),
        )
    except Exception as exc:  # a ConfigError, an OSError, a sqlite3.Error
        print(f"scimdock: error: worker cannot start on {path}: {exc}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None
    return assemble(store, settings, validate=config.validate_responses(), log_level=log_level)


def assemble(store: Store, settings: Settings, *, validate: bool, log_level: str) -> Any:
    """The whole application one server process serves: the request id and
    the JSON access log (scimdock.request_log) around the health probes
    (scimdock.probes) and ``/metrics`` (scimdock.metrics, when
    ``SCIMDOCK_METRICS=token``) around the Connexion app, its key uses
    written at shutdown (:func:`flush_at_shutdown`)."""
    from scimdock import metrics
    from scimdock.app import create_app
    from scimdock.handlers.runtime import current
    from scimdock.probes import Probes
    from scimdock.request_log import RequestLog

    sys.setswitchinterval(SWITCH_INTERVAL)
    access = log_level in ACCESS_LEVELS
    if access:
        _log_access_to_stdout()
    app = create_app(store, settings, validate_responses=validate)
    measure = metrics.mode()
    observe = None
    if measure.kind != "off":
        metrics.record(current().throttle)
        observe = metrics.observe_request
    inner: Any = Probes(app, store)
    if measure.token_hash is not None:
        inner = metrics.Endpoint(inner, measure.token_hash)
    # The lifespan goes round the request layers, to the key-use flush.
    return RequestLog(inner, log=access, observe=observe, others=flush_at_shutdown(inner, store))


class _MessageOnly(logging.Formatter):
    """``Formatter("%(message)s")`` without its per-record checks."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def _log_access_to_stdout() -> None:
    """One JSON line per request on stdout, where uvicorn's access log
    went (docs/configuration.md)."""
    from scimdock.request_log import ACCESS

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_MessageOnly())
    ACCESS.handlers[:] = [handler]
    ACCESS.setLevel(logging.INFO)
    ACCESS.propagate = False


def flush_at_shutdown(app: Any, store: Store) -> Any:
    """The app, writing the SCIM key uses still in memory (handlers.security)
    when the server shuts down (the ASGI ``lifespan.shutdown`` message):
    uvicorn ends the process on SIGTERM right after its shutdown, before
    any ``finally`` of the caller runs. In every process of ``--workers``:
    each keeps its own uses."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def receive_and_flush() -> Any:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                try:
                    await store.flush_key_uses()
                except Exception as exc:  # never block the shutdown; say what was lost
                    print(f"scimdock: could not record the last key uses: {exc}", file=sys.stderr)
            return message

        await app(scope, receive_and_flush, send)

    return wrapped
