"""Whether the PostgreSQL server can be reached, as the store last saw it:
a circuit breaker in front of the connection pool, so that an outage is
answered at once and its end noticed at once.

psycopg-pool keeps its connections by itself, and reconnects after a loss
with an exponential back-off (1 s, 2 s, 4 s ... up to ``reconnect_timeout``,
<https://www.psycopg.org/psycopg3/docs/advanced/pool.html#connection-quality>),
while each client waits up to the pool's ``timeout`` for a connection. Left
alone, an outage makes every request wait that whole timeout before its
503, and its end is seen only at the next attempt of the back-off, which
after a long outage comes tens of seconds late. The pool's API has what it
takes to bound both, and this module uses it:

* **Down.** A connection found broken, the pool's reconnection attempts
  failing for :data:`RECONNECT_TIMEOUT` (its ``reconnect_failed``
  callback), or a wait for the pool that timed out while a probe fails,
  marks the database down (:meth:`Availability.lost`). The store then
  closes its pool (``AsyncConnectionPool.close``: the back-off's pending
  attempts are dropped, and every client waiting on it gets
  ``PoolClosed`` once its workers have stopped) and keeps none while
  down: a request waits for no pool.
* **Probe on demand.** A request that arrives while the database is down
  starts a probe (one at a time, shared by every request meanwhile): one
  connection of its own, as libpq makes it from the same URL (every host
  of a multi-host URL, ``target_session_attrs`` honoured), bounded by
  ``connect_timeout``. The request waits for it at most :data:`WAIT`
  seconds, then is answered 503. A failed probe is trusted for
  :data:`RETRY` seconds; the first request after that probes again. No
  back-off: the cost of a probe while down is one refused connection.
* **Frozen.** A server that stops answering without closing anything
  (its processes stopped, SIGSTOP; a host gone without a word) refuses
  no connection and breaks none: the kernel keeps accepting, and the
  requests on its connections would wait forever. So a request that has
  held or waited for a connection for :data:`SUSPECT_AFTER` seconds
  starts a probe (:meth:`Availability.suspect`, at most one each
  :data:`SUSPECT_EVERY` seconds), bounded by :data:`PROBE_TIMEOUT`: a
  server that cannot start a session in that time is down, and the
  store ends every request still waiting on it with a 503. A slow query
  costs one probe, which a server that answers passes in milliseconds.
* **Up.** A probe that connects marks the database up, and the store
  opens a fresh pool on the next request, so the first request after the
  server is back is served within one probe and one connection, however
  long the outage lasted.

Written here rather than taken from a circuit-breaker library
(pybreaker, aiobreaker): those count failures of the calls they wrap and
reopen on a timer; here the signal is the pool's own (a broken connection,
``PoolTimeout``), and what ends an outage is a probe a request starts,
not a timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from time import monotonic
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

log = logging.getLogger("scimdock.store")

#: The pool's ``reconnect_timeout``: how long its own attempts to make a
#: connection go on before it gives up and calls ``reconnect_failed``: as
#: long as a request may wait on a pool that cannot connect (one that found
#: no broken connection to show the outage, such as a pool opened during it).
RECONNECT_TIMEOUT = 0.25
#: The longest a request waits for a probe while the database is down,
#: in seconds: its 503 comes well within a second.
WAIT = 0.4
#: Seconds a failed probe is trusted before a request starts another.
RETRY = 0.2
#: Seconds a request holds or waits for a connection before it has the
#: database probed (a frozen server answers nothing: the module's text).
SUSPECT_AFTER = 0.2
#: Seconds between two probes started by slow requests.
SUSPECT_EVERY = 1.0
#: The longest a probe may take to open a session, in seconds: a server
#: that answers opens one in milliseconds, even under load.
PROBE_TIMEOUT = 0.5
#: libpq's ``connect_timeout`` (per host; libpq's least is 2 s) for every
#: connection the store makes, unless the URL sets its own: psycopg's
#: default, 130 s, would hold a pool's or a probe's attempt that long on a
#: host that drops packets before it tries the next host of the URL.
CONNECT_TIMEOUT = 2


def connect_options(url: str) -> dict[str, Any]:
    """The options the store adds to ``url``'s for each connection."""
    return (
        {} if "connect_timeout" in conninfo_to_dict(url) else {"connect_timeout": CONNECT_TIMEOUT}
    )


class Availability:
    """The database's reachability for one store on ``url``; ``on_down`` is
    called once each time it is found down (the store closes its pool, and
    opens a new one on the first request after a probe found it back)."""

    def __init__(self, url: str, on_down: Callable[[], None]) -> None:
        self.url = url
        self.on_down = on_down
        #: ``monotonic()`` when the database was found down; None while up.
        self.down_since: float | None = None
        self._probe: asyncio.Task[bool] | None = None
        self._failed_at = float("-inf")
        self._suspected_at = float("-inf")

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def lost(self, why: BaseException | str) -> None:
        """The database was found unreachable (``why``: what showed it)."""
        if self.down_since is None:
            self.down_since = monotonic()
            log.error("the database cannot be reached: %s", why)
            self.on_down()

    async def up(self, within: float = WAIT) -> bool:
        """Whether the database can be reached, waiting at most ``within``
        seconds for a probe when it was down (the probe goes on after)."""
        if self.down_since is None:
            return True
        if self._probe is None:
            if monotonic() - self._failed_at < RETRY:
                return False
            self._probe = asyncio.create_task(self._connect(), name="scimdock-db-probe")
        done, _ = await asyncio.wait({self._probe}, timeout=within)
        return bool(done) and self.down_since is None

    def suspect(self) -> None:
        """Something suggests an outage (a wait for the pool timed out, a
        request waits long): probe in the background, at most once each
        :data:`SUSPECT_EVERY` seconds, and mark the database down if it fails."""
        if self.down_since is None and self._probe is None:
            if monotonic() - self._suspected_at < SUSPECT_EVERY:
                return
            self._suspected_at = monotonic()
            self._probe = asyncio.create_task(self._connect(), name="scimdock-db-probe")

    async def close(self) -> None:
        """Stop a probe still under way (the store is closing)."""
        probe = self._probe
        if probe is not None:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)

    async def _connect(self) -> bool:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, **connect_options(self.url)
                )
            await conn.close()
        except Exception as exc:  # refused, unknown host, read-only standby: not up
            self._failed_at = monotonic()
            frozen = isinstance(exc, TimeoutError)
            self.lost(f"no session within {PROBE_TIMEOUT:g} s" if frozen else exc)
            return False
        finally:
            self._probe = None
        if self.down_since is not None:
            log.warning(
                "the database can be reached again after %.1f s", monotonic() - self.down_since
            )
            self.down_since = None
        return True
