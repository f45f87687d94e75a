"""What every ``scimdock`` subcommand shares: the store, tenant lookup,
JSON output and the one-line error."""

from __future__ import annotations

import argparse
import json
from typing import Any

from scimdock import config
from scimdock.store.base import Tenant
from scimdock.store.sqlite import SqliteStore


class CliError(Exception):
    """A user mistake: printed as one line, exit status 1."""


def store_of(args: argparse.Namespace) -> SqliteStore:
    return SqliteStore(config.db_path(args.db), synchronous=config.synchronous())


def tenant_of(store: SqliteStore, name: str) -> Tenant:
    tenant = store.get_tenant(name)
    if tenant is None:
        raise CliError(f"no tenant named {name!r} (see 'scimdock tenant list')")
    return tenant


def json_out(value: Any) -> None:
    """One JSON document on stdout, nothing else (``--json``)."""
    print(json.dumps(value, indent=None))
