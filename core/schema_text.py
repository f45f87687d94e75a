"""A JSON Schema validation error as one sentence that names the field
and says what was expected: ``Field 'filter' must be one of "all", "eq"
or "none", not "x".`` rather than jsonschema's ``'x' is not one of
['all', 'eq', 'none']``, which quotes Python's repr and leaves the field
to a suffix.

For the admin API's validation errors (handlers.errors) and the mock's
fault rules and seed data (scimdock.mock.rules.faultrules, scimdock.mock.rules.seedfile). Pure: the
error is read through the attributes jsonschema's ``ValidationError``
has (``validator``, ``validator_value``, ``instance``, ``schema``,
``absolute_path``, ``context``), so this module imports nothing of it.
The keywords are JSON Schema's (draft 2020-12, "Validation", §6; OpenAPI
3.0's schemas use the same words).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

#: Longest JSON shown of a refused value (it may be as long as the request).
SHOWN_MAX = 60
_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def field_name(path: Iterable[Any]) -> str:
    """``groups[0].displayName`` of the path ``["groups", 0, "displayName"]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def sentence(error: Any, whole: str = "the body") -> str:
    """One sentence, capitalised and ending with a full stop; ``whole``:
    what the document is called when the error is about all of it."""
    text = describe(error, whole)
    return text[:1].upper() + text[1:] + "."


def describe(error: Any, whole: str = "the body") -> str:
    """The sentence of :func:`sentence`, lower-case, without the full stop."""
    error = _deepest(error)
    path = list(error.absolute_path)
    where = f"field '{field_name(path)}'" if path else whole
    keyword, value, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        missing = next((k for k in value if k not in instance), value[0] if value else "?")
        return f"field '{field_name([*path, missing])}' is required"
    if keyword == "additionalProperties":
        known = list((error.schema or {}).get("properties") or ())
        extra = sorted(k for k in instance if k not in known) if isinstance(instance, dict) else []
        name = extra[0] if extra else "?"
        fields = f" (the fields are {_listed(known)})" if known else ""
        return f"{where} has a field '{name}' that it does not take{fields}"
    expected = _expected(keyword, value)
    if expected is None:
        return f"{where} is not valid ({error.message})"
    return f"{where} must be {expected}, not {shown(instance)}"


def shown(value: Any) -> str:
    """``value`` as JSON, cut to :data:`SHOWN_MAX` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # a circular value: not from a parsed body
        text = repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "\u2026"


def _expected(keyword: str, value: Any) -> str | None:
    """What the keyword asks for, as the end of "must be ..."."""
    if keyword == "type":
        names = [value] if isinstance(value, str) else list(value)
        return _listed([_TYPES.get(n, n) for n in names], last="or")
    if keyword == "enum":
        return f"one of {_listed([shown(v) for v in value], last='or')}"
    if keyword == "const":
        return shown(value)
    bounds = {
        "minimum": "at least {}",
        "maximum": "at most {}",
        "exclusiveMinimum": "more than {}",
        "exclusiveMaximum": "less than {}",
        "minLength": "at least {} characters long",
        "maxLength": "at most {} characters long",
        "minItems": "a list of at least {} items",
        "maxItems": "a list of at most {} items",
        "minProperties": "an object of at least {} fields",
        "maxProperties": "an object of at most {} fields",
        "pattern": "text matching the pattern {}",
        "format": "a valid {}",
        "multipleOf": "a multiple of {}",
    }
    if keyword in bounds:
        return bounds[keyword].format(value)
    if keyword == "uniqueItems" and value:
        return "a list without repeated items"
    return None


def _deepest(error: Any) -> Any:
    """For ``anyOf``/``oneOf``, the alternative that came closest (its
    deepest error, as jsonschema's ``best_match`` picks), when there is one."""
    context: Sequence[Any] = getattr(error, "context", None) or ()
    if error.validator in ("anyOf", "oneOf") and context:
        deepest = max(context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _deepest(deepest)
    return error


def _listed(items: Sequence[str], last: str = "and") -> str:
    """``a, b and c`` (or ``last``)."""
    names = list(items)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {last} {names[-1]}"
