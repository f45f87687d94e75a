"""``scimdock backup`` and ``scimdock migrate``: the database as a whole
(docs/deployment.md)."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from scimdock import config
from scimdock.cli.common import USAGE, CliError, add_json, json_out
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
    with _signals_exit(signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        pages = copy(target.location, args.target)
    if args.json:
        json_out({"source": target.location, "target": args.target, "pages": pages})
        return
    print(f"backed up {target.location} to {args.target} ({pages} pages, integrity checked)")


@contextmanager
def _signals_exit(*signals: signal.Signals) -> Iterator[None]:
    """While inside, each of ``signals`` raises SystemExit(128 + its number)
    (the shell's convention), so that what is under way unwinds and cleans
    up (a backup removes its partial file) instead of the process dying
    where it stands; the previous handlers come back on leaving."""

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, leave) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def migrate(args: argparse.Namespace) -> None:
    """Copy a SQLite database into an empty PostgreSQL one, verified
    table by table (store.transfer)."""
    try:
        source, target = opening.parse(args.source), opening.parse(args.target)
    except ValueError as exc:
        raise CliError(str(exc), USAGE) from None
    if not source.is_file or target.kind != "postgresql":
        raise CliError(
            "migrate copies a SQLite file (--from PATH or sqlite:///PATH) into a"
            " PostgreSQL database (--to postgresql://...)",
            USAGE,
        )
    from scimdock.store.transfer import TransferError, transfer

    try:
        reports = transfer(source.location, target.location)
    except TransferError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # psycopg's errors: the target refused or is unreachable
        raise CliError(f"cannot copy into {opening.describe(args.target)}: {exc}") from None
    if args.json:
        json_out(
            {
                "from": source.location,
                "to": opening.describe(args.target),
                "tables": [
                    {"table": r.table, "rows": r.rows, "sha256": r.checksum, "verified": r.verified}
                    for r in reports
                ],
            }
        )
        return
    for r in reports:
        print(f"{r.table:<13} {r.rows:>9} rows  sha256 {r.checksum[:16]}  verified")
    print(f"copied {source.location} to {opening.describe(args.target)}")


def add_commands(sub: Any) -> None:
    """Register ``backup`` (and ``migrate``) on the main parser."""
    sp = sub.add_parser(
        "backup", help="copy a SQLite database while servers run on it (online backup)"
    )
    sp.add_argument("target", help="the new file to write (must not exist)")
    add_json(sp)
    sp.set_defaults(func=backup)
    sp = sub.add_parser(
        "migrate", help="copy a SQLite database into an empty PostgreSQL database, verified"
    )
    sp.add_argument("--from", dest="source", required=True, help="sqlite:///PATH or a path")
    sp.add_argument("--to", dest="target", required=True, help="postgresql://... (empty)")
    add_json(sp)
    sp.set_defaults(func=migrate)
