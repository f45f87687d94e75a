"""SCIM filters and paths (RFC 7644 §3.4.2.2, §3.5.2): parse, print,
resolve against a schema and evaluate in memory.

The SQL compiler for the store lives in :mod:`store.sqlfilter`.
"""

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
from scimdock.core.filter.evaluate import matches, matches_element
from scimdock.core.filter.parser import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    parse_attr_path,
    parse_filter,
    parse_path,
)
from scimdock.core.filter.printer import patch_path_string, path_string, to_string
from scimdock.core.filter.resolve import (
    attribute_of,
    normalize_datetime,
    resolve_attr_path,
    resolve_filter,
    resolve_path,
)

__all__ = [
    "COMPARE_OPS",
    "And",
    "AttrPath",
    "Compare",
    "Filter",
    "Literal",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "ValuePath",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "attribute_of",
    "matches",
    "matches_element",
    "normalize_datetime",
    "parse_attr_path",
    "parse_filter",
    "parse_path",
    "patch_path_string",
    "path_string",
    "resolve_attr_path",
    "resolve_filter",
    "resolve_path",
    "to_string",
]
