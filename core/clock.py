"""Timestamps in the one form the store and ``meta`` use (RFC 3339, UTC)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Fixed width, so string order is time order (filters and sorting on
    ``meta.created`` / ``meta.lastModified`` rely on it).
    """
    # Called several times per request: the text up to the second is made
    # once per second, the microseconds appended (a fifth of the cost of
    # datetime's strftime). The microseconds are truncated, as datetime does.
    # One read of the shared pair: the commit thread calls this too, and
    # the text must be of this call's second, not one another thread set
    # in between.
    moment = time.time()
    second = int(moment)
    global _second
    known = _second
    if known[0] != second:
        known = _second = (second, _format(datetime.fromtimestamp(second, timezone.utc))[:19])
    return f"{known[1]}.{int((moment - second) * 1_000_000):06d}Z"


_second: tuple[int, str] = (-1, "")


def parse(text: str) -> str:
    """An ISO 8601 / RFC 3339 instant in the store's form (UTC, fixed width).

    ``2025-01-31``, ``2025-01-31T12:00:00Z`` and ``2025-01-31T14:00+02:00``
    are accepted; a time without an offset is taken as UTC. Anything else
    raises ``ValueError`` with a message a user can act on.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return _format(moment)
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise ValueError(f"not an ISO 8601 date-time: {text!r}"
                         " (example: 2025-01-31T12:00:00Z)") from None


def shifted(seconds: float) -> str:
    """The current time moved by ``seconds`` (negative: in the past);
    ``ValueError`` beyond the years 1-9999."""
    try:
        return _format(datetime.now(timezone.utc) + timedelta(seconds=seconds))
    except (OverflowError, ValueError):
        raise ValueError(f"{seconds} seconds from now is out of range") from None


def _format(moment: datetime) -> str:
    """:data:`FORMAT` with a four-digit year whatever the platform's strftime."""
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"
