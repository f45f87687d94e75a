"""Recursive-descent parser for SCIM filters and PATCH paths
(RFC 7644 §3.4.2.2, §3.5.2).

Why hand-written: the grammar is tiny (a dozen productions), we want exact
error messages that name the 1-based character position of the problem,
hard bounds on input length and nesting so no input can exhaust the stack,
no third-party dependency in the protocol core, and speed (one pass over a
pre-tokenised list, no backtracking). lark (a general grammar engine) and
scim2-filter-parser (built on sly, tied to its own AST and SQL output) were
considered and rejected for those reasons.

Grammar (RFC 7644 §3.4.2.2 ABNF, with its precedence rule "grouping, not,
and, or" made explicit; ``and``/``or`` are left-associative)::

    FILTER    = orExp
    orExp     = andExp *("or" andExp)
    andExp    = unary *("and" unary)
    unary     = "not" "(" orExp ")" / "(" orExp ")" / attrExp
    attrExp   = attrPath ("pr" / compareOp compValue)
              / attrPath "[" orExp "]" ["." ATTRNAME ("pr" / compareOp compValue)]
    attrPath  = [URI ":"] ATTRNAME ["." ATTRNAME]
    PATH      = attrPath ["[" orExp "]" ["." ATTRNAME]]        ; §3.5.2

The trailing ``"." ATTRNAME ...`` after a value filter is Microsoft Entra's
non-standard ``emails[type eq "work"].value eq "x"``; it becomes
``ValuePath(emails, And(type eq "work", value eq "x"))``. Value filters do
not nest (RFC 7643 §2.3.8: sub-attributes are never complex).

Keywords, operators, ``true``/``false``/``null`` are case-insensitive;
operators are lower-cased in the tree, attribute names kept as written.
"""

from __future__ import annotations

import re

from scimdock.core.errors import ScimError, bad_request
from scimdock.core.filter.ast import (
    COMPARE_OPS,
    And,
    AttrPath,
    Compare,
    Filter,
    Literal,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
)
from scimdock.core.filter.lexer import Syntax, Token, describe, tokenize

#: Longest accepted filter or path, in characters.
MAX_FILTER_LENGTH = 4096
#: Deepest accepted nesting of parentheses, ``not (...)`` and ``[...]``.
MAX_DEPTH = 32

_OPERATORS = frozenset((*COMPARE_OPS, "pr"))
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*", re.ASCII)
_KEYWORD_VALUES: dict[str, Literal] = {"true": True, "false": False, "null": None}

FILTER = Syntax("filter", "invalidFilter")
PATH = Syntax("path", "invalidPath")


