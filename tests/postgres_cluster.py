"""A throwaway PostgreSQL cluster for tests: ``initdb`` into a temporary
directory, trust authentication on a unix socket in that directory and on
127.0.0.1 at a free port, ``fsync=off`` (nothing here must survive a
crash), started with ``pg_ctl start -w`` and removed by :meth:`stop`.

``initdb`` and ``postgres`` refuse to run as root: as root they run as the
``postgres`` system user (Debian's packages create it), the directory
handed to it. Statements are logged to a CSV file only for a database
that asks (``ALTER DATABASE ... SET log_statement = 'all'``), read with
:meth:`PostgresCluster.statements`.

The session fixture :func:`postgres_cluster` skips the tests that need it
when PostgreSQL cannot be had, and fails them instead when ``CI=true``.
"""

from __future__ import annotations

import atexit
import csv
import itertools
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

#: Where the server's programs are looked for, newest first, then ``PATH``.
SEARCH = ("/usr/lib/postgresql/{v}/bin",)
VERSIONS = tuple(range(18, 12, -1))
PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_basebackup")
SYSTEM_USER = "postgres"


def binaries() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    candidates = [Path(p.format(v=v)) for v in VERSIONS for p in SEARCH]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in PROGRAMS):
            return folder
    return None


def available() -> str | None:
    """``None`` when a cluster can be started here, else the plain reason."""
    if binaries() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no {SYSTEM_USER!r} user to run PostgreSQL as"
    return None


