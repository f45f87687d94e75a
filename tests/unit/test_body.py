"""scimdock.core.body: what a parsed request body may hold (RFC 8259,
RFC 7493), the same rule whichever parser read it; and where Python's own
parser gives up (handlers.errors), a 400 rather than a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scimdock.core.body import TOO_DEEP, check
from scimdock.core.errors import ScimError
from scimdock.handlers.errors import _unparsable


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "scim_type", "words"),
    [
        ({"userName": "\ud800"}, "invalidSyntax", "lone surrogate"),
        ({"\udfff": 1}, "invalidSyntax", "lone surrogate"),
        ([{"a": ["x\ud83d"]}], "invalidSyntax", "lone surrogate"),
        ({"x": float("nan")}, "invalidSyntax", "NaN"),
        ({"x": [1, {"y": float("-inf")}]}, "invalidSyntax", "NaN"),
        ({"x": 2**64}, "invalidValue", "64 bits"),
        ({"x": -(2**63) - 1}, "invalidValue", "64 bits"),
        ({"x": _nested(300)}, "invalidSyntax", "nested too deeply"),
    ],
)
def test_what_no_scim_message_can_hold_is_a_400(body: Any, scim_type: str, words: str) -> None:
    with pytest.raises(ScimError) as raised:
        check(body)
    assert (raised.value.status, raised.value.scim_type) == (400, scim_type)
    assert words in raised.value.detail


@pytest.mark.parametrize(
    "body",
    [
        {"userName": "caf\u00e9 \U0001f600", "active": True, "x": None, "n": [0, -0.0, 1.5e300]},
        {"x": 2**64 - 1, "y": -(2**63)},
        {"x": _nested(200)},
        [],
        {},
    ],
)
def test_what_json_and_the_store_can_carry_passes(body: Any) -> None:
    check(body)


def _error_of(text: str) -> BaseException:
    try:
        json.loads(text)
    except (RecursionError, ValueError) as exc:
        return exc
    raise AssertionError("parsed")


def test_where_pythons_parser_gives_up_is_a_400_and_only_there() -> None:
    deep = _unparsable(_error_of("[" * 100_000 + "]" * 100_000))  # type: ignore[arg-type]
    assert deep is not None and (deep.status, deep.scim_type, deep.detail) == (
        400,
        "invalidSyntax",
        TOO_DEEP,
    )
    digits = _unparsable(_error_of("9" * 5000))  # type: ignore[arg-type]
    assert digits is not None and (digits.status, digits.scim_type) == (400, "invalidSyntax")
    assert _unparsable(_error_of("{")) is None  # Connexion's 400 already
    assert _unparsable(ValueError("elsewhere")) is None
    try:
        int("9" * 5000)
    except ValueError as exc:
        assert _unparsable(exc) is None  # not in the parser: a bug, a 500
