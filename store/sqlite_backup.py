"""An online backup of a SQLite database: a consistent copy taken while
servers go on writing, through SQLite's backup API
(<https://sqlite.org/backup.html>), then checked."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

#: Pages copied per step; between steps the source's writers may commit
#: (the copy restarts from what changed, as the backup API documents).
PAGES_PER_STEP = 1024


def backup(source: str | Path, target: str | Path) -> int:
    """Copy the database at ``source`` into a new file ``target`` and return
    its page count. Refuses a ``target`` that exists (FileExistsError) and a
    ``source`` that is not there (FileNotFoundError); a copy that fails its
    ``PRAGMA integrity_check`` is removed and raises sqlite3.DatabaseError."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise FileNotFoundError(2, "no database", str(source))
    if target.exists():
        raise FileExistsError(17, "the backup's file exists already", str(target))
    uri = source.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as src:
            with closing(sqlite3.connect(target)) as dst:
                src.backup(dst, pages=PAGES_PER_STEP)
                (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"the copy failed its integrity check: {verdict}")
                (pages,) = dst.execute("PRAGMA page_count").fetchone()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return int(pages)
