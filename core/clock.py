"""Timestamps in the one form the store and ``meta`` use (RFC 3339 §5.6,
UTC), and where "now" comes from.

The functions here are pure: they take the instant they work on. "Now" is
a :class:`Clock` the caller owns: the store receives one at construction
and stamps every row with it, the handlers read the store's from their
runtime (handlers.runtime), the CLI uses its store's. :class:`SystemClock`
is the production one; :class:`ManualClock` stands still until told to
move, so expiry, grace periods and tombstone age are tested without
waiting.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> str:
        """The current instant as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC).

        Fixed width, so string order is time order (filters and sorting on
        ``meta.created`` / ``meta.lastModified`` rely on it)."""
        ...


class SystemClock:
    """The operating system's wall clock (:func:`time.time`)."""

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def now(self) -> str:
        # Called several times per request: the text up to the second is made
        # once per second, the microseconds appended (a fifth of the cost of
        # datetime's strftime). The microseconds are truncated, as datetime does.
        # One read of the shared pair: the commit thread calls this too, and
        # the text must be of this call's second, not one another thread set
        # in between.
        moment = time.time()
        second = int(moment)
        known = self._second
        if known[0] != second:
            known = self._second = (second, text(datetime.fromtimestamp(second, UTC))[:19])
        return f"{known[1]}.{int((moment - second) * 1_000_000):06d}Z"


class ManualClock:
    """A clock that moves only when told to (tests): :meth:`set` and
    :meth:`advance`. Safe to read from a server thread while a test moves it
    (each read sees one whole instant)."""

    def __init__(self, start: datetime | str | float) -> None:
        self._at = _instant(start)

    def now(self) -> str:
        return text(self._at)

    @property
    def at(self) -> datetime:
        """The current instant (UTC)."""
        return self._at

    def set(self, moment: datetime | str | float) -> None:
        """Move to ``moment`` (a datetime, a text in any form :func:`parse`
        reads, or seconds since the epoch); backwards too."""
        self._at = _instant(moment)

    def advance(self, seconds: float) -> None:
        self._at = self._at + timedelta(seconds=seconds)


def text(moment: datetime) -> str:
    """``moment`` in :data:`FORMAT`, with a four-digit year whatever the
    platform's ``strftime``; a naive datetime is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def from_epoch(seconds: float) -> str:
    """Seconds since the Unix epoch in :data:`FORMAT`, microseconds
    truncated (as :meth:`SystemClock.now` does)."""
    whole = math.floor(seconds)
    base = datetime(1970, 1, 1) + timedelta(seconds=whole)
    return text(base.replace(microsecond=int((seconds - whole) * 1_000_000)))


def instant(stamp: str) -> datetime:
    """The aware UTC datetime of a text in the store's form."""
    return datetime.fromisoformat(stamp).astimezone(UTC)


def parse(value: str) -> str:
    """An ISO 8601 / RFC 3339 instant in the store's form (UTC, fixed width).

    ``2025-01-31``, ``2025-01-31T12:00:00Z`` and ``2025-01-31T14:00+02:00``
    are accepted; a time without an offset is taken as UTC. Anything else
    raises ``ValueError`` with a message a user can act on.
    """
    try:
        return text(_aware(datetime.fromisoformat(value.strip())))
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise ValueError(
            f"not an ISO 8601 date-time: {value!r} (example: 2025-01-31T12:00:00Z)"
        ) from None


def shifted(base: str, seconds: float) -> str:
    """``base`` (the store's form) moved by ``seconds`` (negative: into the
    past); ``ValueError`` beyond the years 1-9999."""
    try:
        return text(instant(base) + timedelta(seconds=seconds))
    except (OverflowError, ValueError):
        raise ValueError(f"{seconds} seconds from {base} is out of range") from None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _instant(moment: datetime | str | float) -> datetime:
    if isinstance(moment, datetime):
        return _aware(moment).astimezone(UTC)
    if isinstance(moment, str):
        return instant(parse(moment))
    return instant(from_epoch(moment))
