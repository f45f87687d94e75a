"""The ``scimdock`` command: tenants, keys, and the server.

``scimdock [--db PATH] tenant|key|user|audit|admin-token|serve ...`` — see
``scimdock --help`` and the README. Errors print one line on stderr and
exit non-zero. Keys: :mod:`scimdock.cli_keys`; users, the audit log and
admin tokens: :mod:`scimdock.cli_admin`. Every change is recorded in the audit log with
the actor ``cli``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scimdock.core import credentials
from scimdock.core.tenants import check_name
from scimdock import cli_admin, cli_keys, config
from scimdock.cli_common import CliError, json_out, store_of
from scimdock.store.sqlite import SqliteStore

DEMO_TENANT = "demo"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"scimdock: error: {exc}", file=sys.stderr)
        return 1


# --- tenant ---------------------------------------------------------------
def tenant_create(args: argparse.Namespace) -> None:
    try:
        tenant = store_of(args).create_tenant(check_name(args.name))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"created tenant {tenant.name} (SCIM disabled: run 'scimdock tenant enable-scim {tenant.name}')")


def tenant_enable(args: argparse.Namespace) -> None:
    _set_scim(args, True)


def tenant_disable(args: argparse.Namespace) -> None:
    _set_scim(args, False)


def _set_scim(args: argparse.Namespace, enabled: bool) -> None:
    try:
        tenant = store_of(args).set_scim_enabled(args.name, enabled)
    except KeyError:
        raise CliError(f"no tenant named {args.name!r} (see 'scimdock tenant list')") from None
    print(f"SCIM {'enabled' if enabled else 'disabled'} for tenant {tenant.name}")


def tenant_delete(args: argparse.Namespace) -> None:
    try:
        store_of(args).delete_tenant(args.name, force=args.force)
    except KeyError:
        raise CliError(f"no tenant named {args.name!r} (see 'scimdock tenant list')") from None
    except ValueError as exc:
        raise CliError(f"{exc} (--force deletes them, for good)") from None
    print(f"deleted tenant {args.name}{' and all its data' if args.force else ''}")


def tenant_list(args: argparse.Namespace) -> None:
    tenants = store_of(args).list_tenants()
    if args.json:
        json_out([{"name": t.name, "scim_enabled": t.scim_enabled, "created": t.created}
               for t in tenants])
        return
    for t in tenants:
        print(f"{t.name}\tscim={'enabled' if t.scim_enabled else 'disabled'}\tcreated={t.created}")


# --- serve ----------------------------------------------------------------
def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from scimdock.app import create_app
    from scimdock.tuning.transport import CoalescingProtocol

    store = store_of(args)
    try:
        settings = config.settings(strict=args.strict, domain=args.domain)
    except ValueError as exc:  # a bad SCIMDOCK_* value: say which, do not start
        raise CliError(str(exc)) from None
    if args.demo:
        token = _demo(store)
        print(f"scimdock demo tenant ready\n  base URL: http://{args.host}:{args.port}/scim/v1"
              f"\n  token:    {token}\n  try:      curl -H 'Authorization: Bearer {token}'"
              f" 'http://{args.host}:{args.port}/scim/v1/Users?filter=userName%20eq%20%22x%22'",
              flush=True)
    app = create_app(store, settings, validate_responses=config.validate_responses())
    try:
        # Access lines are logged at info: below that level uvicorn would
        # still format each one before dropping it (docs/performance.md).
        uvicorn.run(_flush_at_shutdown(app, store), host=args.host, port=args.port,
                    log_level=args.log_level, proxy_headers=True, server_header=False,
                    access_log=args.log_level in ("trace", "debug", "info"),
                    http=CoalescingProtocol if config.tuned() else "auto")
    finally:
        store.close()


def _flush_at_shutdown(app: Any, store: SqliteStore) -> Any:
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
                    store.flush_key_uses()
                except Exception as exc:  # never block the shutdown; say what was lost
                    print(f"scimdock: could not record the last key uses: {exc}",
                          file=sys.stderr)
            return message
        return await app(scope, receive_and_flush, send)
    return wrapped


def _demo(store: SqliteStore) -> str:
    """Make sure tenant ``demo`` exists with SCIM on; return a new key's token."""
    tenant = store.get_tenant(DEMO_TENANT) or store.create_tenant(DEMO_TENANT)
    if not tenant.scim_enabled:
        tenant = store.set_scim_enabled(DEMO_TENANT, True)
    new = credentials.generate()
    store.add_key(tenant.id, new.key_id, new.secret_hash, "serve --demo")
    return new.token


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scimdock", description="SCIM 2.0 service provider")
    p.add_argument("--db", help=f"SQLite database (env SCIMDOCK_DB, default {config.DEFAULT_DB})")
    sub = p.add_subparsers(dest="command", required=True)

    tenant = sub.add_parser("tenant", help="create and switch on tenants").add_subparsers(
        dest="action", required=True)
    for name, func, text in (("create", tenant_create, "create a tenant (SCIM off)"),
                             ("enable-scim", tenant_enable, "switch SCIM access on"),
                             ("disable-scim", tenant_disable, "switch SCIM access off")):
        sp = tenant.add_parser(name, help=text)
        sp.add_argument("name")
        sp.set_defaults(func=func)
    sp = tenant.add_parser("delete", help="delete a tenant and its keys (operator)")
    sp.add_argument("name")
    sp.add_argument("--force", action="store_true",
                    help="also delete its users, groups and audit log, for good")
    sp.set_defaults(func=tenant_delete)
    sp = tenant.add_parser("list", help="list tenants")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=tenant_list)

    cli_keys.add_commands(sub)
    cli_admin.add_commands(sub)

    sp = sub.add_parser("serve", help="run the SCIM server")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8080)
    sp.add_argument("--demo", action="store_true",
                    help="ensure tenant 'demo' with SCIM on and print a fresh token")
    sp.add_argument("--strict", action="store_true",
                    help="RFC-only: turn off identity-provider leniencies")
    sp.add_argument("--domain", help="host suffix whose first label names the tenant")
    sp.add_argument("--log-level", default="info")
    sp.set_defaults(func=serve)
    return p
