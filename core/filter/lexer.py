"""Tokens of the SCIM filter and PATCH path languages (RFC 7644 §3.4.2.2,
§3.5.2).

Token kinds:

* ``word`` — a run of ``ALPHA / DIGIT / "-" / "_" / "." / ":" / "$"``
  starting with a letter or ``$``: an attribute path (possibly
  URN-qualified), an operator or a keyword. The parser decides which from
  context, so an attribute named like a keyword still parses.
* ``string`` — a JSON string (RFC 8259 §7), value decoded.
* ``number`` — a JSON number (RFC 8259 §6): ``int`` without fraction or
  exponent, else a finite ``float``.
* ``(`` ``)`` ``[`` ``]`` ``.`` — punctuation; ``end`` closes every stream.

Whitespace (space, tab, CR, LF) separates tokens. RFC 7644 asks for a single
SP; we accept any run, and none next to punctuation or a string.

Strings may not contain raw control characters (RFC 8259 §7), unpaired
surrogates (they cannot be stored as UTF-8) or U+0000 (SQLite's text
functions stop at NUL, so the SQL and the in-memory evaluator would
disagree).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from scimdock.core.errors import ScimError, bad_request

TokenValue = str | int | float | None

_WS = frozenset(" \t\r\n")
_ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_WORD_START = _ALPHA | {"$"}
_WORD_CHARS = _ALPHA | _DIGITS | frozenset("-_.:$")
_NUMBER_CHARS = _WORD_CHARS | frozenset("+")
_PUNCT = frozenset("()[].")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)
_PLAIN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]+')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind``, its source ``text``, decoded ``value`` and the
    0-based offset ``pos`` of its first character."""

    kind: str
    text: str
    value: TokenValue
    pos: int


class Syntax:
    """How errors are reported for one input: ``what`` names the language
    in messages ("filter", "path") and ``scim_type`` is the RFC 7644 §3.12
    error type (``invalidFilter`` or ``invalidPath``)."""

    def __init__(self, what: str, scim_type: str) -> None:
        self.what = what
        self.scim_type = scim_type

    def error(self, message: str, pos: int) -> ScimError:
        """A 400 naming the 1-based character position of the problem."""
        return bad_request(self.scim_type, f"Invalid {self.what}: {message} at position {pos + 1}")


def describe(tok: Token) -> str:
    """A token as quoted in error messages."""
    return "end of input" if tok.kind == "end" else repr(tok.text)


def tokenize(text: str, syntax: Syntax) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WS:
            i += 1
        elif ch in _PUNCT:
            tokens.append(Token(ch, ch, None, i))
            i += 1
        elif ch == '"':
            value, end = _string(text, i, syntax)
            tokens.append(Token("string", text[i:end], value, i))
            i = end
        elif ch in _WORD_START:
            j = i + 1
            while j < n and text[j] in _WORD_CHARS:
                j += 1
            tokens.append(Token("word", text[i:j], None, i))
            i = j
        elif ch == "-" or ch in _DIGITS:
            j = i + 1
            while j < n and text[j] in _NUMBER_CHARS:
                j += 1
            tokens.append(_number(text[i:j], i, syntax))
            i = j
        else:
            raise syntax.error(f"unexpected character {ch!r}", i)
    tokens.append(Token("end", "", None, n))
    return tokens


def _number(raw: str, pos: int, syntax: Syntax) -> Token:
    """A JSON number (RFC 8259 §6); non-finite results are rejected."""
    if not _NUMBER.fullmatch(raw):
        raise syntax.error(f"malformed number {raw!r}", pos)
    value: int | float
    try:
        if any(c in raw for c in ".eE"):
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
        else:
            value = int(raw)
    except ValueError:
        raise syntax.error(f"number {raw!r} is out of range", pos) from None
    return Token("number", raw, value, pos)


def _string(text: str, start: int, syntax: Syntax) -> tuple[str, int]:
    """Decode the JSON string opening at ``start``; return (value, end)."""
    out: list[str] = []
    i, n = start + 1, len(text)
    while True:
        plain = _PLAIN.match(text, i)
        if plain:
            out.append(plain.group())
            i = plain.end()
        if i >= n:
            raise syntax.error("unterminated string", start)
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch != "\\":
            what = "control character" if ch < " " else "unpaired surrogate"
            raise syntax.error(f"{what} {ch!r} in string", i)
        if i + 1 >= n:
            raise syntax.error("unterminated string", start)
        esc = text[i + 1]
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
            i += 2
        elif esc == "u":
            code, i = _unicode_escape(text, i, syntax)
            out.append(code)
        else:
            raise syntax.error(f"invalid escape '\\{esc}' in string", i)


def _hex4(text: str, i: int, syntax: Syntax) -> int:
    """The four hex digits of a ``\\uXXXX`` escape starting at ``i``."""
    digits = text[i + 2 : i + 6]
    if len(digits) != 4 or not all(c in _HEX for c in digits):
        raise syntax.error("invalid \\u escape in string", i)
    return int(digits, 16)


def _unicode_escape(text: str, i: int, syntax: Syntax) -> tuple[str, int]:
    """Decode ``\\uXXXX`` (joining a UTF-16 surrogate pair, RFC 8259 §7)."""
    code = _hex4(text, i, syntax)
    if 0xDC00 <= code <= 0xDFFF:
        raise syntax.error("unpaired surrogate escape in string", i)
    if 0xD800 <= code <= 0xDBFF:
        if text[i + 6 : i + 8] != "\\u":
            raise syntax.error("unpaired surrogate escape in string", i)
        low = _hex4(text, i + 6, syntax)
        if not 0xDC00 <= low <= 0xDFFF:
            raise syntax.error("unpaired surrogate escape in string", i)
        return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), i + 12
    if code == 0:
        raise syntax.error("U+0000 is not allowed in string", i)
    return chr(code), i + 6
