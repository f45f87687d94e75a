"""``scimdock schema ...``: a tenant's extension schemas (RFC 7643 §3.3,
§7) from the shell, as the admin API's ``/tenants/{tenant}/schemas``
manages them (docs/admin.md): add a definition from a JSON file, list,
remove. The store writes the audit line (actor ``cli``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scimdock.cli.common import CliError, add_json, json_out, store_of, tenant_of
from scimdock.core import extensions


def _read(path: str) -> Any:
    """The definition: an RFC 7643 §7 schema object, from a file or ``-``."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None


# The admin API's checks and views of an extension (handlers.admin.schemas)
# load Connexion: imported when a schema command runs, so that every other
# command starts in a fraction of the time.


def schema_add(args: argparse.Namespace) -> None:
    from scimdock.handlers.admin.schemas import checked, view

    definition = _read(args.file)
    store = store_of(args)
    tenant = tenant_of(store, args.tenant)
    schema, kind = checked(definition, args.resource_type, store.list_schema_extensions(tenant.id))
    ext = store.add_schema_extension(
        tenant.id, schema.id, kind, extensions.definition(schema), required=args.required
    )
    if args.json:
        json_out(view(ext))
        return
    print(f"registered {ext.urn} for {ext.resource_type}" + (" (required)" if ext.required else ""))


def schema_list(args: argparse.Namespace) -> None:
    from scimdock.handlers.admin.schemas import view

    store = store_of(args, read_only=True)
    rows = [view(e) for e in store.list_schema_extensions(tenant_of(store, args.tenant).id)]
    if args.json:
        json_out(rows)
        return
    for r in rows:
        names = ",".join(a["name"] for a in r["schema"]["attributes"])
        print(
            f"{r['id']}\t{r['resourceType']}\trequired={str(r['required']).lower()}"
            f"\tcreated={r['created']}\tattributes={names}"
        )


def schema_remove(args: argparse.Namespace) -> None:
    from scimdock.handlers.admin.schemas import view

    store = store_of(args)
    ext = store.remove_schema_extension(tenant_of(store, args.tenant).id, args.urn)
    if args.json:
        json_out(view(ext))
        return
    print(f"removed {ext.urn}; the values resources hold under it are kept")


def add_commands(sub: Any) -> None:
    """Register ``schema`` on the main parser."""
    schema = sub.add_parser("schema", help="a tenant's extension schemas").add_subparsers(
        dest="action", required=True
    )
    sp = schema.add_parser("add", help="register an extension schema (RFC 7643 §7 JSON)")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("file", metavar="FILE", help="the schema as JSON; - reads standard input")
    sp.add_argument(
        "--resource-type",
        choices=("User", "Group"),
        help="the resource type it extends (default: the URN's last segment)",
    )
    sp.add_argument(
        "--required", action="store_true", help="every resource must include it (RFC 7643 §6)"
    )
    add_json(sp)
    sp.set_defaults(func=schema_add)
    sp = schema.add_parser("list", help="list a tenant's extension schemas")
    sp.add_argument("--tenant", required=True)
    add_json(sp)
    sp.set_defaults(func=schema_list)
    sp = schema.add_parser("remove", help="unregister one; the stored values are kept")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("urn")
    add_json(sp)
    sp.set_defaults(func=schema_remove)
