"""An online backup of a SQLite database: a consistent copy taken while
servers go on writing, through SQLite's backup API
(<https://sqlite.org/backup.html>), then checked.

* **One step.** ``sqlite3_backup_step(-1)`` copies every page under one
  read transaction of the source. Copied a slice at a time, a commit
  between two slices restarts the copy from the first page (the API's
  documentation says so), so under steady writes it never finished; in one
  step no commit falls between slices, and in WAL mode
  (<https://sqlite.org/wal.html>) the writers do not wait for the reader.
  The copy is the database as of the moment the read began: every write
  acknowledged before then is in it. (``VACUUM INTO`` gives the same
  snapshot but rebuilds every table and index: on a 220 MB database it
  took twice as long, 1.0 s against 0.5 s.)
* **A temporary name, renamed at the end.** The copy is written to
  ``.NAME.PID.partial`` beside ``target`` (mode 0600: it holds every
  tenant's personal data), without a journal of its own
  (a half-written copy is thrown away, never repaired), checked with
  ``PRAGMA integrity_check``, flushed to disk, and only then given its
  name, atomically and never over an existing file (a hard link, then
  the temporary name unlinked). An error or a signal the caller turns
  into an exception (``scimdock backup`` does for SIGTERM, SIGINT and
  SIGHUP) removes the partial file; one left by a killed run (SIGKILL)
  belongs to a process that is gone, and the next run removes it.
"""

from __future__ import annotations

import glob
import os
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

PARTIAL = ".partial"
#: What SQLite may create beside a database file.
COMPANIONS = ("", "-journal", "-wal", "-shm")


def backup(source: str | Path, target: str | Path) -> int:
    """Copy the database at ``source`` into a new file ``target`` and return
    its page count. Refuses a ``target`` that exists (FileExistsError) and a
    ``source`` that is not there (FileNotFoundError); a copy that fails its
    ``PRAGMA integrity_check`` is removed and raises sqlite3.DatabaseError.

    The copy runs on a thread of its own while this one waits, so that an
    exception raised here by a signal handler (Python runs them on the main
    thread, between bytecodes) interrupts the wait at once: the partial
    file is removed, and the copying thread, a daemon, ends with the process."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise FileNotFoundError(2, "no database", str(source))
    if target.exists():
        raise FileExistsError(17, "the backup's file exists already", str(target))
    remove_abandoned(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}{PARTIAL}")
    result: list[int | BaseException] = []
    copier = threading.Thread(
        target=_copy_into, args=(source, partial, result), name="backup", daemon=True
    )
    try:
        copier.start()
        copier.join()
        (outcome,) = result
        if isinstance(outcome, BaseException):
            raise outcome
        _publish(partial, target)
    finally:
        _remove(partial)
    return outcome


def _copy_into(source: Path, partial: Path, result: list[int | BaseException]) -> None:
    """The copy, checked and on disk; its page count, or the error, in ``result``."""
    try:
        # Readable by its owner only: it holds every tenant's personal data.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        uri = source.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as src:
            with closing(sqlite3.connect(partial)) as dst:
                dst.execute("PRAGMA journal_mode=OFF")
                dst.execute("PRAGMA synchronous=OFF")  # one fsync at the end instead
                src.backup(dst, pages=-1)
                (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"the copy failed its integrity check: {verdict}")
                (pages,) = dst.execute("PRAGMA page_count").fetchone()
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        result.append(int(pages))
    except BaseException as exc:  # handed to the waiting thread, which raises it
        result.append(exc)


def _publish(partial: Path, target: Path) -> None:
    """Give ``partial`` the name ``target``, atomically, never replacing a
    file that appeared meanwhile (link(2) fails with EEXIST), and make the
    new name durable (the folder's fsync)."""
    os.link(partial, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _remove(partial: Path) -> None:
    for suffix in COMPANIONS:
        Path(f"{partial}{suffix}").unlink(missing_ok=True)


def remove_abandoned(target: Path) -> list[Path]:
    """Remove the partial copies of ``target`` whose process is gone (a run
    killed by SIGKILL has no chance to remove its own); those of a live
    process, a backup still running, are left alone. Returns what was removed."""
    removed = []
    for found in target.parent.glob(f".{glob.escape(target.name)}.*{PARTIAL}"):
        pid = found.name[len(target.name) + 2 : -len(PARTIAL)]
        if pid.isdigit() and not _alive(int(pid)):
            _remove(found)
            removed.append(found)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
