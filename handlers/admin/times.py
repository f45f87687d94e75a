"""RFC 3339 times from clients, as the store keeps them.

The store compares times as strings in :data:`core.clock.FORMAT` (UTC,
fixed width), so every time a client sends is converted to that form
here. Written by hand because :meth:`datetime.fromisoformat` refuses parts
of RFC 3339 §5.6 (lower-case ``t``/``z``, leap second ``60``) and an offset
can move a valid time out of :class:`datetime`'s range; both are answered
here instead of with a 500.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from scimdock.core.errors import InvalidValue

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse(text: str, name: str) -> str:
    """``text`` (RFC 3339 §5.6 ``date-time``) in UTC as ``core.clock.FORMAT``;
    400 ``invalidValue`` naming ``name`` when it is not one."""
    match = _RFC3339.match(text)
    if match is None:
        raise _invalid(name, text)
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "").ljust(6, "0")[:6])
    if second == 60:  # a leap second (RFC 3339 §5.7): the last instant of that minute
        second, micro = 59, 999999
    try:
        local = datetime(max(year, 1), month, day, hour, minute, second, micro)
    except ValueError:
        raise _invalid(name, text) from None
    offset = 0
    if match.group(8) is None:
        off_h, off_m = int(match.group(10)), int(match.group(11))
        if off_h > 23 or off_m > 59:
            raise _invalid(name, text)
        offset = (off_h * 60 + off_m) * (1 if match.group(9) == "+" else -1)
    if year == 0:
        return format_time(datetime.min)
    try:
        utc = local - timedelta(minutes=offset)
    except OverflowError:  # beyond year 1 or 9999 once in UTC
        utc = datetime.min if offset > 0 else datetime.max
    return format_time(utc)


def format_time(value: datetime) -> str:
    """``core.clock.FORMAT`` for any year (``strftime("%Y")`` drops leading zeros)."""
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"
    )


def _invalid(name: str, text: str) -> Exception:
    return InvalidValue(
        f"{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got {text!r}",
    )
