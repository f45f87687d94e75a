"""core.cursor: RFC 9865 cursors are opaque, URL-safe, tamper-evident and
bound to their scope; expired ones are told apart from invalid ones."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest

from scimdock.core import cursor
from scimdock.core.errors import ScimError
from scimdock.core.query import Position, SortValue

KEY = b"0123456789abcdef0123456789abcdef"
SCOPE = cursor.scope(7, "/Users", "active eq true", "title", "ascending")
UNRESERVED = set(string.ascii_letters + string.digits + "-._~")  # RFC 3986 §2.3


def _scim_type(text: str, *, key: bytes = KEY, bound: bytes = SCOPE, now: float = 100) -> str:
    with pytest.raises(ScimError) as caught:
        cursor.read(text, key=key, bound=bound, now=now, timeout=60)
    assert caught.value.status == 400
    return str(caught.value.scim_type)


@pytest.mark.parametrize(
    "value", [None, "", 'ünïcode "quoted" .', 0, -3, 2**62, 1.5, True, False, Decimal("12.50")]
)
def test_every_sort_value_makes_the_round_trip(value: SortValue) -> None:
    made = cursor.Cursor("User", Position(value, 41), 90)
    text = cursor.issue(made, key=KEY, bound=SCOPE)
    assert set(text) <= UNRESERVED
    back = cursor.read(text, key=KEY, bound=SCOPE, now=100, timeout=60)
    assert back == made
    assert back.position is not None and type(back.position.value) is type(value)


def test_a_start_cursor_has_no_position() -> None:
    text = cursor.issue(cursor.Cursor("Group", None, 100), key=KEY, bound=SCOPE)
    assert cursor.read(text, key=KEY, bound=SCOPE, now=100, timeout=60).position is None


def test_another_key_scope_or_any_edit_is_invalid() -> None:
    text = cursor.issue(cursor.Cursor("User", Position("b", 3), 90), key=KEY, bound=SCOPE)
    assert _scim_type(text, key=b"another key") == "invalidCursor"
    for other in [
        cursor.scope(8, "/Users", "active eq true", "title", "ascending"),  # tenant
        cursor.scope(7, "/Groups", "active eq true", "title", "ascending"),  # endpoint
        cursor.scope(7, "/Users", None, "title", "ascending"),  # filter
        cursor.scope(7, "/Users", "active eq true", "title", "descending"),  # order
    ]:
        assert _scim_type(text, bound=other) == "invalidCursor"
    for i in range(len(text)):
        for c in "A_.":
            if text[i] != c:
                edited = text[:i] + c + text[i + 1 :]
                assert _scim_type(edited) == "invalidCursor", edited
    for junk in ["", ".", "abc", "a.b.c", "é.é", "x" * 5000, text + "=", " " + text]:
        assert _scim_type(junk) == "invalidCursor"


def test_an_old_cursor_is_expired_not_invalid() -> None:
    text = cursor.issue(cursor.Cursor("User", Position(1, 1), 10), key=KEY, bound=SCOPE)
    assert cursor.read(text, key=KEY, bound=SCOPE, now=70, timeout=60).issued == 10
    assert _scim_type(text, now=71) == "expiredCursor"


def test_only_the_issued_text_is_accepted_not_another_spelling_of_its_bytes() -> None:
    """The last base64url character may carry unused bits: a text that
    differs only there decodes to the same bytes, and is still refused."""
    for n in range(1, 7):
        made = cursor.Cursor("User", Position("x" * n, n), 90)
        text = cursor.issue(made, key=KEY, bound=SCOPE)
        payload, tag = text.split(".")
        for c in string.ascii_letters + string.digits + "-_":
            if c != payload[-1]:
                assert _scim_type(f"{payload[:-1]}{c}.{tag}") == "invalidCursor"
            if c != tag[-1]:
                assert _scim_type(f"{payload}.{tag[:-1]}{c}") == "invalidCursor"
