"""core.clock: one fixed-width UTC form, so that string order is time order."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from scimdock.core import clock

FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_now_is_the_stores_form_and_the_current_utc_time() -> None:
    before = datetime.now(timezone.utc).strftime(clock.FORMAT)
    now = clock.now()
    after = datetime.now(timezone.utc).strftime(clock.FORMAT)
    assert FORM.fullmatch(now) and before <= now <= after
    assert clock.parse(now) == now


def test_parse_gives_the_same_form_for_any_offset_and_precision() -> None:
    assert clock.parse("2025-01-31T14:00+02:00") == "2025-01-31T12:00:00.000000Z"
    assert clock.parse("2025-01-31") == "2025-01-31T00:00:00.000000Z"
    assert clock.parse("0001-01-01T00:00:00Z") == "0001-01-01T00:00:00.000000Z"
