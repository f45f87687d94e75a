"""Fault rules and stubs of the mock (docs/mock.md, "Faults and stubs"):
what to do to which SCIM requests, and when. Pure: no I/O; the ASGI layer
(scimdock.mock.journal, scimdock.mock.faults) carries the action out.

A rule is one JSON object, the same on the command line (``--fault``), in
a file (``--faults``) and in the admin API (``/tenants/{t}/faults``)::

    {"method": "POST", "path": "/Users", "drop": "reset", "when": "after", "times": 1}

Match: ``method`` and ``path`` (a glob of the path under the SCIM base
URL), and ``match``, a whole request matcher (scimdock.mock.rules.matcher). Action, one
of: ``status`` (a SCIM Error, RFC 7644 §3.12, with ``scimType``,
``detail`` and ``Retry-After`` seconds, RFC 9110 §10.2.3), ``respond``
(a stub: a chosen status, ``scimType``, ``detail``, ``headers`` and
``body``), ``drop`` (``reset``, ``empty``, or ``timeout``: no answer until
the client gives up), ``malformed`` (``body`` cut in half; ``chunk``: a
chunk size that is not hexadecimal, RFC 9112 §7.1), ``latencyMs`` alone
or before any of them, or ``sequence``, one action per firing (``{}``:
let the request through), then through. ``when``: ``before`` (the server
never sees the request) or ``after`` (the server carries it out, a write
is committed, and then the fault hits its answer). Trigger: every
``nth`` matching request, with ``probability``, at most ``times`` times.
Scenario (as WireMock's): a rule with ``scenario`` acts only while that
scenario is in ``requiredScenarioState`` (every scenario starts in
``Started``), and moves it to ``newScenarioState`` when it fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs pinned

from scimdock.core.errors import SCIM_TYPES
from scimdock.core.schema_text import describe
from scimdock.mock.rules.matcher import REQUEST_FIELDS, bad_pattern, why_not

#: The state every scenario starts in (WireMock's name for it).
STARTED = "Started"
#: Most rules a tenant may hold at once.
MAX_RULES = 100
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_ERROR_FIELDS: dict[str, Any] = {
    "status": {"type": "integer", "minimum": 400, "maximum": 599},
    "scimType": {"type": "string", "enum": sorted(SCIM_TYPES)},
    "detail": {"type": "string", "maxLength": 2000},
}
_ACTION_FIELDS: dict[str, Any] = {
    **_ERROR_FIELDS,
    "retryAfter": {"type": "integer", "minimum": 0, "maximum": 86400},
    "respond": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {
            **_ERROR_FIELDS,
            "status": {"type": "integer", "minimum": 200, "maximum": 599},
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 8192},
            },
            "body": {},
        },
    },
    "latencyMs": {"type": "integer", "minimum": 0, "maximum": 60000},
    "drop": {"type": "string", "enum": ["reset", "empty", "timeout"]},
    "malformed": {"type": "string", "enum": ["body", "chunk"]},
    "when": {"type": "string", "enum": ["before", "after"]},
}
#: The JSON Schema of one rule (docs/mock.md; openapi/admin.yaml ``FaultRule``).
RULE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "scimdock fault rule",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "method": REQUEST_FIELDS["method"],
        "path": REQUEST_FIELDS["path"],
        "match": {"type": "object", "additionalProperties": False, "properties": REQUEST_FIELDS},
        **_ACTION_FIELDS,
        "sequence": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": _ACTION_FIELDS,
            },
        },
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "nth": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "times": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "scenario": _NAME,
        "requiredScenarioState": _NAME,
        "newScenarioState": _NAME,
    },
}
_VALIDATOR = Draft202012Validator(RULE_SCHEMA)
#: The actions of which a rule (or a step of its sequence) takes one.
ACTIONS = ("status", "respond", "drop", "malformed", "sequence")


class RuleError(ValueError):
    """A rule that breaks :data:`RULE_SCHEMA`; the message says where."""


@dataclass
class FaultRule:
    """One validated rule and its counters (matching requests seen, faults done)."""

    spec: dict[str, Any]
    matched: int = field(default=0)
    fired: int = field(default=0)

    @property
    def matcher(self) -> dict[str, Any]:
        """The rule's request matcher: ``match`` with ``method`` and ``path``."""
        short = {k: self.spec[k] for k in ("method", "path") if k in self.spec}
        return {**(self.spec.get("match") or {}), **short}

    def matches(self, request: dict[str, Any], states: dict[str, str]) -> bool:
        """The request matches, and the rule's scenario is in the state it needs."""
        scenario = self.spec.get("scenario")
        if scenario is not None and "requiredScenarioState" in self.spec:
            if states.get(scenario, STARTED) != self.spec["requiredScenarioState"]:
                return False
        return not why_not(request, self.matcher)

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

    def action(self) -> dict[str, Any]:
        """What the latest firing does: the rule's action, or the step of its
        ``sequence`` (``{}`` past its end: the request goes through)."""
        steps = self.spec.get("sequence")
        if steps is None:
            return {k: v for k, v in self.spec.items() if k in _ACTION_FIELDS}
        step = self.fired - 1
        return {**steps[step], "step": step} if step < len(steps) else {}

    def view(self) -> dict[str, Any]:
        """As the admin API lists it: the rule and its counters."""
        return {"rule": self.spec, "matched": self.matched, "fired": self.fired}


def parse_rule(value: Any) -> FaultRule:
    """A :class:`FaultRule` of ``value``, or :class:`RuleError`."""
    errors = sorted(_VALIDATOR.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        raise RuleError(f"fault rule: {describe(errors[0], 'the rule')}")
    problem = _action_problem(value, "the rule")
    for index, step in enumerate(value.get("sequence") or ()):
        problem = problem or _action_problem(step, f"sequence[{index}]", step=True)
    problem = problem or bad_pattern(value.get("match") or {})
    if "requiredScenarioState" in value or "newScenarioState" in value:
        if "scenario" not in value:
            problem = problem or "a scenario state goes with scenario, the scenario's name"
    if problem:
        raise RuleError(f"fault rule: {problem}")
    return FaultRule(dict(value))


def _action_problem(value: dict[str, Any], where: str, *, step: bool = False) -> str | None:
    """One action at most (``latencyMs`` with any), and what goes with it."""
    given = [a for a in ACTIONS if a in value]
    if len(given) > 1:
        return f"{where} has two actions ({' and '.join(given)}); give one"
    alone_ok = step or "newScenarioState" in value or "latencyMs" in value
    if not given and not alone_ok:
        return (
            f"{where} has no action: give status, respond, drop, malformed or sequence"
            " (latencyMs may go with any, or alone)"
        )
    if "status" not in value and any(k in value for k in ("retryAfter", "scimType", "detail")):
        return f"{where}: retryAfter, scimType and detail go with status"
    if "sequence" in value and any(k in value for k in ("latencyMs", "when")):
        return f"{where}: latencyMs and when go in each step of the sequence"
    return None


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


def first_fault(
    rules: list[FaultRule], request: dict[str, Any], draw: float, states: dict[str, str]
) -> tuple[FaultRule, dict[str, Any]] | None:
    """The first matching rule that triggers and its action; every matching
    rule before it is counted too (in order, as given). ``states``: the
    tenant's scenario states, moved on by the rule that fires."""
    for rule in rules:
        if rule.matches(request, states) and rule.trigger(draw):
            if "newScenarioState" in rule.spec:
                states[rule.spec["scenario"]] = rule.spec["newScenarioState"]
            return rule, rule.action()
    return None
