"""The bench's PostgreSQL: a throwaway cluster (tests/postgres_cluster.py's
:class:`PostgresCluster`, initdb into a temporary folder), restarted
durable for the bench.

The tests' cluster runs with ``fsync=off``, ``synchronous_commit=off`` and
``full_page_writes=off`` (nothing there must survive a crash); a bench that
set SQLite's ``synchronous=FULL`` against that would compare a durable
commit with one that is not. So the bench restarts it with PostgreSQL's own
defaults for everything but where it listens: every commit flushed to the
WAL with an fsync before it is acknowledged, as SQLite's ``FULL`` does.
Its processes are not pinned: on this machine they share both cores with
scimdock and the load generator, so their CPU is measured
(:func:`postmaster`, bench/noise.py) and reported beside scimdock's.
"""

from __future__ import annotations

from pathlib import Path

from tests.postgres_cluster import PostgresCluster, available


class BenchCluster(PostgresCluster):
    """A :class:`PostgresCluster` restarted with durable, default settings."""

    def __init__(self) -> None:
        super().__init__()
        options = " ".join(
            [
                f"-c port={self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
            ]
        )
        self._run(
            "pg_ctl", "restart", "-w", "-m", "fast", "-D", str(self.data),
            "-l", str(self.root / "server.log"), "-o", options,
        )  # fmt: skip

    def postmaster(self) -> int:
        """The server's root process id (first line of ``postmaster.pid``)."""
        return int((Path(self.data) / "postmaster.pid").read_text().split("\n", 1)[0])

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def settings(self) -> dict[str, str]:
        """The durability settings in force (to print beside the figures)."""
        import psycopg

        names = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        with psycopg.connect(self.url(), autocommit=True) as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]


def start() -> BenchCluster | None:
    """A durable throwaway cluster, or ``None`` (with the reason printed)
    when PostgreSQL cannot run here."""
    why = available()
    if why is not None:
        print(f"PostgreSQL skipped: {why}", flush=True)
        return None
    return BenchCluster()