def parse_filter(text: str) -> Filter:
    """Parse a ``filter`` query parameter or SearchRequest member
    (RFC 7644 §3.4.2.2, §3.4.3); raise 400 ``invalidFilter`` if malformed."""
    parser = _Parser(text, FILTER)
    node = parser.or_expr(in_brackets=False)
    parser.expect_end("'and', 'or' or end of filter")
    return node


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH operation ``path`` (RFC 7644 §3.5.2): ``attrPath``,
    ``valuePath`` or ``valuePath.subAttr``; raise 400 ``invalidPath``."""
    parser = _Parser(text, PATH)
    path = parser.attr_path(parser.take_word("an attribute path"))
    node = PatchPath(path)
    if parser.peek().kind == "[":
        value_filter = parser.brackets()
        sub = parser.dot_name() if parser.peek().kind == "." else None
        node = PatchPath(path, value_filter, sub)
    parser.expect_end("'[' or end of path" if node.filter is None else "'.' or end of path")
    return node


def parse_attr_path(text: str) -> AttrPath:
    """Parse one ``attrPath`` (RFC 7644 §3.4.2.2) as used by ``attributes``,
    ``excludedAttributes`` and ``sortBy`` (§3.4.2.3, §3.9); raise 400
    ``invalidPath``."""
    parser = _Parser(text, PATH)
    path = parser.attr_path(parser.take_word("an attribute path"))
    parser.expect_end("end of attribute path")
    return path


class _Parser:
    """One parse: a token list, a cursor and the current nesting depth."""

    def __init__(self, text: object, syntax: Syntax) -> None:
        self.syntax = syntax
        if not isinstance(text, str):
            raise bad_request(syntax.scim_type, f"Invalid {syntax.what}: must be a string")
        if len(text) > MAX_FILTER_LENGTH:
            raise bad_request(
                syntax.scim_type,
                f"Invalid {syntax.what}: longer than {MAX_FILTER_LENGTH} characters",
            )
        self.tokens = tokenize(text, syntax)
        if self.tokens[0].kind == "end":
            raise bad_request(syntax.scim_type, f"Invalid {syntax.what}: empty")
        self.i = 0
        self.depth = 0

    # -- token access -----------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        if tok.kind != "end":
            self.i += 1
        return tok

    def error(self, message: str, tok: Token) -> ScimError:
        return self.syntax.error(message, tok.pos)

    def take_word(self, expected: str) -> Token:
        tok = self.next()
        if tok.kind != "word":
            raise self.error(f"expected {expected} but found {describe(tok)}", tok)
        return tok

    def expect(self, kind: str, expected: str) -> Token:
        tok = self.next()
        if tok.kind != kind:
            raise self.error(f"expected {expected} but found {describe(tok)}", tok)
        return tok

    def expect_end(self, expected: str) -> None:
        self.expect("end", expected)

    def is_keyword(self, tok: Token, word: str) -> bool:
        return tok.kind == "word" and tok.text.lower() == word

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels", tok)

    # -- grammar ------------------------------------------------------------
    def or_expr(self, in_brackets: bool) -> Filter:
        """``andExp *("or" andExp)``, left-associative."""
        node = self.and_expr(in_brackets)
        while self.is_keyword(self.peek(), "or"):
            self.next()
            node = Or(node, self.and_expr(in_brackets))
        return node

    def and_expr(self, in_brackets: bool) -> Filter:
        """``unary *("and" unary)``, left-associative."""
        node = self.unary(in_brackets)
        while self.is_keyword(self.peek(), "and"):
            self.next()
            node = And(node, self.unary(in_brackets))
        return node

    def unary(self, in_brackets: bool) -> Filter:
        """``"not" "(" FILTER ")"`` / ``"(" FILTER ")"`` / ``attrExp``."""
        tok = self.peek()
        if tok.kind == "(":
            return self.group(in_brackets)
        if self.is_keyword(tok, "not"):
            after = self.peek(1)
            if after.kind == "(":
                self.next()
                return Not(self.group(in_brackets, tok))
            used_as_name = after.kind == "[" or (
                after.kind == "word" and after.text.lower() in _OPERATORS
            )
            if not used_as_name:
                raise self.error(f"expected '(' after 'not' but found {describe(after)}", after)
        if tok.kind != "word":
            raise self.error(
                f"expected an attribute path, '(' or 'not' but found {describe(tok)}", tok
            )
        return self.attr_expr(in_brackets)

    def group(self, in_brackets: bool, opener: Token | None = None) -> Filter:
        """A parenthesised sub-filter; ``opener`` is the ``not`` if any."""
        paren = self.next()
        self.enter(opener or paren)
        node = self.or_expr(in_brackets)
        self.expect(")", "'and', 'or' or ')'")
        self.depth -= 1
        return node

    def brackets(self) -> Filter:
        """``"[" valFilter "]"``."""
        self.enter(self.next())
        node = self.or_expr(in_brackets=True)
        self.expect("]", "'and', 'or' or ']'")
        self.depth -= 1
        return node

    def attr_expr(self, in_brackets: bool) -> Filter:
        """``attrPath "pr"``, ``attrPath compareOp compValue`` or a value
        filter ``attrPath "[" valFilter "]"`` (plus Entra's ``.sub op v``)."""
        tok = self.next()
        path = self.attr_path(tok)
        if self.peek().kind != "[":
            return self.condition(path, tok)
        if in_brackets:
            raise self.error("value filters cannot be nested", self.peek())
        inner = self.brackets()
        if self.peek().kind != ".":
            return ValuePath(path, inner)
        name_tok = self.peek(1)
        sub = AttrPath(self.dot_name())
        return ValuePath(path, And(inner, self.condition(sub, name_tok)))

    def dot_name(self) -> str:
        """``"." ATTRNAME`` after a ``]``."""
        self.next()
        tok = self.take_word("a sub-attribute name after '.'")
        self.check_name(tok.text, tok.pos)
        return tok.text

    def condition(self, path: AttrPath, path_tok: Token) -> Filter:
        """``"pr"`` or ``compareOp compValue`` after an attribute path."""
        tok = self.next()
        op = tok.text.lower() if tok.kind == "word" else ""
        if op not in _OPERATORS:
            raise self.error(
                f"expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) "
                f"after {path_tok.text!r} but found {describe(tok)}",
                tok,
            )
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.value(tok))

    def value(self, op_tok: Token) -> Literal:
        """``compValue = false / null / true / number / string``."""
        tok = self.next()
        if tok.kind in ("string", "number"):
            return tok.value
        if tok.kind == "word" and tok.text.lower() in _KEYWORD_VALUES:
            return _KEYWORD_VALUES[tok.text.lower()]
        raise self.error(
            f"expected a value (a quoted string, number, true, false or null) "
            f"after {op_tok.text!r} but found {describe(tok)}",
            tok,
        )

    def attr_path(self, tok: Token) -> AttrPath:
        """Split a word into ``[URI ":"] ATTRNAME ["." subAttr]``: the URI
        ends at the last ``:`` (schema URNs contain dots, e.g. ``2.0``), the
        rest splits at ``.``."""
        text, pos = tok.text, tok.pos
        urn: str | None = None
        cut = text.rfind(":") + 1
        if cut:
            urn = text[: cut - 1]
            if not urn.lower().startswith("urn:") or len(urn) <= 4:
                raise self.syntax.error(f"invalid schema URI {urn!r} in {text!r}", pos)
        parts = text[cut:].split(".")
        offset = pos + cut
        for part in parts:
            self.check_name(part, offset)
            offset += len(part) + 1
        if len(parts) > 2:
            raise self.syntax.error(f"too many '.' in attribute path {text!r}", pos)
        return AttrPath(parts[0], parts[1] if len(parts) == 2 else None, urn)

    def check_name(self, name: str, pos: int) -> None:
        """``ATTRNAME = ALPHA *(nameChar)`` (RFC 7643 §2.1), or ``$ref``."""
        if not (_NAME.fullmatch(name) or name.lower() == "$ref"):
            raise self.syntax.error(f"invalid attribute name {name!r}", pos)
