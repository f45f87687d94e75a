"""Timestamps in the one form the store and ``meta`` use (RFC 3339, UTC)."""

from __future__ import annotations

from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Fixed width, so string order is time order (filters and sorting on
    ``meta.created`` / ``meta.lastModified`` rely on it).
    """
    return datetime.now(timezone.utc).strftime(FORMAT)
