"""The ``scimdock`` command: tenants, keys, and the server.

``scimdock [--db PATH|URL] tenant|key|user|audit|admin-token|serve|backup|migrate|check ...`` — see
``scimdock --help`` and the README. Every command takes ``--json`` (the admin
API's field names, handlers/admin/views.py). A mistake prints one line on
stderr and exits non-zero (scimdock.cli.common). Keys: :mod:`scimdock.cli.keys`;
users, the audit log and admin tokens: :mod:`scimdock.cli.admin`; the server:
:mod:`scimdock.cli.serve`; testing any SCIM server: :mod:`scimdock.cli.check`. Every change is recorded in the audit log with the
actor ``cli``.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

from scimdock import config
from scimdock.cli import admin, check, db, keys, mock, schemas, serve
from scimdock.cli.common import CliError, Parser, add_json, json_out, run, store_of
from scimdock.core.tenants import check_name
from scimdock.handlers.admin import views


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run(args.func, args)


# --- tenant ---------------------------------------------------------------
def tenant_create(args: argparse.Namespace) -> None:
    try:
        tenant = store_of(args).create_tenant(check_name(args.name))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json_out(views.tenant(tenant))
        return
    print(
        f"created tenant {tenant.name} (SCIM disabled: run 'scimdock tenant enable-scim {tenant.name}')"
    )


def tenant_enable(args: argparse.Namespace) -> None:
    _set_scim(args, True)


def tenant_disable(args: argparse.Namespace) -> None:
    _set_scim(args, False)


def _set_scim(args: argparse.Namespace, enabled: bool) -> None:
    try:
        tenant = store_of(args).set_scim_enabled(args.name, enabled)
    except KeyError:
        raise CliError(f"no tenant named {args.name!r} (see 'scimdock tenant list')") from None
    if args.json:
        json_out(views.tenant(tenant))
        return
    print(f"SCIM {'enabled' if enabled else 'disabled'} for tenant {tenant.name}")


def tenant_delete(args: argparse.Namespace) -> None:
    try:
        store_of(args).delete_tenant(args.name, force=args.force)
    except KeyError:
        raise CliError(f"no tenant named {args.name!r} (see 'scimdock tenant list')") from None
    except ValueError as exc:
        raise CliError(f"{exc} (--force deletes them, for good)") from None
    if args.json:
        json_out({"name": args.name, "deleted": True, "force": args.force})
        return
    print(f"deleted tenant {args.name}{' and all its data' if args.force else ''}")


def tenant_list(args: argparse.Namespace) -> None:
    tenants = store_of(args, read_only=True).list_tenants()
    if args.json:
        json_out([views.tenant(t) for t in tenants])
        return
    for t in tenants:
        print(f"{t.name}\tscim={'enabled' if t.scim_enabled else 'disabled'}\tcreated={t.created}")


def _version() -> str:
    """The installed distribution's version (its metadata, not a constant)."""
    try:
        return version("scimdock")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="scimdock", description="SCIM 2.0 service provider")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument(
        "--db",
        help="SQLite path, sqlite:///PATH or postgresql://URL"
        f" (env SCIMDOCK_DB, default {config.DEFAULT_DB})",
    )
    sub = p.add_subparsers(dest="command", required=True)

    tenant = sub.add_parser("tenant", help="create and switch on tenants").add_subparsers(
        dest="action", required=True
    )
    for name, func, text in (
        ("create", tenant_create, "create a tenant (SCIM off)"),
        ("enable-scim", tenant_enable, "switch SCIM access on"),
        ("disable-scim", tenant_disable, "switch SCIM access off"),
    ):
        sp = tenant.add_parser(name, help=text)
        sp.add_argument("name")
        add_json(sp)
        sp.set_defaults(func=func)
    sp = tenant.add_parser("delete", help="delete a tenant and its keys (operator)")
    sp.add_argument("name")
    sp.add_argument(
        "--force", action="store_true", help="also delete its users, groups and audit log, for good"
    )
    add_json(sp)
    sp.set_defaults(func=tenant_delete)
    sp = tenant.add_parser("list", help="list tenants")
    add_json(sp)
    sp.set_defaults(func=tenant_list)

    keys.add_commands(sub)
    schemas.add_commands(sub)
    admin.add_commands(sub)
    serve.add_commands(sub)
    db.add_commands(sub)
    mock.add_commands(sub)
    check.add_commands(sub)
    return p
