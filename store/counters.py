"""Counters shared by every server process on one database: what the
limits (handlers.throttle, docs/security.md "Limits") count across
instances and workers.

One small operation, :meth:`Counters.take`, serves every limit. A *name*
(``rate:tenant:7``, ``busy:tenant:7``, ...) owns rows ``(name, part,
hits, until)``: ``hits`` taken from the name's pool, live until ``until``
(milliseconds since the epoch). Under a lock on the name, a take drops the
name's expired rows, then adds up to ``want`` hits to its row ``part``,
never past ``cap`` summed over the name's live rows, and answers what it
got, the name's total, and when its oldest live hit expires. The rates
take into the row of the current slice of their window; an in-flight cap
takes into the row of the process (a lease that the process renews, and
that expires if it dies: :meth:`Counters.renew`); :meth:`Counters.give_back`
returns hits not used.

The SQL is written once (:func:`take_script`) over the backend's
:class:`~store.sqldialect.Dialect`: its placeholder and its lock. On
PostgreSQL the table is ``UNLOGGED`` (store/migrations.py, migration 9) and
the lock a transaction-scoped advisory lock; the steps go in one pipeline,
one round trip (:mod:`store.pg_counters`). On SQLite they run in one
``BEGIN IMMEDIATE`` transaction on a side file beside the database
(:mod:`store.sqlite_counters`). Both backends pass the same contract
(tests/store_contract/counters.py).
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from scimdock.store.errors import OverBudget, Unavailable
from scimdock.store.sqldialect import Dialect, Sql

LOG = logging.getLogger("scimdock.limits")
#: What the counts' storage raises when it fails: SQLite's side file (a full
#: disk, a lock held too long), or the store's own errors, which the
#: PostgreSQL store maps its driver's to. A defect of the code still raises.
_STORAGE_FAILED = (Unavailable, OverBudget, sqlite3.Error, OSError)

#: The table's definition: the SQLite side file's; PostgreSQL's (UNLOGGED,
#: with its types) is store/migrations.py's migration 9.
SQLITE_TABLE = """
CREATE TABLE IF NOT EXISTS limit_counts (
    name  TEXT NOT NULL,
    part  INTEGER NOT NULL,
    hits  INTEGER NOT NULL,
    taken INTEGER NOT NULL,
    until INTEGER NOT NULL,
    PRIMARY KEY (name, part)
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class Grant:
    """What a :meth:`Counters.take` got."""

    #: Hits added to the row (0: none, the pool was full or none was asked).
    granted: int
    #: The name's live hits after the take, this one's included.
    held: int
    #: When the oldest live row holding hits expires (ms since the epoch),
    #: the first moment the pool can have room again; ``None``: no such row.
    frees_at: int | None


def take_script(
    d: Dialect,
    name: str,
    part: int,
    want: int,
    cap: int,
    until: int,
    now: int,
) -> list[Sql]:
    """The statements of :meth:`Counters.take`, run in one transaction that
    serialises the takes of one name: the dialect's lock first (SQLite's
    ``BEGIN IMMEDIATE`` serialises everything already). The answer is the
    last two statements' rows: the hits taken (no row: none), then the
    total and the oldest expiry."""
    m = d.mark
    steps: list[Sql] = []
    if d.advisory_lock:
        steps.append((d.advisory_lock.format(m=m), [name]))
    steps.append((f"DELETE FROM limit_counts WHERE name = {m} AND until <= {m}", [name, now]))
    room = f"{m} - coalesce(sum(hits), 0)"
    steps.append(
        (
            "INSERT INTO limit_counts AS c (name, part, hits, taken, until)"
            f" SELECT {m}, {m}, g, g, {m} FROM (SELECT CASE WHEN {room} < {m} THEN {room}"
            f" ELSE {m} END AS g FROM limit_counts WHERE name = {m}) AS q WHERE g > 0"
            " ON CONFLICT (name, part) DO UPDATE SET hits = c.hits + excluded.taken,"
            " taken = excluded.taken, until = excluded.until RETURNING taken",
            [name, part, until, cap, want, cap, want, name],
        )
    )
    steps.append(
        (
            "SELECT coalesce(sum(hits), 0), min(CASE WHEN hits > 0 THEN until END)"
            f" FROM limit_counts WHERE name = {m}",
            [name],
        )
    )
    return steps


def give_back_sql(d: Dialect, name: str, part: int, count: int) -> Sql:
    m = d.mark
    return (
        f"UPDATE limit_counts SET hits = CASE WHEN hits > {m} THEN hits - {m} ELSE 0 END"
        f" WHERE name = {m} AND part = {m}",
        [count, count, name, part],
    )


def renew_sql(d: Dialect, prefix: str, part: int, until: int) -> Sql:
    m = d.mark
    return (
        f"UPDATE limit_counts SET until = {m} WHERE part = {m} AND hits > 0"
        f" AND substr(name, 1, {m}) = {m}",
        [until, part, len(prefix), prefix],
    )


def sweep_sql(d: Dialect, now: int) -> Sql:
    return f"DELETE FROM limit_counts WHERE until <= {d.mark}", [now]


def grant_of(taken: tuple[object, ...] | None, total: tuple[object, ...] | None) -> Grant:
    """The :class:`Grant` from the last two statements' first rows."""
    held, frees = (0, None) if total is None else total
    return Grant(
        granted=0 if taken is None else int(taken[0]),  # type: ignore[call-overload]
        held=int(held),  # type: ignore[call-overload]
        frees_at=None if frees is None else int(frees),  # type: ignore[call-overload]
    )


class Counters(ABC):
    """Counting shared through the database (see the module's text), in
    the ``limit_counts`` table of a backend's :attr:`dialect`; the backend
    runs a list of statements as one transaction (:meth:`_steps`)."""

    dialect: Dialect
    #: When the counts' storage last failed and said so (monotonic seconds).
    _said_at: float = -math.inf

    def _unavailable(self, exc: BaseException) -> None:
        """The counts cannot be read or written (a full disk, the database
        gone): the limits let requests through rather than fail them, since
        a limit protects the service and must not be what stops it; said
        on the log at most once a minute."""
        now = time.monotonic()
        if now - self._said_at >= 60:
            self._said_at = now
            LOG.warning("limits not counted, their storage failed (%s): requests let through", exc)

    @abstractmethod
    async def _steps(self, steps: list[Sql]) -> list[tuple[Any, ...] | None]:
        """Run ``steps`` in one transaction; the first row of each (or ``None``)."""

    async def _quietly(self, steps: list[Sql]) -> None:
        try:
            await self._steps(steps)
        except _STORAGE_FAILED as exc:
            self._unavailable(exc)

    async def take(self, name: str, part: int, want: int, cap: int, until: int, now: int) -> Grant:
        """Drop ``name``'s rows whose ``until`` is at or before ``now``; add
        up to ``want`` hits to row ``part`` (its ``until`` set to
        ``until``) so that the name's live hits stay within ``cap``.
        ``want=0`` only reads."""
        try:
            rows = await self._steps(take_script(self.dialect, name, part, want, cap, until, now))
        except _STORAGE_FAILED as exc:
            self._unavailable(exc)
            return Grant(granted=want, held=0, frees_at=None)
        return grant_of(rows[-2], rows[-1])

    async def give_back(self, name: str, part: int, count: int) -> None:
        """Return ``count`` hits of row ``part`` (none below zero; nothing
        if the row has expired)."""
        await self._quietly([give_back_sql(self.dialect, name, part, count)])

    async def renew(self, prefix: str, part: int, until: int) -> None:
        """Move ``until`` of every row ``part`` of the names starting with
        ``prefix`` that holds hits (a process's leases) to ``until``."""
        await self._quietly([renew_sql(self.dialect, prefix, part, until)])

    async def sweep(self, now: int) -> None:
        """Drop every row whose ``until`` is at or before ``now``."""
        await self._quietly([sweep_sql(self.dialect, now)])
