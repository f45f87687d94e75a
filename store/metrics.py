"""The store's Prometheus metrics (docs/configuration.md, "Metrics"):
where the time of a request's database calls goes, and how many writes
each group commit (store.group_commit) makes durable with one fsync.

Recorded only once :func:`enable` has been called (``scimdock serve``
with ``SCIMDOCK_METRICS`` set, scimdock.metrics): off, each call costs one
check of a module flag. On, a ``time.perf_counter()`` pair and one
histogram observation per awaited store call.
"""

from __future__ import annotations

from prometheus_client import Histogram

#: Whether the store records its metrics (:func:`enable`).
ENABLED = False

#: Seconds of each awaited store call, by where it ran. SQLite
#: (store.sqlite): ``inline`` on the event loop, ``read`` on a reader
#: thread within the query budget, ``offload`` an administrative write on a
#: reader thread, ``commit`` a SCIM write through the group commit (queue,
#: batch, fsync). PostgreSQL (store.postgres): ``read`` every read,
#: ``commit`` every write transaction, each with the wait for a pooled
#: connection.
DB_SECONDS = Histogram(
    "scimdock_db_seconds",
    "Time of the store's awaited calls, by where they ran",
    ["kind"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10),
)
INLINE, READ, OFFLOAD, COMMIT = (
    DB_SECONDS.labels(kind) for kind in ("inline", "read", "offload", "commit")
)

#: Writes made durable by each ``COMMIT`` of the group commit.
COMMIT_BATCH = Histogram(
    "scimdock_commit_batch_writes",
    "Writes committed together by one group commit (one fsync)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


def enable() -> None:
    """Record from now on (in this process)."""
    global ENABLED
    ENABLED = True