def _kill_and_wait(pids: list[int], seconds: float) -> None:
    """SIGKILL each process and return once every one has exited: a pidfd
    (Linux 5.3) opened before the signal becomes readable when its process
    exits, zombie or not, so the wait is for that event, not a poll, and no
    reused pid is signalled."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except ProcessLookupError:
            continue  # gone already
    try:
        for fd in fds:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        deadline = time.monotonic() + seconds
        for fd in fds:
            left = max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                raise RuntimeError(f"the cluster's processes outlived SIGKILL: {pids}")
    finally:
        for fd in fds:
            os.close(fd)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """One server on a temporary directory; :meth:`new_database` gives a
    fresh database's URL. ``settings``: more ``-c name=value`` options of
    the server. ``standby_of``: instead of ``initdb``, a streaming standby
    of that running cluster (``pg_basebackup -R``: its ``primary_conninfo``
    and ``standby.signal`` written), which :meth:`promote` makes a primary."""

    def __init__(
        self, settings: tuple[str, ...] = (), *, standby_of: PostgresCluster | None = None
    ) -> None:
        reason = available()
        if reason is not None:
            raise RuntimeError(reason)
        self.bin = binaries()
        assert self.bin is not None
        self.root = Path(tempfile.mkdtemp(prefix="scimdock-pg-"))
        self.data = self.root / "data"
        self.logs = self.root / "log"
        self.port = _free_port()
        self._names = itertools.count()
        self._as: list[str] = []
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as = ["runuser", "-u", SYSTEM_USER, "--"]
        if standby_of is None:
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
        else:
            self._run(
                "pg_basebackup", "-D", str(self.data), "-h", "127.0.0.1",
                "-p", str(standby_of.port), "-U", "postgres", "-R", "--no-sync",
                "--checkpoint=fast", "--wal-method=stream",
            )  # fmt: skip
        self._options = " ".join(
            [
                f"-c port={self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "-c max_connections=200",
                "-c logging_collector=on -c log_destination=csvlog",
                f"-c log_directory={self.logs} -c log_filename=pg",
                "-c log_rotation_size=0",
                *(f"-c {setting}" for setting in settings),
            ]
        )
        self.start()

    def start(self) -> None:
        """Start the server (again, after :meth:`halt` or :meth:`kill`), on
        the same port; returns once it accepts connections."""
        self._run(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", self._options,
        )  # fmt: skip

    def halt(self) -> None:
        """``pg_ctl stop -m fast``: the server ends its sessions and stops,
        its data kept for :meth:`start`."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def promote(self) -> None:
        """``pg_ctl promote -w`` of a standby: it takes writes once this returns."""
        self._run("pg_ctl", "promote", "-w", "-D", str(self.data))

    def postmaster(self) -> int:
        """The server's postmaster process (the first line of postmaster.pid)."""
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def processes(self) -> list[int]:
        """The postmaster and every process it started (its sessions, the
        checkpointer, the WAL writer ...), from /proc."""
        leader = self.postmaster()
        children = Path(f"/proc/{leader}/task/{leader}/children").read_text().split()
        return [leader, *map(int, children)]

    def _run(self, program: str, *args: str) -> None:
        assert self.bin is not None
        done = subprocess.run(
            [*self._as, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr or done.stdout}"
            )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None, *, log_statements: bool = False) -> str:
        """A fresh, empty database (or a copy of ``template``); its URL.
        ``log_statements``: every statement run in it is logged
        (:meth:`statements`)."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template is not None:
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(create)
            if log_statements:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET log_statement = 'all'").format(
                        sql.Identifier(name)
                    )
                )
        return self.url(name)

    def statements(self, database: str) -> list[str]:
        """Every statement run in ``database`` so far, logged (CSV log: the
        database name is the third field, the message the fourteenth).

        The log is written by PostgreSQL's logging collector, a process of
        its own, a moment after each statement: a barrier statement is run
        in ``database`` and the log read until it shows. A backend sends a
        statement's line into the collector's one pipe before it runs the
        statement, and the collector writes the pipe's lines in order, so
        once the barrier is in the file every statement that finished
        before it is too."""
        from conftest import wait_until

        barrier = f"SELECT 'log barrier {next(self._names)}'"
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(barrier.encode())
        logged = wait_until(
            lambda: (lines := self._logged(database)) and barrier in lines and lines,
            30,
            f"the statement log of {database} to show {barrier}",
        )
        return [
            line
            for line in logged[: logged.index(barrier)]
            if not line.startswith("SELECT 'log barrier ")
        ]

    def _logged(self, database: str) -> list[str]:
        """The statements the log file holds for ``database`` now."""
        path = self.logs / "pg.csv"
        if not path.exists():
            return []
        out = []
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.reader(handle):
                if len(row) > 13 and row[2] == database:
                    message = row[13]
                    for prefix in ("statement: ", "execute "):
                        if message.startswith(prefix):
                            text = message[len(prefix) :]
                            if prefix == "execute ":
                                text = text.split(": ", 1)[1] if ": " in text else text
                            out.append(text)
        return out

    def kill(self) -> None:
        """SIGKILL to the postmaster, then to every process it started (a
        machine lost), returning once none of them runs. Where PID 1 reaps
        no orphans (a container), they linger as zombies and the postmaster's
        would pass for a live server: its ``postmaster.pid`` and its
        socket's lock file are removed, as nothing holds them any more, and
        :meth:`start` recovers from the WAL."""
        _kill_and_wait(self.processes(), 30)
        (self.data / "postmaster.pid").unlink()
        (self.root / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop the server (fast shutdown; immediate for one killed or still
        stopping) and remove its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))
        except RuntimeError:
            pass  # a postmaster killed with SIGKILL left its pid file: nothing runs
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


_SESSION: list[PostgresCluster] = []


def session_cluster() -> PostgresCluster:
    """The one cluster of this test process, started on first use and
    stopped when the process exits (each pytest-xdist worker has its own).
    Without PostgreSQL: the calling test is skipped, or failed when the
    environment says ``CI=true`` (a CI run must not pass by skipping)."""
    if not _SESSION:
        reason = available()
        if reason is not None:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(reason)
            pytest.skip(reason)
        _SESSION.append(PostgresCluster())
        atexit.register(_SESSION[0].stop)
    return _SESSION[0]


@pytest.fixture(scope="session")
def postgres_cluster() -> PostgresCluster:
    """:func:`session_cluster`, as a fixture (registered in conftest.py)."""
    return session_cluster()


if __name__ == "__main__":
    # ``python -m tests.postgres_cluster``: exit 0 when a cluster can run
    # here, else print why and exit 1 (the Makefile's test-postgresql).
    why = available()
    if why is not None:
        print(why)
    raise SystemExit(0 if why is None else 1)
