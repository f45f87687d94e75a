"""core.clock: one fixed-width UTC form (RFC 3339 §5.6), so that string
order is time order; pure functions of the instants they are given, and
the clocks a caller passes in."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scimdock.core import clock
from scimdock.core.clock import Clock, ManualClock, SystemClock

FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_the_system_clock_is_the_stores_form_and_the_current_utc_time() -> None:
    system: Clock = SystemClock()
    before = datetime.now(UTC).strftime(clock.FORMAT)
    now = system.now()
    after = datetime.now(UTC).strftime(clock.FORMAT)
    assert FORM.fullmatch(now) and before <= now <= after
    assert clock.parse(now) == now


def test_the_system_clock_gives_each_thread_its_own_seconds_text() -> None:
    """The cached second's text is read once per call: under threads every
    value is still well formed and within the bounds of its call."""
    system = SystemClock()
    bad: list[str] = []

    def read() -> None:
        for _ in range(2000):
            before = datetime.now(UTC).strftime(clock.FORMAT)
            now = system.now()
            after = datetime.now(UTC).strftime(clock.FORMAT)
            if not (FORM.fullmatch(now) and before <= now <= after):
                bad.append(now)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


def test_a_manual_clock_moves_only_when_told() -> None:
    manual: Clock = ManualClock("2025-01-31T14:00:00+02:00")
    assert isinstance(manual, ManualClock)
    assert manual.now() == manual.now() == "2025-01-31T12:00:00.000000Z"
    manual.advance(1.5)
    assert manual.now() == "2025-01-31T12:00:01.500000Z"
    manual.advance(-86400)
    assert manual.now() == "2025-01-30T12:00:01.500000Z"
    manual.advance(1e-6)
    assert manual.now() == "2025-01-30T12:00:01.500001Z"
    manual.set(datetime(2030, 6, 1, 8, tzinfo=timezone(timedelta(hours=2))))
    assert manual.now() == "2030-06-01T06:00:00.000000Z"
    assert manual.at == datetime(2030, 6, 1, 6, tzinfo=UTC)
    manual.set(0)
    assert manual.now() == "1970-01-01T00:00:00.000000Z"
    manual.set(datetime(2025, 1, 1))  # naive: UTC
    assert manual.now() == "2025-01-01T00:00:00.000000Z"


def test_text_is_fixed_width_for_any_year_and_offset() -> None:
    assert clock.text(datetime(1, 1, 1)) == "0001-01-01T00:00:00.000000Z"
    assert (
        clock.text(datetime(2025, 1, 31, 12, tzinfo=timezone(timedelta(hours=-5))))
        == "2025-01-31T17:00:00.000000Z"
    )
    assert clock.text(datetime(2025, 1, 31, 12, 0, 0, 7)) == "2025-01-31T12:00:00.000007Z"


def test_from_epoch_truncates_microseconds_on_both_sides_of_the_epoch() -> None:
    assert clock.from_epoch(0) == "1970-01-01T00:00:00.000000Z"
    assert clock.from_epoch(1738324800.25) == "2025-01-31T12:00:00.250000Z"
    assert clock.from_epoch(-0.25) == "1969-12-31T23:59:59.750000Z"


def test_instant_reads_back_what_text_writes() -> None:
    moment = datetime(2025, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
    assert clock.instant(clock.text(moment)) == moment


def test_parse_gives_the_same_form_for_any_offset_and_precision() -> None:
    assert clock.parse("2025-01-31T14:00+02:00") == "2025-01-31T12:00:00.000000Z"
    assert clock.parse("2025-01-31") == "2025-01-31T00:00:00.000000Z"
    assert clock.parse(" 2025-01-31T12:00:00Z ") == "2025-01-31T12:00:00.000000Z"
    assert clock.parse("0001-01-01T00:00:00Z") == "0001-01-01T00:00:00.000000Z"
    with pytest.raises(ValueError, match="ISO 8601"):
        clock.parse("next tuesday")


def test_shifted_moves_a_given_instant() -> None:
    base = "2025-01-31T12:00:00.000000Z"
    assert clock.shifted(base, 3600) == "2025-01-31T13:00:00.000000Z"
    assert clock.shifted(base, -30 * 86400) == "2025-01-01T12:00:00.000000Z"
    assert clock.shifted(base, 0.000001) == "2025-01-31T12:00:00.000001Z"
    assert clock.shifted("2024-02-28T12:00:00.000000Z", 86400) == "2024-02-29T12:00:00.000000Z"
    with pytest.raises(ValueError, match="out of range"):
        clock.shifted(base, -1e12)
    with pytest.raises(ValueError, match="out of range"):
        clock.shifted("9999-12-31T23:59:59.000000Z", 1)
