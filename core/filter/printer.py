"""Canonical text of a filter tree (RFC 7644 §3.4.2.2).

``to_string`` writes lower-case operators and keywords, single spaces,
``not (...)``, attribute paths as stored in the tree (``urn:...:attr.sub``
when a URN is set) and literals as JSON (RFC 8259). It adds exactly the
parentheses the grammar needs to rebuild the same tree: an ``or`` inside an
``and``, and any ``and``/``or`` on the right of an operator of its own kind
(the parser is left-associative). So ``parse_filter(to_string(t)) == t``
for every tree the parser can produce.
"""

from __future__ import annotations

import json
import math
import re

from scimdock.core.filter.ast import (
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
    left_spine,
)

_SURROGATE = re.compile("[\ud800-\udfff]")


def to_string(node: Filter) -> str:
    """The filter as RFC 7644 §3.4.2.2 text."""
    if isinstance(node, (And, Or)):
        word = " and " if isinstance(node, And) else " or "
        operands = left_spine(node, type(node))
        parts = [_operand(operands[0], node, first=True)]
        parts.extend(_operand(o, node, first=False) for o in operands[1:])
        return word.join(parts)
    if isinstance(node, Not):
        return f"not ({to_string(node.expr)})"
    if isinstance(node, Present):
        return f"{path_string(node.path)} pr"
    if isinstance(node, Compare):
        return f"{path_string(node.path)} {node.op} {literal_string(node.value)}"
    if isinstance(node, ValuePath):
        return f"{path_string(node.path)}[{to_string(node.filter)}]"
    raise TypeError(f"not a filter node: {node!r}")


def _operand(child: Filter, parent: And | Or, *, first: bool) -> str:
    """An operand of ``parent``, parenthesised when precedence or
    left-associativity requires it."""
    text = to_string(child)
    if isinstance(parent, And) and isinstance(child, Or):
        return f"({text})"
    if not first and isinstance(child, type(parent)):
        return f"({text})"
    return text


def path_string(path: AttrPath) -> str:
    """``[URI ":"] ATTRNAME ["." subAttr]``."""
    text = f"{path.attr}.{path.sub}" if path.sub is not None else path.attr
    return f"{path.urn}:{text}" if path.urn is not None else text


def patch_path_string(path: PatchPath) -> str:
    """A PATCH path (RFC 7644 §3.5.2) as text."""
    text = path_string(path.path)
    if path.filter is not None:
        text += f"[{to_string(path.filter)}]"
    if path.sub is not None:
        text += f".{path.sub}"
    return text


def literal_string(value: Literal) -> str:
    """``compValue`` as JSON: strings escaped, booleans and null in lower
    case; non-finite floats have no JSON form and are refused."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON representation")
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    raise TypeError(f"not a filter literal: {value!r}")
