"""The ``key_epoch`` of a PostgreSQL store, watched by one connection of
its own instead of read by every request.

Authentication remembers the key rows it read until ``key_epoch`` moves
(store.sql_keys: triggers bump it on every change to a key or a tenant).
Read per request, that is one round trip on every SCIM request. Here each
server process keeps one more connection, which ``LISTEN``\\ s for the
notification the bump sends (store/migrations.py, migration 10:
``pg_notify`` in the same transaction, delivered when it commits,
<https://www.postgresql.org/docs/current/sql-notify.html>) and reads the
epoch itself every :data:`POLL` seconds. A request takes the epoch from
it while it is *fresh*: the last read the watch finished began less than
:data:`LEASE` seconds ago.

The bound: a change committed at time T is seen by every request that
begins after T + :data:`LEASE` in every process, whatever happens to the
notification (lost, late, the listening connection silently dead): the
read that began after T renews the lease, and a lease that is not renewed
runs out. Usually it is seen at once, when the notification arrives. A
watch that is not fresh (not yet connected, its connection lost, the
server frozen or down) gives nothing, and the store reads the epoch per
request as before (store.postgres), so an outage of the watch never
widens the window. A change made by this process sends its own
notification too; the store also forgets the lease at once after any of
its administrative writes (:meth:`EpochWatch.forget`), so a key revoked
through this process is refused by its very next request.

Written here: psycopg gives the ``LISTEN`` connection and its
notifications (<https://www.psycopg.org/psycopg3/docs/advanced/async.html#asynchronous-notifications>);
what a lease means for a revocation is scimdock's.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from time import monotonic

import psycopg

from scimdock.store.pg_availability import connect_options
from scimdock.store.sql_keys import EPOCH

_log = logging.getLogger(__name__)
#: The channel migration 10's ``key_epoch_bump`` notifies, with the new epoch.
CHANNEL = "scimdock_key_epoch"
#: The watch's connection as ``pg_stat_activity`` shows it (``application_name``).
NAME = "scimdock key epoch watch"
#: Seconds between the watch's own reads of the epoch.
POLL = 0.25
#: Seconds a read of the epoch vouches for, from when it began: the
#: longest a change may go unseen by a process (the module's text).
LEASE = 1.0
#: Seconds between attempts to connect again after the watch lost its connection.
RETRY = 0.5


class EpochWatch:
    """The latest ``key_epoch`` one process knows, kept by a task of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._epoch = -1
        #: ``monotonic()`` until which :attr:`_epoch` may stand for the database's.
        self._fresh_until = float("-inf")
        #: ``monotonic()`` of the last :meth:`forget`: a read begun before it
        #: vouches for nothing.
        self._forgot = float("-inf")
        self._task: asyncio.Task[None] | None = None

    def epoch(self) -> int | None:
        """The epoch, or ``None`` when the watch cannot vouch for it (read it
        from the database instead); the watch starts on first use."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self._epoch if monotonic() < self._fresh_until else None

    def saw(self, epoch: int) -> None:
        """An epoch read by someone else: epochs only grow."""
        self._epoch = max(self._epoch, epoch)

    def forget(self) -> None:
        """Vouch for nothing until a read begun from now on (after a write of
        this process)."""
        self._fresh_until = float("-inf")
        self._forgot = monotonic()

    async def close(self) -> None:
        task, self._task = self._task, None
        self.forget()
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self._watch()
            except (psycopg.Error, OSError) as exc:
                _log.debug("key epoch watch lost its connection: %s", exc)
            self.forget()
            await asyncio.sleep(RETRY)

    async def _watch(self) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, application_name=NAME, **connect_options(self.url)
        )
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            while True:
                began = monotonic()
                row = await (await conn.execute(EPOCH)).fetchone()
                if row is not None:
                    self.saw(int(row[0]))
                    if began > self._forgot:
                        self._fresh_until = began + LEASE
                async for note in conn.notifies(timeout=POLL):
                    with suppress(ValueError):
                        self.saw(int(note.payload))
