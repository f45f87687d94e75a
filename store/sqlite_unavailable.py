"""SQLite's "the disk refuses": ``SQLITE_FULL`` (``database or disk is
full``: the file system has no room for the WAL or the database to grow)
and ``SQLITE_IOERR`` and its extended codes (``disk I/O error``: a write,
an fsync or the shared-memory file failed), as :class:`Unavailable`.

SQLite rolls back the statement, or the whole transaction, that met the
error (https://www.sqlite.org/lang_transaction.html, "Response To Errors
Within A Transaction"); nothing of it is on disk, and the connection takes
the next transaction once there is room again. So a write refused this way
is one the client may simply send again later.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from scimdock.store.errors import Unavailable

#: Primary result codes (the low byte of an extended code) meaning the disk.
_DISK = {sqlite3.SQLITE_FULL: "its disk is full", sqlite3.SQLITE_IOERR: "its disk failed (I/O)"}


@contextmanager
def disk_refusals() -> Iterator[None]:
    """Raise :class:`Unavailable` for a disk SQLite cannot write to (the
    original error as its cause); any other error as it is."""
    try:
        yield
    except sqlite3.Error as exc:
        why = _DISK.get(getattr(exc, "sqlite_errorcode", -1) & 0xFF)
        if why is None:
            raise
        raise Unavailable(
            f"The database cannot take writes now: {why}. Nothing of this request was"
            " kept; try again later"
        ) from exc
