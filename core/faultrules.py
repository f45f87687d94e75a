"""Fault rules of the mock (docs/mock.md, "Faults"): what to do to which
SCIM requests, and when. Pure: no I/O; the ASGI layer (scimdock.journal)
carries the action out.

A rule is one JSON object, the same on the command line (``--fault``), in
a file (``--faults``) and in the admin API (``/tenants/{t}/faults``)::

    {"method": "GET", "path": "/Users*", "status": 429, "retryAfter": 2, "times": 1}

It matches a request by method (any when left out) and by a glob of the
path under the SCIM base URL (``fnmatch``: ``*`` also crosses ``/``). Its
action: ``status`` (answered at once with a SCIM Error, RFC 7644 §3.12,
and ``Retry-After`` seconds when ``retryAfter`` is given, RFC 9110
§10.2.3), ``drop`` (``reset``: the connection is reset; ``empty``: closed
with no answer), ``malformed`` (``body``: the real answer cut in half;
``chunk``: a chunked answer whose chunk size is not hexadecimal, RFC 9112
§7.1), any of them after ``latencyMs`` milliseconds, or only the delay.
Its trigger: every ``nth`` matching request, with ``probability``, at
most ``times`` times.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs pinned

from scimdock.core.schema_text import describe

#: The JSON Schema of one rule (docs/mock.md; openapi/admin.yaml ``FaultRule``).
RULE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "scimdock fault rule",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "method": {"type": "string", "pattern": "^[A-Za-z]{1,16}$"},
        "path": {"type": "string", "minLength": 1, "maxLength": 1024},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "retryAfter": {"type": "integer", "minimum": 0, "maximum": 86400},
        "latencyMs": {"type": "integer", "minimum": 0, "maximum": 60000},
        "drop": {"type": "string", "enum": ["reset", "empty"]},
        "malformed": {"type": "string", "enum": ["body", "chunk"]},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "nth": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "times": {"type": "integer", "minimum": 1, "maximum": 1000000},
    },
    "anyOf": [
        {"required": ["status"]},
        {"required": ["latencyMs"]},
        {"required": ["drop"]},
        {"required": ["malformed"]},
    ],
    "not": {
        "anyOf": [
            {"required": ["status", "drop"]},
            {"required": ["status", "malformed"]},
            {"required": ["drop", "malformed"]},
            {"required": ["retryAfter"], "not": {"required": ["status"]}},
        ]
    },
}
#: Most rules a tenant may hold at once.
MAX_RULES = 100
_VALIDATOR = Draft202012Validator(RULE_SCHEMA)


class RuleError(ValueError):
    """A rule that breaks :data:`RULE_SCHEMA`; the message says where."""


@dataclass
class FaultRule:
    """One validated rule and its counters (matching requests seen, faults done)."""

    spec: dict[str, Any]
    matched: int = field(default=0)
    fired: int = field(default=0)

    @property
    def method(self) -> str | None:
        method = self.spec.get("method")
        return None if method is None else str(method).upper()

    def matches(self, method: str, path: str) -> bool:
        """Same method (any when the rule names none) and the path glob."""
        if self.method is not None and self.method != method.upper():
            return False
        return fnmatch.fnmatchcase(path, str(self.spec.get("path", "*")))

    def trigger(self, draw: float) -> bool:
        """Count one matching request; whether the fault happens to it.
        ``draw`` is a number in [0, 1) (the caller's randomness)."""
        self.matched += 1
        times = self.spec.get("times")
        if times is not None and self.fired >= times:
            return False
        nth = self.spec.get("nth")
        if nth is not None and self.matched % nth:
            return False
        probability = self.spec.get("probability")
        if probability is not None and draw >= probability:
            return False
        self.fired += 1
        return True

    def view(self) -> dict[str, Any]:
        """As the admin API lists it: the rule and its counters."""
        return {"rule": self.spec, "matched": self.matched, "fired": self.fired}


def parse_rule(value: Any) -> FaultRule:
    """A :class:`FaultRule` of ``value``, or :class:`RuleError`."""
    errors = sorted(_VALIDATOR.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        reason = describe(first, "the rule")
        if first.validator in ("anyOf", "not") and not first.absolute_path:
            reason = (
                "give one action: status, drop or malformed (latencyMs may go with any),"
                " or latencyMs alone; retryAfter goes with status"
            )
        raise RuleError(f"fault rule: {reason}")
    return FaultRule(dict(value))


def parse_rules(values: Any) -> list[FaultRule]:
    """Rules of a JSON array; :class:`RuleError` naming the first bad one."""
    if not isinstance(values, list):
        raise RuleError("fault rules: expected a JSON array of rules")
    if len(values) > MAX_RULES:
        raise RuleError(f"fault rules: at most {MAX_RULES} rules")
    rules = []
    for index, value in enumerate(values):
        try:
            rules.append(parse_rule(value))
        except RuleError as exc:
            raise RuleError(f"rule {index}: {exc}") from None
    return rules


def first_fault(rules: list[FaultRule], method: str, path: str, draw: float) -> FaultRule | None:
    """The first matching rule that triggers; every matching rule before
    it is counted too (in order, as given)."""
    for rule in rules:
        if rule.matches(method, path) and rule.trigger(draw):
            return rule
    return None
