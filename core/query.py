"""List and search requests (RFC 7644 §3.4.2, §3.4.3) turned into one
resolved query the store can run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scimdock.core.errors import InvalidValue, ScimError
from scimdock.core.filter import parse_attr_path, parse_filter, resolve_attr_path, resolve_filter
from scimdock.core.filter.ast import AttrPath, Filter
from scimdock.core.paging import Page, page
from scimdock.core.schema import ResourceType

#: A value of a ``sortBy`` key as a store reads it back (NULL: ``None``).
SortValue = str | int | float | Decimal | bool | None


@dataclass(frozen=True)
class Position:
    """Where a row stands in a list's order: its ``sortBy`` value (``None``
    without ``sortBy`` or when the row has none) and its insertion ``seq``,
    which breaks ties. Cursor paging (RFC 9865 §2) resumes after one."""

    value: SortValue
    seq: int


@dataclass(frozen=True)
class ListQuery:
    """Filter, sort and page, with every attribute path resolved.

    ``keyset`` pages by position instead of ``offset`` (RFC 9865 cursor
    paging): rows strictly after ``after`` in the list's order (from the
    first when ``None``), each record carrying its :class:`Position`.
    ``totalResults`` still counts every match (RFC 9865 §2)."""

    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False
    offset: int = 0
    count: int = 100
    keyset: bool = False
    after: Position | None = None
    #: The resource type the paths were resolved against: the tenant's,
    #: with its extensions (core.extensions); ``None``: the server's own.
    resource_type: ResourceType | None = None


def build_query(
    rt: ResourceType,
    *,
    filter: str | None,
    sort_by: str | None,
    sort_order: str | None,
    start_index: int | None,
    count: int | None,
    max_results: int,
    lenient: bool = True,
) -> tuple[ListQuery, Page]:
    """Parse and resolve the query parameters of a list or search request.

    A malformed or unsupported filter is a 400 ``invalidFilter``
    (§3.4.2.2); an unknown ``sortBy`` attribute a 400 ``invalidValue``;
    ``sortOrder`` defaults to ascending (§3.4.2.3).
    """
    resolved: Filter | None = None
    if filter is not None and filter.strip():
        resolved = resolve_filter(parse_filter(filter), rt, lenient=lenient)
    sort_path: AttrPath | None = None
    if sort_by:
        try:
            sort_path = resolve_attr_path(parse_attr_path(sort_by), rt)
        except ScimError as exc:
            raise InvalidValue(f"sortBy: {exc.detail}") from None
    order = (sort_order or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise InvalidValue("sortOrder must be 'ascending' or 'descending'")
    p = page(start_index, count, max_results)
    query = ListQuery(
        resolved, sort_path, order == "descending", p.offset, p.count, resource_type=rt
    )
    return query, p
