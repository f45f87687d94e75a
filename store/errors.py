"""What a store refuses, named after the protocol's meaning, never an HTTP
status: the handlers turn each into a SCIM Error (handlers/errors.py).

:class:`NotFound` is also a :class:`KeyError` and :class:`Conflict` a
:class:`ValueError`, as the command line catches them.
"""

from __future__ import annotations

from scimdock.core.representation import etag_matches


class StoreError(Exception):
    """A refusal the client can act on; ``detail`` says what and why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:  # KeyError's own str() would quote the text
        return self.detail

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and str(other) == self.detail

    def __hash__(self) -> int:
        return hash((type(self), self.detail))


class NotFound(StoreError, KeyError):
    """No such resource, tenant, key or tombstone in this tenant (RFC 7644 §3.12: 404)."""


class Conflict(StoreError, ValueError):
    """A value that must be unique is taken (RFC 7644 §3.3, §3.12 ``uniqueness``),
    or the resource is in a state that refuses the change."""


class PreconditionFailed(StoreError):
    """``If-Match`` names a version that is no longer current (RFC 7644 §3.14)."""


class InvalidReference(StoreError):
    """A value refers to no live resource of the tenant, such as a member id
    (RFC 7644 §3.5.2, ``invalidValue``)."""


class FilterRefused(StoreError):
    """A filter the store cannot run: it compares an attribute the store
    does not filter on, with an operator it does not know, or a value out
    of range (RFC 7644 §3.4.2.2, §3.12 ``invalidFilter``)."""


class SortPathUnknown(StoreError):
    """``sortBy`` names no attribute of the resource type (RFC 7644
    §3.4.2.3, §3.12 ``invalidPath``)."""


class Unsortable(StoreError):
    """``sortBy`` names an attribute with no order: a complex one, a
    membership, ``meta`` (RFC 7644 §3.4.2.3, §3.12 ``invalidValue``)."""


class OverBudget(StoreError):
    """A query would run past the store's time budget: the server will not
    compute that many results (RFC 7644 §3.12 ``tooMany``)."""


class Unavailable(StoreError):
    """The database cannot take writes now: its disk is full or failed an
    I/O, or its server cannot be reached. The refused write left nothing
    behind; the same request may succeed later (RFC 9110 §15.6.4: 503
    Service Unavailable), after ``retry_after`` seconds (``Retry-After``):
    30 for a disk, which room comes back to by an operator's hand; fewer
    for a server that may come back by itself."""

    def __init__(self, detail: str, *, retry_after: int = 30) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def check_version(if_match: str | None, version: int) -> None:
    """RFC 7644 §3.14: a stale ``If-Match`` fails and changes nothing."""
    if if_match is not None and not etag_matches(if_match, version):
        raise PreconditionFailed("The resource has changed: its version no longer matches If-Match")
