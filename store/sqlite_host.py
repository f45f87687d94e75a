"""What the SQLite table mixins (``sqlite_*.py``) read from the store that
hosts them: the connection for this thread and the lock that guards it.
:class:`scimdock.store.sqlite.SqliteStore` provides both."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import Any


class SqliteHost:
    """The part of :class:`~scimdock.store.sqlite.SqliteStore` every table
    mixin uses."""

    @property
    def _conn(self) -> sqlite3.Connection:
        """The writer inside a write on this thread, else the reader."""
        raise NotImplementedError

    @property
    def _lock(self) -> AbstractContextManager[Any]:
        """What guards :attr:`_conn` on this thread."""
        raise NotImplementedError
