"""Which backend a database setting names, and the store on it.

``--db`` and ``SCIMDOCK_DB`` take a SQLite path or a URL:

- ``postgresql://user@host:5432/db`` (or ``postgres://``): the PostgreSQL
  backend (:mod:`scimdock.store.postgres`), a libpq connection URI;
- ``sqlite:///relative.db``, ``sqlite:////absolute.db``,
  ``sqlite:///:memory:``: SQLite, in SQLAlchemy's spelling of the path;
- anything else: a SQLite file path (``:memory:`` for a database in memory).

A URL's password never leaves this module in a message: :func:`describe`
is what errors and logs print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scimdock.core.clock import Clock
from scimdock.store.base import QUERY_BUDGET, Store

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_PREFIX = "sqlite:///"
#: SQLite's reader threads (store.sqlite), PostgreSQL's pooled connections.
READERS = 4
POOL_SIZE = 10


@dataclass(frozen=True)
class Target:
    """A parsed database setting: ``kind`` is ``"sqlite"`` or ``"postgresql"``;
    ``location`` the file path (SQLite) or the connection URI (PostgreSQL)."""

    kind: str
    location: str

    @property
    def is_file(self) -> bool:
        """A SQLite database that lives in a file (not in memory)."""
        return self.kind == "sqlite" and self.location != ":memory:"


def parse(setting: str | Path) -> Target:
    """The backend and location ``setting`` names (see the module docstring)."""
    text = str(setting)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in POSTGRES_SCHEMES:
        return Target("postgresql", text)
    if text.startswith(SQLITE_PREFIX):
        return Target("sqlite", text[len(SQLITE_PREFIX) :] or ":memory:")
    if scheme:
        raise ValueError(
            f"unknown database URL scheme {scheme!r}: a SQLite path,"
            " sqlite:///PATH or postgresql://... (docs/configuration.md)"
        )
    return Target("sqlite", text)


def describe(setting: str | Path) -> str:
    """``setting`` as it may be printed: a URL's password is masked."""
    text = str(setting)
    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.split("://", 1)[0] + "://..."
    if parts.password is None:
        return text
    hosts = parts.netloc.rsplit("@", 1)[-1]  # as given: libpq takes several, h1:p1,h2:p2
    netloc = f"{parts.username or ''}:***@{hosts}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def open_store(
    setting: str | Path,
    *,
    synchronous: str = "FULL",
    query_budget: float | None = QUERY_BUDGET,
    readers: int = READERS,
    pool_size: int = POOL_SIZE,
    clock: Clock | None = None,
) -> Store:
    """The store on ``setting``, migrated and ready. Each backend is imported
    only when named: a SQLite deployment never loads psycopg. ``synchronous``
    and ``readers`` are SQLite's; ``pool_size`` PostgreSQL's connections."""
    target = parse(setting)
    if target.kind == "postgresql":
        from scimdock.store.postgres import PostgresStore

        return PostgresStore(
            target.location, clock=clock, query_budget=query_budget, pool_max=pool_size
        )
    from scimdock.store.sqlite import SqliteStore

    return SqliteStore(
        target.location,
        synchronous=synchronous,
        clock=clock,
        readers=readers,
        query_budget=query_budget,
    )
