"""What every ``scimdock`` subcommand shares: the parser, the store, tenant
lookup, JSON output, and the one place that turns an expected failure into
one line on stderr and an exit status.

Exit status: 0 done; 1 refused or failed (no such tenant, a database that
cannot be opened, a port in use); 2 a usage mistake (a bad option, or a bad
``SCIMDOCK_*`` value). Never a traceback for any of these.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, NoReturn

from scimdock import config
from scimdock.core.errors import ScimError
from scimdock.store import opening
from scimdock.store.base import Tenant
from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import StoreError

#: A usage mistake (argparse's own status).
USAGE = 2


class CliError(Exception):
    """A refused or failed command: printed as one line, exit ``status``."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Parser(argparse.ArgumentParser):
    """argparse, whose mistakes are one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"scimdock: error: {message} (see '{self.prog} --help')\n")


def option(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A :mod:`scimdock.config` parser as an argparse ``type``: its reason verbatim."""

    def checked(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    checked.__name__ = parse.__name__
    return checked


#: The stores the running command opened (:func:`store_of`), closed when it ends.
_opened: list[BlockingStore] = []


def run(command: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run ``command``, then close the stores it opened; an expected failure
    becomes ``scimdock: error: ...``."""
    try:
        try:
            return int(command(args) or 0)
        finally:
            _close_opened()
    except CliError as exc:
        return _fail(str(exc), exc.status)
    except config.ConfigError as exc:
        return _fail(str(exc), USAGE)
    except StoreError as exc:  # the store's refusals (a conflict, no such user)
        return _fail(exc.detail, 1)
    except ScimError as exc:
        return _fail(exc.detail or str(exc), 1)
    except sqlite3.Error as exc:
        return _fail(f"database {opening.describe(config.db_path(args.db))}: {exc}", 1)
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}", 1)
    except KeyboardInterrupt:  # Ctrl-C: the user knows; the shell's status for SIGINT
        return 130


def _fail(message: str, status: int) -> int:
    print(f"scimdock: error: {' '.join(message.split())}", file=sys.stderr)
    return status


def store_of(args: argparse.Namespace, *, read_only: bool = False) -> BlockingStore:
    """The store of ``--db``, called synchronously (:mod:`scimdock.store.blocking`),
    closed when the command ends (:func:`run`). A command that only reads
    refuses a database that is not there rather than creating an empty one."""
    path = config.db_path(args.db)
    try:
        target = opening.parse(path)
    except ValueError as exc:
        raise CliError(str(exc), USAGE) from None
    if read_only and target.kind == "sqlite":
        _must_exist(target.location)
    try:
        store = BlockingStore(config.open_store(path))
    except (OSError, sqlite3.Error) as exc:
        raise CliError(f"cannot open database {opening.describe(path)}: {_reason(exc)}") from None
    _opened.append(store)
    return store


def _close_opened() -> None:
    while _opened:
        _opened.pop().close()


def _must_exist(path: str) -> None:
    """A SQLite database at ``path``, checked read-only (``mode=ro``: never created)."""
    if path == ":memory:":
        return
    if not Path(path).exists():
        raise CliError(
            f"no database at {path} (a command that writes, or 'scimdock serve', creates it)"
        )
    try:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        raise CliError(f"cannot open database {path}: {exc}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileExistsError):  # a file where a folder of the path should be
        return f"{exc.filename} is a file, not a folder"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}{f': {exc.filename}' if exc.filename else ''}"
    return str(exc)


def tenant_of(store: BlockingStore, name: str) -> Tenant:
    tenant = store.get_tenant(name)
    if tenant is None:
        raise CliError(f"no tenant named {name!r} (see 'scimdock tenant list')")
    return tenant


def json_out(value: Any) -> None:
    """One JSON document on one line of stdout, nothing else (``--json``)."""
    print(json.dumps(value, indent=None), flush=True)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document (the admin API's field names)"
    )
