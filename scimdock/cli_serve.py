"""``scimdock serve``: check the settings, bind the port, open the store,
then hand the socket to uvicorn.

The port is bound here, before anything is printed or created, so a port
in use or a host that does not resolve is one ``scimdock: error:`` line,
and the base URL printed (``--demo``, ``--json``) is already accepting
connections (they wait in the listen backlog until the app has started).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from typing import Any

from scimdock import config
from scimdock.cli_common import CliError, add_json, json_out, option, store_of
from scimdock.cli_demo import demo_token
from scimdock.store.base import Store

#: The listen backlog (uvicorn's default, ``--backlog``).
BACKLOG = 2048


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from scimdock.app import create_app
    from scimdock.protocol import ScimErrorProtocol
    from scimdock.tuning.transport import CoalescingProtocol

    host = config.host(args.host)
    port = config.listen_port(args.port)
    log_level = config.server_log_level(args.log_level)
    proxies = config.trusted_proxies(args.forwarded_allow_ips)
    settings = config.settings(strict=args.strict, domain=args.domain)
    validate = config.validate_responses()
    sock = _bind(host, port)
    try:
        store = store_of(args)
    except BaseException:
        sock.close()
        raise
    try:
        base_url = f"http://{_url_host(host)}:{port}/scim/v1"
        token = demo_token(store, config.db_path(args.db)) if args.demo else None
        _announce(base_url, token, as_json=args.json)
        app = create_app(store.store, settings, validate_responses=validate)
        # Access lines are logged at info: below that level uvicorn would
        # still format each one before dropping it (docs/performance.md).
        server = uvicorn.Server(
            uvicorn.Config(
                _flush_at_shutdown(app, store.store),
                host=host,
                port=port,
                log_level=log_level,
                proxy_headers=True,
                forwarded_allow_ips=proxies,
                server_header=False,
                access_log=log_level in ("trace", "debug", "info"),
                # Both answer what httptools cannot parse with a SCIM Error.
                http=CoalescingProtocol if config.tuned() else ScimErrorProtocol,
                backlog=BACKLOG,
            )
        )
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


def _flush_at_shutdown(app: Any, store: Store) -> Any:
    """The app, writing the SCIM key uses still in memory (handlers.security)
    when the server shuts down (the ASGI ``lifespan.shutdown`` message):
    uvicorn ends the process on SIGTERM right after its shutdown, before
    any ``finally`` here runs."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)

        async def receive_and_flush() -> Any:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                try:
                    await store.flush_key_uses()
                except Exception as exc:  # never block the shutdown; say what was lost
                    print(f"scimdock: could not record the last key uses: {exc}", file=sys.stderr)
            return message

        return await app(scope, receive_and_flush, send)

    return wrapped


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
