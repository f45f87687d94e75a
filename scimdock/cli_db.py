"""``scimdock backup`` and ``scimdock migrate``: the database as a whole
(docs/deployment.md)."""

from __future__ import annotations

import argparse
from typing import Any

from scimdock import config
from scimdock.cli_common import USAGE, CliError, add_json, json_out
from scimdock.store import opening


def backup(args: argparse.Namespace) -> None:
    """An online copy of a SQLite database (store.sqlite_backup)."""
    from scimdock.store.sqlite_backup import backup as copy

    setting = config.db_path(args.db)
    try:
        target = opening.parse(setting)
    except ValueError as exc:
        raise CliError(str(exc), USAGE) from None
    if target.kind != "sqlite" or not target.is_file:
        raise CliError(
            f"backup copies a SQLite file; {opening.describe(setting)} is not one"
            " (PostgreSQL: pg_dump, docs/deployment.md)",
            USAGE,
        )
    pages = copy(target.location, args.target)
    if args.json:
        json_out({"source": target.location, "target": args.target, "pages": pages})
        return
    print(f"backed up {target.location} to {args.target} ({pages} pages, integrity checked)")


def add_commands(sub: Any) -> None:
    """Register ``backup`` (and ``migrate``) on the main parser."""
    sp = sub.add_parser(
        "backup", help="copy a SQLite database while servers run on it (online backup)"
    )
    sp.add_argument("target", help="the new file to write (must not exist)")
    add_json(sp)
    sp.set_defaults(func=backup)
