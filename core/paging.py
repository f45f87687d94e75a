"""Pagination parameters (RFC 7644 §3.4.2.4)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A normalised page request: 1-based ``start_index`` and ``count``."""

    start_index: int
    count: int

    @property
    def offset(self) -> int:
        return self.start_index - 1


def page(start_index: int | None, count: int | None, max_results: int) -> Page:
    """Normalise ``startIndex``/``count`` as RFC 7644 §3.4.2.4 says.

    A ``startIndex`` below 1 is interpreted as 1; a negative ``count`` as 0
    (only ``totalResults`` is returned); a missing ``count`` or one above the
    service provider's maximum is the maximum (``filter.maxResults`` in
    ServiceProviderConfig).
    """
    start = 1 if start_index is None or start_index < 1 else start_index
    if count is None or count > max_results:
        size = max_results
    else:
        size = max(count, 0)
    return Page(start, size)
