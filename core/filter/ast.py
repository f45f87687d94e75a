"""Syntax tree of SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2).

The parser produces these nodes with attribute names exactly as written;
:func:`core.filter.resolve.resolve_filter` turns them into nodes whose
:class:`AttrPath` carry canonical names and the schema URN they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Comparison operators of RFC 7644 §3.4.2.2, lower-case.
COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")

Literal = str | int | float | bool | None


@dataclass(frozen=True)
class AttrPath:
    """``[URI ":"] ATTRNAME ["." subAttr]``.

    ``urn`` is ``None`` when the path was written without a schema URI; once
    resolved it names the schema the attribute belongs to.
    """

    attr: str
    sub: str | None = None
    urn: str | None = None


@dataclass(frozen=True)
class Compare:
    """``attrPath compareOp compValue``."""

    path: AttrPath
    op: str
    value: Literal


@dataclass(frozen=True)
class Present:
    """``attrPath pr``."""

    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    expr: Filter


@dataclass(frozen=True)
class ValuePath:
    """``attrPath "[" valFilter "]"``: some element of a multi-valued
    attribute satisfies ``filter``; inside it, paths are relative to the
    element (``type``, ``value``)."""

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path`` (RFC 7644 §3.5.2): ``attrPath`` or
    ``valuePath ["." subAttr]``.

    ``emails[type eq "work"].value`` is ``PatchPath(AttrPath("emails"),
    <type eq "work">, "value")``; ``name.givenName`` is
    ``PatchPath(AttrPath("name", "givenName"))``.
    """

    path: AttrPath
    filter: Filter | None = None
    sub: str | None = None


def left_spine(node: Filter, kind: type[And] | type[Or]) -> list[Filter]:
    """Operands of a left-leaning chain ``((a op b) op c) op d`` of one
    operator, as ``[a, b, c, d]``, walked without recursion.

    The parser builds ``and``/``or`` chains left-associatively (RFC 7644
    §3.4.2.2), so a long filter is a deep left spine; shape-preserving
    walkers (printer, resolver) rebuild it from this list.
    """
    rights: list[Filter] = []
    while isinstance(node, kind):
        rights.append(node.right)
        node = node.left
    rights.append(node)
    rights.reverse()
    return rights


def flatten(node: Filter, kind: type[And] | type[Or]) -> list[Filter]:
    """All operands of a nest of one associative operator, in order, with
    both sides flattened (``a and (b and c)`` gives ``[a, b, c]``)."""
    out: list[Filter] = []
    stack: list[Filter] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, kind):
            stack.append(item.right)
            stack.append(item.left)
        else:
            out.append(item)
    return out
