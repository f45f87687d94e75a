"""What a parsed request body may hold: values the service can keep and
send back, whichever JSON parser read it.

JSON's grammar admits values that no UTF-8 document can carry or that the
store cannot write, and Python's parser admits more than the grammar:

* a string (or member name) holding a lone surrogate escape such as
  ``"\\ud800"``: RFC 8259 §8.2 leaves its meaning unpredictable, and it is
  no Unicode text, so it can be neither stored as UTF-8 nor sent back;
* ``NaN``, ``Infinity`` and ``-Infinity``: not JSON at all (RFC 8259 §6);
* an integer beyond 64 bits (I-JSON, RFC 7493 §2.2, advises against any
  beyond what a double holds exactly; the store writes 64-bit integers);
* nesting deeper than the store's serializer writes (255 levels).

Each is a 400 (RFC 7644 §3.12): ``invalidSyntax`` for what is not JSON
text a SCIM message can be made of, ``invalidValue`` for a number out of
range. The check is orjson's serializer, the store's, run on the body (it
stops at exactly these values), plus a look for non-finite numbers,
which it would write as ``null``, only when its output holds a ``null``.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from scimdock.core.errors import InvalidSyntax, InvalidValue

#: The deepest nesting of arrays and objects a request body may have (``[]``
#: is 1), checked on the bytes before parsing (scimdock/front/limits.py). A SCIM
#: message needs fewer than ten; Python's parser and jsonschema's messages
#: recurse once per level, and the store's serializer writes at most 254.
MAX_DEPTH = 64
#: Also the answer to a body too deep for Python's own parser (handlers.errors).
TOO_DEEP = "Request body is nested too deeply"
#: What each of the serializer's refusals means, by the words of its message.
_REFUSALS: tuple[tuple[str, str, type[InvalidSyntax | InvalidValue]], ...] = (
    (
        "surrogates",
        "Request body is not valid JSON: a string holds a lone surrogate escape"
        " (\\ud800-\\udfff), which is not Unicode text",
        InvalidSyntax,
    ),
    ("64-bit", "Request body holds an integer beyond 64 bits", InvalidValue),
    ("Recursion", TOO_DEEP, InvalidSyntax),
)


def check(body: Any) -> None:
    """Raise :class:`ScimError` 400 when ``body`` holds a value above. The
    size limits (:func:`check_sizes`) are checked once, before routing
    (scimdock.front.limits), not again here."""
    try:
        written = orjson.dumps(body)
    except orjson.JSONEncodeError as exc:
        for words, detail, refusal in _REFUSALS:
            if words in str(exc):
                raise refusal(detail) from None
        raise InvalidValue(f"Request body cannot be kept: {exc}") from None
    # ``find``, not ``in``: ``bytes in bytes`` first tries the operand as an
    # integer and builds (then drops) a TypeError's message each time.
    if written.find(b"null") >= 0 and _not_finite(body):
        raise InvalidSyntax("Request body is not valid JSON: NaN and Infinity are not JSON numbers")


def _not_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_not_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_not_finite(v) for v in value)
    return False


def check_sizes(body: Any, max_string: int, max_values: int) -> None:
    """Raise :class:`InvalidValue` (400, RFC 7644 §3.12) when a
    string (a member name too) of ``body`` is longer than ``max_string``
    characters, or an array has more than ``max_values`` elements: the
    server's limits on one attribute value and on the values of a
    multi-valued attribute (docs/security.md, "Limits")."""
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if len(value) > max_string:
                raise InvalidValue(
                    f"A string of the request is longer than {max_string} characters"
                )
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            if len(value) > max_values:
                raise InvalidValue(f"An array of the request has more than {max_values} values")
            pending.extend(value)
