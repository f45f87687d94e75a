"""``scimdock serve``: check the settings, bind the port, open the store,
then hand the socket to uvicorn (or to ``--workers`` processes, scimdock.worker).

The port is bound here, before anything is printed or created, so a port
in use or a host that does not resolve is one ``scimdock: error:`` line,
and the base URL printed (``--demo``, ``--json``) is already accepting
connections (they wait in the listen backlog until the app has started).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
from typing import Any

from scimdock import config, metrics
from scimdock.cli.common import USAGE, CliError, add_json, json_out, option, store_of
from scimdock.cli.demo import demo_token
from scimdock.store import opening
from scimdock.store.base import Store
from scimdock.store.blocking import BlockingStore

#: The listen backlog (uvicorn's default, ``--backlog``).
BACKLOG = 2048


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from scimdock.worker import assemble

    host = config.host(args.host)
    port = config.listen_port(args.port)
    log_level = config.server_log_level(args.log_level)
    proxies = config.trusted_proxies(args.forwarded_allow_ips)
    settings = config.settings(strict=args.strict, domain=args.domain)
    validate = config.validate_responses()
    # Read by scimdock.protocol in each server process; checked here, before binding.
    config.header_timeout()
    config.body_timeout()
    config.keepalive_timeout()
    config.max_header()
    workers = config.workers(args.workers)
    path = config.db_path(args.db)
    try:
        target = opening.parse(path)
    except ValueError as exc:
        raise CliError(str(exc), USAGE) from None
    measure = metrics.mode()
    if workers > 1 and target.kind == "sqlite":
        # Measured (docs/deployment.md, "SQLite on one node"): two processes
        # contend for the file's one write lock, and write latency suffers.
        raise CliError(
            "--workers above 1 needs PostgreSQL: on SQLite the processes contend for"
            " the file's one write lock (docs/deployment.md); run one worker",
            USAGE,
        )
    sock = _bind(host, port)
    try:
        store = store_of(args)
    except BaseException:
        sock.close()
        raise
    try:
        base_url = f"http://{_url_host(host)}:{port}/scim/v1"
        token = (
            demo_token(store, target.location if target.is_file else None) if args.demo else None
        )
        _announce(base_url, token, as_json=args.json)
        options = uvicorn_options(host, port, log_level, proxies)
        if workers > 1:
            store.close()  # the supervisor serves nothing: each worker opens its own
            _export(args, path)
            with metrics.shared_across(workers if measure.kind != "off" else 1):
                if measure.kind == "port":
                    metrics.start_port(measure)
                return _supervise(workers, sock, options, base_url)
        if measure.kind == "port":
            metrics.start_port(measure)
        served, owned = store_for_server(store, path)
        app = assemble(served, settings, validate=validate, log_level=log_level, owned=owned)
        # uvicorn's Config sets up its logging: log after it.
        server = uvicorn.Server(uvicorn.Config(app, **options))
        logging.getLogger("uvicorn.error").info("scimdock serving %s", base_url)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # Ctrl-C: uvicorn has shut down cleanly
            pass
        if not server.started:
            raise CliError("the server did not start (see the log above)")
        return 0
    finally:
        sock.close()
        store.close()


def store_for_server(store: BlockingStore, setting: str) -> tuple[Store, bool]:
    """The store the server's event loop awaits, and whether the server
    owns it (closes it at shutdown, scimdock.worker.flush_at_shutdown).
    SQLite's is the command line's own. A PostgreSQL pool's connections
    belong to the event loop that opened them (the command line's): the
    server's loop gets a store of its own, and the command line's is closed."""
    if opening.parse(setting).kind == "sqlite":
        return store.store, False
    store.close()
    return config.open_store(setting), True


def uvicorn_options(host: str, port: int, log_level: str, proxies: str) -> dict[str, Any]:
    """The ``uvicorn.Config`` of every server process, one or many."""
    from scimdock.protocol import ScimErrorProtocol
    from scimdock.tuning.transport import CoalescingProtocol

    # uvicorn's access log prints the query string (filters carry personal
    # data): scimdock.front.access writes one JSON line instead (worker.assemble).
    return {
        "host": host,
        "port": port,
        "log_level": log_level,
        "proxy_headers": True,
        "forwarded_allow_ips": proxies,
        "server_header": False,
        "access_log": False,
        # Both answer what httptools cannot parse with a SCIM Error.
        "http": CoalescingProtocol if config.tuned() else ScimErrorProtocol,
        "backlog": BACKLOG,
        # Idle between requests; slow headers and bodies: scimdock.protocol.
        "timeout_keep_alive": config.keepalive_timeout(),
    }


def _export(args: argparse.Namespace, path: str) -> None:
    """The command line's settings as the variables the workers read
    (scimdock.worker.from_environment): a spawned process inherits the
    environment, not this one's objects."""
    target = opening.parse(path)
    os.environ["SCIMDOCK_DB"] = (
        os.path.abspath(target.location) if target.is_file else target.location
    )
    if args.strict:
        os.environ["SCIMDOCK_STRICT"] = "on"
    if args.domain:
        os.environ["SCIMDOCK_DOMAIN"] = args.domain
    if not os.environ.get("SCIMDOCK_CURSOR_KEY"):  # one cursor key for every worker (RFC 9865)
        os.environ["SCIMDOCK_CURSOR_KEY"] = secrets.token_urlsafe(32)


def _supervise(workers: int, sock: socket.socket, options: dict[str, Any], base_url: str) -> int:
    """``workers`` processes accepting on ``sock`` (bound here, so that the
    announcement above is already true), under uvicorn's ``Multiprocess``
    supervisor: it restarts a worker that dies, and on SIGTERM or SIGINT
    passes SIGTERM to each, which shuts down gracefully (its key uses
    written, scimdock.worker.flush_at_shutdown), then waits for them."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    supervisor = Multiprocess(worker_config(workers, options), sockets=[sock])
    logging.getLogger("uvicorn.error").info("scimdock serving %s (%d workers)", base_url, workers)
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        raise CliError("a worker did not start (see the log above)")
    return 0


def worker_config(workers: int, options: dict[str, Any]) -> Any:
    """The ``uvicorn.Config`` each worker receives (pickled: the ``spawn``
    start method): the application factory by its import string, and the
    same options, the tuned transport included, as a single process."""
    import uvicorn

    return uvicorn.Config(
        "scimdock.worker:from_environment", factory=True, workers=workers, **options
    )


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (what uvicorn's own bind does)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _announce(base_url: str, token: str | None, *, as_json: bool) -> None:
    """``--json``: exactly one line, ``{"baseUrl": ..., "token": ...}`` (``token``
    with ``--demo`` only). Else, with ``--demo``, how to try it."""
    if as_json:
        json_out({"baseUrl": base_url, **({"token": token} if token else {})})
    elif token:
        print(
            f"scimdock demo tenant ready\n  base URL: {base_url}\n  token:    {token}"
            f"\n  try:      curl -H 'Authorization: Bearer {token}'"
            f" '{base_url}/Users?filter=userName%20eq%20%22x%22'",
            flush=True,
        )


def add_commands(sub: Any) -> None:
    """Register ``serve`` on the main parser."""
    sp = sub.add_parser("serve", help="run the SCIM server")
    sp.add_argument(
        "--host", help=f"listen address (env SCIMDOCK_HOST, default {config.DEFAULT_HOST})"
    )
    sp.add_argument(
        "--port",
        type=option(config.port),
        help=f"listen port, 1-65535 (env SCIMDOCK_PORT, default {config.DEFAULT_PORT})",
    )
    sp.add_argument(
        "--demo",
        action="store_true",
        help="ensure tenant 'demo' with SCIM on and print its token (reused across"
        " starts: kept beside the database, docs/configuration.md)",
    )
    sp.add_argument(
        "--strict", action="store_true", help="RFC-only: turn off identity-provider leniencies"
    )
    sp.add_argument("--domain", help="host suffix whose first label names the tenant")
    sp.add_argument(
        "--workers",
        type=option(config.worker_count),
        metavar="N",
        help="server processes sharing the port and the database, above 1 on PostgreSQL"
        " only (env SCIMDOCK_WORKERS, default 1; docs/configuration.md)",
    )
    sp.add_argument(
        "--log-level",
        type=option(config.log_level),
        metavar="LEVEL",
        help=f"one of {', '.join(config.LOG_LEVELS)} (env SCIMDOCK_LOG_LEVEL, default info)",
    )
    sp.add_argument(
        "--forwarded-allow-ips",
        type=option(config.forwarded_allow_ips),
        metavar="IPS",
        help="proxies trusted for X-Forwarded-For/-Proto: IPs or"
        " networks, comma-separated, or '*' (env SCIMDOCK_FORWARDED_ALLOW_IPS,"
        f" default {config.DEFAULT_FORWARDED_ALLOW_IPS})",
    )
    add_json(sp)
    sp.set_defaults(func=serve)
