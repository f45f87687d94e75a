"""One server process: the application built from the environment.

``scimdock serve --workers N`` runs N processes on one listening socket
(uvicorn's ``Multiprocess`` supervisor, which starts each with the
``spawn`` method). A spawned process inherits the environment, not the
parent's objects, so each builds its own application here, uvicorn's
*application factory* (``factory=True``): its own
:class:`~scimdock.store.base.Store` on the same database (a SQLite file
or a PostgreSQL URL, scimdock.store.opening),
and the settings of the ``SCIMDOCK_*`` variables (docs/configuration.md),
which ``serve`` sets from its options before starting the workers.

The same factory runs under uvicorn directly::

    SCIMDOCK_DB=/var/lib/scimdock/scimdock.db \\
        uvicorn --factory scimdock.worker:from_environment --workers 4
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from uvicorn.config import STARTUP_FAILURE

from scimdock import config
from scimdock.handlers.throttle import Throttle
from scimdock.settings import Settings
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
    from scimdock.store.opening import describe

    path = config.db_path(None)
    try:
        settings = config.settings()
        log_level = config.server_log_level(None)
        store = config.open_store(path)
    except Exception as exc:  # a ConfigError, an OSError, a database's own error
        print(f"scimdock: error: worker cannot start on {describe(path)}: {exc}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None
    return assemble(
        store, settings, validate=config.validate_responses(), log_level=log_level, owned=True
    )


def assemble(
    store: Store,
    settings: Settings,
    *,
    validate: bool,
    log_level: str,
    owned: bool = False,
    fallback_tenant: int | None = None,
    access_to: TextIO | None = None,
    proxy: Any = None,
) -> Any:
    """The whole application one server process serves: the front door
    (scimdock.front: request ids and the JSON access log, ``/metrics``
    when ``SCIMDOCK_METRICS=token``, the health probes, paths, limits)
    around the Connexion app, its key uses written at shutdown
    (:func:`flush_at_shutdown`). The mock's journal and faults
    (scimdock.mock.journal) only when ``SCIMDOCK_JOURNAL`` or
    ``SCIMDOCK_FAULTS`` is on; ``fallback_tenant``: the tenant of a
    request that names none (``scimdock mock``'s); ``access_to``: where the
    access lines go, stdout unless given (``scimdock mock``: stderr, its
    stdout being the one JSON document of ``--json``); ``proxy``: the
    service provider the mock's SCIM requests go to (a
    :class:`scimdock.mock.handlers.proxy.Target`, scimdock.mock.proxy)."""
    from scimdock import metrics
    from scimdock.app import create_front

    sys.setswitchinterval(SWITCH_INTERVAL)
    access = log_level in ACCESS_LEVELS
    if access:
        _log_access_to(sys.stdout if access_to is None else access_to)
    measure = metrics.mode()
    front = create_front(
        store,
        settings,
        validate_responses=validate,
        log=access,
        observe=metrics.observe_request if measure.kind != "off" else None,
        metrics_token=measure.token_hash,
        mock=_mock_layers(fallback_tenant, proxy),
    )
    if measure.kind != "off":
        metrics.record(front.runtime.throttle)
    # The lifespan goes to the key-use flush.
    front.others = flush_at_shutdown(front.api, store, close=owned, throttle=front.runtime.throttle)
    return front


def _mock_layers(fallback_tenant: int | None, proxy: Any = None) -> Any:
    """What wraps the front's inner stages in scimdock.mock.journal's layer
    when the journal or the faults are on; else ``None`` (``serve`` pays
    nothing). With ``proxy``, the SCIM requests inside it go to the
    target instead (scimdock.mock.proxy), the journal and faults still around
    them."""
    size, faulty = config.journal_size(), config.faults_enabled()
    if not size and not faulty:
        return None
    from scimdock.mock.handlers.state import FaultBook, Journal, install
    from scimdock.mock.journal import JournalLayer

    journal = Journal(size) if size else None
    faults = FaultBook() if faulty else None
    install(journal, faults, fallback_tenant)
    if proxy is not None:
        from scimdock.mock.handlers.proxy import install as install_target

        install_target(proxy)
    book = None
    if faulty:  # the mock's behaviour profiles (scimdock.mock.profiles), with its faults
        from scimdock.mock.handlers.state import ProfileBook, install_profiles

        book = ProfileBook()
        install_profiles(book)

    def wrap(app: Any) -> Any:
        if book is not None:
            from scimdock.mock.profiles import ProfileLayer

            app = ProfileLayer(app, book, fallback_tenant)
        if proxy is not None:
            from scimdock.mock.proxy import ProxyLayer

            app = ProxyLayer(app, proxy)
        layer: Any = JournalLayer(app, journal=journal, faults=faults, fallback=fallback_tenant)
        if faulty and journal is not None:  # the mock's web console (scimdock.console)
            from scimdock.console import ConsoleLayer

            layer = ConsoleLayer(layer)
        return layer

    return wrap


def _log_access_to(stream: TextIO) -> None:
    """One JSON line per request on ``stream``: stdout for ``serve``, where
    uvicorn's access log went (docs/configuration.md)."""
    from scimdock.front.access import ACCESS, LineHandler

    ACCESS.handlers[:] = [LineHandler(stream)]
    ACCESS.setLevel(logging.INFO)
    ACCESS.propagate = False


def flush_at_shutdown(
    app: Any, store: Store, *, close: bool = False, throttle: Throttle | None = None
) -> Any:
    """The app, writing the SCIM key uses still in memory (handlers.security)
    when the server shuts down (the ASGI ``lifespan.shutdown`` message):
    uvicorn ends the process on SIGTERM right after its shutdown, before
    any ``finally`` of the caller runs. In every process of ``--workers``:
    each keeps its own uses. With ``close``, the store is closed there too,
    on the server's own event loop, which a PostgreSQL pool's connections
    belong to (the server owns the store: no caller closes it after). The
    app's limits (``throttle``, its runtime's) give back the in-flight slots
    they hold spare first."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def receive_and_flush() -> Any:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                try:
                    if throttle is not None:
                        await throttle.close()
                except Exception as exc:  # they come back when the lease expires
                    print(f"scimdock: could not give back in-flight slots: {exc}", file=sys.stderr)
                try:
                    await (store.close() if close else store.flush_key_uses())
                except Exception as exc:  # never block the shutdown; say what was lost
                    print(f"scimdock: could not record the last key uses: {exc}", file=sys.stderr)
            return message

        await app(scope, receive_and_flush, send)

    return wrapped
