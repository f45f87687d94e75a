"""``scimdock backup`` of a database of over 50 MB while a writer commits
without pause through the real store: it finishes within three times the
time the same copy takes idle, the copy holds every user acknowledged
before the backup began and passes ``PRAGMA integrity_check``; a signal
removes the partial copy, and one left by a killed run does not block the
next (docs/deployment.md, "Online backups")."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from conftest import ROOT, cli, wait_until
from scimdock.core.tenants import check_name
from scimdock.store.blocking import BlockingStore
from scimdock.store.sqlite import SqliteStore

#: SQLite's own file: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
#: The database's least size, in bytes.
LEAST = 50 * 1000 * 1000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of over 50 MB: users of a 600-character title, written in
    batches of 1,000 through the store (its audit lines too)."""
    db = tmp_path_factory.mktemp("big") / "scimdock.db"
    engine = BlockingStore(SqliteStore(db))
    try:
        tenant = engine.create_tenant(check_name("big"))
        batch = 0
        while db.stat().st_size < LEAST:  # the log is checkpointed every 1,000 pages
            docs = [
                {"schemas": [USER], "userName": f"u{batch}-{n}", "title": "t" * 600}
                for n in range(1000)
            ]
            engine.create_users(tenant.id, docs)
            batch += 1
    finally:
        engine.close()  # checkpoints the log into the file
    assert db.stat().st_size >= LEAST
    return db


def _timed_backup(db: Path, copy: Path) -> float:
    started = time.perf_counter()
    done = cli(db, "backup", str(copy))
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    return elapsed


class Writer:
    """A thread creating users through the store, one committed
    transaction each, until stopped; the ids it saw acknowledged, in order."""

    def __init__(self, db: Path) -> None:
        self.engine = BlockingStore(SqliteStore(db))
        tenant = self.engine.get_tenant("big")
        assert tenant is not None
        self.tenant_id = tenant.id
        self.acknowledged: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="writer")

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            doc = {"schemas": [USER], "userName": f"w{n}", "title": "w" * 600}
            self.acknowledged.append(self.engine.create(self.tenant_id, "User", doc).id)
            n += 1

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        self.engine.close()


def test_a_backup_under_steady_writes_finishes_within_three_times_idle(
    big: Path, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    idle_before = _timed_backup(big, tmp_path / "idle1.db")
    with Writer(big) as writer:
        wait_until(lambda: len(writer.acknowledged) >= 50, 30, "the writer to commit")
        acknowledged = list(writer.acknowledged)  # every one acknowledged before the backup
        loaded = _timed_backup(big, tmp_path / "loaded.db")
        during = len(writer.acknowledged) - len(acknowledged)
    idle_after = _timed_backup(big, tmp_path / "idle2.db")
    idle = (idle_before + idle_after) / 2
    size = big.stat().st_size / 1e6
    figure(
        f"backup of {size:.0f} MB: idle {idle_before:.2f} s and {idle_after:.2f} s,"
        f" under writes {loaded:.2f} s ({during} writes committed during it,"
        f" {loaded / idle:.2f}x idle)"
    )
    assert during > 0, "the writer committed nothing while the backup ran"
    assert loaded <= 3 * idle, f"{loaded:.2f} s under writes against {idle:.2f} s idle"
    with closing(sqlite3.connect(tmp_path / "loaded.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = {row[0] for row in conn.execute("SELECT id FROM users WHERE user_name LIKE 'w%'")}
    assert not set(acknowledged) - kept
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert (tmp_path / "loaded.db").stat().st_mode & 0o777 == 0o600  # its owner's only


@pytest.fixture
def held(big: Path) -> Iterator[None]:
    """The source locked against readers (``locking_mode=EXCLUSIVE`` and a
    write transaction: in WAL mode no other connection may then read), so
    that a backup started meanwhile waits with its partial file open: a
    copy caught under way whatever the machine's speed."""
    conn = sqlite3.connect(big, isolation_level=None)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _start_backup(db: Path, copy: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scimdock", "--db", str(db), "backup", str(copy)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_until(lambda: any(copy.parent.glob(".*.partial")), 30, "the partial copy")
    return process


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_removes_the_partial_copy(
    big: Path, tmp_path: Path, held: None, sent: signal.Signals
) -> None:
    copy = tmp_path / "copy.db"
    process = _start_backup(big, copy)
    process.send_signal(sent)
    assert process.wait(30) == 128 + sent, process.stderr.read()
    assert list(tmp_path.iterdir()) == []  # no copy, no partial file, no journal


def test_a_partial_copy_left_by_a_killed_run_does_not_block_the_next(
    big: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    lock = sqlite3.connect(big, isolation_level=None)
    lock.execute("PRAGMA locking_mode=EXCLUSIVE")
    lock.execute("BEGIN EXCLUSIVE")
    try:
        process = _start_backup(big, copy)
        process.kill()
        process.wait(30)
        [left] = tmp_path.glob(".*.partial")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert cli(big, "backup", str(copy)).returncode == 0
    assert [p.name for p in tmp_path.iterdir()] == ["copy.db"]  # the leftover removed too
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
