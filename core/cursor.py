"""Cursors of cursor-based paging (RFC 9865): opaque, tamper-evident tokens
naming where the next page starts.

A cursor holds a keyset position (:class:`core.query.Position`: the last
row's ``sortBy`` value and insertion ``seq``), the resource type that row
is of (a search over the service root spans types), and the second it was
issued. Its HMAC-SHA256 tag covers that and the *scope*: the tenant, the
endpoint and the query's filter, ``sortBy`` and ``sortOrder``. So a cursor
cannot be forged or edited, and a cursor of another query, endpoint or
tenant is refused as ``invalidCursor``, one older than the cursor timeout
as ``expiredCursor`` (RFC 9865 §2.1, §5.2: "Service providers should be
able to easily detect forged cursor values"). A cursor is text of RFC 3986
§2.3's unreserved characters only (base64url and ``.``; RFC 9865 §2).

Positions, not offsets: a page starts strictly after the row the previous
page ended with, so rows inserted or deleted meanwhile never make a later
page repeat or skip a row that existed throughout.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scimdock.core.errors import ExpiredCursor, InvalidCursor
from scimdock.core.query import Position, SortValue

#: Bytes of the HMAC-SHA256 tag kept (128 bits).
_TAG = 16
#: Longest cursor text read at all (a position holds one sort value).
MAX_LENGTH = 4096


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after ``position`` of a row of resource
    type ``rt`` (``None``: from the first row of ``rt``)."""

    rt: str
    position: Position | None
    issued: int


def scope(tenant: int, endpoint: str, *parts: str | None) -> bytes:
    """What a cursor is bound to: the tenant, the endpoint and the query's
    parameters other than ``cursor``, ``count`` and the projection, which
    RFC 9865 §2 requires "identical to the initial query"."""
    text = json.dumps([tenant, endpoint, *parts], ensure_ascii=True)
    return hashlib.sha256(text.encode()).digest()


def issue(cursor: Cursor, *, key: bytes, bound: bytes) -> str:
    """The cursor's text: base64url payload, ``.``, base64url tag."""
    p = cursor.position
    body = [cursor.rt, cursor.issued, None if p is None else [_dump(p.value), p.seq]]
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode()
    return f"{_b64(payload)}.{_b64(_tag(key, bound, payload))}"


def read(text: str, *, key: bytes, bound: bytes, now: float, timeout: int) -> Cursor:
    """The cursor ``text`` stands for, or a 400: ``invalidCursor`` for
    anything not issued by :func:`issue` with this key and scope (RFC 9865
    §2.1, §5.2), ``expiredCursor`` when it is older than ``timeout``
    seconds (the ``cursorTimeout`` of ServiceProviderConfig, RFC 9865 §4)."""
    invalid = InvalidCursor(
        "Invalid cursor: send an empty cursor for the first page, then the nextCursor of the"
        " previous page, with the same filter, sortBy and sortOrder",
    )
    if len(text) > MAX_LENGTH or text.count(".") != 1:
        raise invalid
    head, _, tail = text.partition(".")
    try:
        payload, tag = _unb64(head), _unb64(tail)
    except (ValueError, binascii.Error):
        raise invalid from None
    if not hmac.compare_digest(tag, _tag(key, bound, payload)):
        raise invalid
    try:
        rt, issued, where = json.loads(payload)
        position = None if where is None else Position(_load(where[0]), int(where[1]))
    except (ValueError, TypeError, IndexError):  # only a key leak could get here
        raise invalid from None
    if now - issued > timeout:
        raise ExpiredCursor(
            f"Expired cursor: pages must be asked for within {timeout} seconds of the previous;"
            " start again with an empty cursor"
        )
    return Cursor(str(rt), position, int(issued))


def _tag(key: bytes, bound: bytes, payload: bytes) -> bytes:
    return hmac.new(key, bound + payload, hashlib.sha256).digest()[:_TAG]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() and c.isascii() or c in "-_" for c in text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # unused low bits set: another text for the same bytes
        raise ValueError("not canonical base64url")
    return data


def _dump(value: SortValue) -> Any:
    """JSON for a sort value; a PostgreSQL ``numeric`` keeps its exact digits."""
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _load(value: Any) -> SortValue:
    if isinstance(value, dict):
        return Decimal(value["n"])
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("not a sort value")
