"""The ``scimdock`` command: tenants, keys, and the server.

``scimdock [--db PATH] tenant|key|serve ...`` — see ``scimdock --help`` and
the README. Errors print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core import credentials
from core.tenants import check_name
from scimdock import config
from store import SqliteStore, Tenant

DEMO_TENANT = "demo"


class CliError(Exception):
    """A user mistake: printed as one line, exit status 1."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"scimdock: error: {exc}", file=sys.stderr)
        return 1


def _store(args: argparse.Namespace) -> SqliteStore:
    return SqliteStore(config.db_path(args.db), synchronous=config.synchronous())


def _tenant(store: SqliteStore, name: str) -> Tenant:
    tenant = store.get_tenant(name)
    if tenant is None:
        raise CliError(f"no tenant named {name!r} (see 'scimdock tenant list')")
    return tenant


# --- tenant ---------------------------------------------------------------
def tenant_create(args: argparse.Namespace) -> None:
    try:
        tenant = _store(args).create_tenant(check_name(args.name))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"created tenant {tenant.name} (SCIM disabled: run 'scimdock tenant enable-scim {tenant.name}')")


def tenant_enable(args: argparse.Namespace) -> None:
    _set_scim(args, True)


def tenant_disable(args: argparse.Namespace) -> None:
    _set_scim(args, False)


def _set_scim(args: argparse.Namespace, enabled: bool) -> None:
    try:
        tenant = _store(args).set_scim_enabled(args.name, enabled)
    except KeyError:
        raise CliError(f"no tenant named {args.name!r} (see 'scimdock tenant list')") from None
    print(f"SCIM {'enabled' if enabled else 'disabled'} for tenant {tenant.name}")


def tenant_list(args: argparse.Namespace) -> None:
    tenants = _store(args).list_tenants()
    if args.json:
        _json([{"name": t.name, "scim_enabled": t.scim_enabled, "created": t.created}
               for t in tenants])
        return
    for t in tenants:
        print(f"{t.name}\tscim={'enabled' if t.scim_enabled else 'disabled'}\tcreated={t.created}")


# --- key ------------------------------------------------------------------
def key_create(args: argparse.Namespace) -> None:
    store = _store(args)
    tenant = _tenant(store, args.tenant)
    new = credentials.generate()
    store.add_key(tenant.id, new.key_id, new.secret_hash, args.label or "")
    if args.json:
        _json({"key_id": new.key_id, "secret": new.secret, "token": new.token})
        return
    print(f"key id: {new.key_id}")
    print(f"secret: {new.secret}")
    print(f"token:  {new.token}")
    print("The secret is shown only now. Paste the token as the identity provider's Secret Token.")


def key_list(args: argparse.Namespace) -> None:
    store = _store(args)
    keys = store.list_keys(_tenant(store, args.tenant).id)
    rows = [{"key_id": k.key_id, "label": k.label, "created": k.created,
             "status": "revoked" if k.revoked else "active", "last_used": k.last_used}
            for k in keys]
    if args.json:
        _json(rows)
        return
    for r in rows:
        print(f"{r['key_id']}\t{r['status']}\tcreated={r['created']}\tlabel={r['label']}")


def key_revoke(args: argparse.Namespace) -> None:
    try:
        key = _store(args).revoke_key(args.key_id)
    except KeyError:
        raise CliError(f"no key {args.key_id!r}") from None
    print(f"revoked key {key.key_id} of tenant {key.tenant_name}")


# --- serve ----------------------------------------------------------------
def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from scimdock.app import create_app

    store = _store(args)
    settings = config.settings(strict=args.strict, domain=args.domain)
    if args.demo:
        token = _demo(store)
        print(f"scimdock demo tenant ready\n  base URL: http://{args.host}:{args.port}/scim/v1"
              f"\n  token:    {token}\n  try:      curl -H 'Authorization: Bearer {token}'"
              f" 'http://{args.host}:{args.port}/scim/v1/Users?filter=userName%20eq%20%22x%22'",
              flush=True)
    app = create_app(store, settings, validate_responses=config.validate_responses())
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                proxy_headers=True, server_header=False)


def _demo(store: SqliteStore) -> str:
    """Make sure tenant ``demo`` exists with SCIM on; return a new key's token."""
    tenant = store.get_tenant(DEMO_TENANT) or store.create_tenant(DEMO_TENANT)
    if not tenant.scim_enabled:
        tenant = store.set_scim_enabled(DEMO_TENANT, True)
    new = credentials.generate()
    store.add_key(tenant.id, new.key_id, new.secret_hash, "serve --demo")
    return new.token


def _json(value: Any) -> None:
    print(json.dumps(value, indent=None))


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
    sp = tenant.add_parser("list", help="list tenants")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=tenant_list)

    key = sub.add_parser("key", help="SCIM credentials").add_subparsers(dest="action", required=True)
    sp = key.add_parser("create", help="generate a key id, secret and token")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--label")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=key_create)
    sp = key.add_parser("list", help="list a tenant's keys (never the secrets)")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=key_list)
    sp = key.add_parser("revoke", help="revoke a key: refused from the next request on")
    sp.add_argument("key_id")
    sp.set_defaults(func=key_revoke)

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
