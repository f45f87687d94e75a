"""What a SCIM body means, for the mock's matcher (scimdock.mock.rules.matcher): a
PatchOp's operations (RFC 7644 §3.5.2) and a resource's attributes
compared by meaning, not as text. ``op`` and attribute names compare
without case (RFC 7643 §2.1); an operation without ``path`` whose value
is an object stands for one operation per attribute (RFC 7644 §3.5.2.3);
values compare as JSON, a boolean also equal to its name as a string in
any case (``"False"``, sent by some identity providers:
docs/compatibility.md), an expected object or list a subset of the sent
one. Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any


def show(value: Any) -> str:
    """A value as JSON, as a reader of the wire would write it."""
    return json.dumps(value, ensure_ascii=False)


def patch_reasons(body: Any, expected: list[dict[str, Any]]) -> list[str]:
    ops = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(ops, list):
        return ["the body is not a PatchOp (no Operations)"]
    sent = [t for op in ops if isinstance(op, dict) for t in _triples(op)]
    reasons = []
    for want in expected:
        wanted = _triples(want)
        if not all(any(_same_op(w, s) for s in sent) for w in wanted):
            near = [s for s in sent if s[0] == wanted[0][0] and s[1] == wanted[0][1]]
            shown = near and near[0][2] is not _ANY
            sent_value = f" (it sets {show(near[0][2])})" if shown else ""
            reasons.append(f"the PatchOp has no operation {op_text(want)}{sent_value}")
    return reasons


def op_text(op: dict[str, Any]) -> str:
    text = str(op.get("op", "")).lower() + (f" {op['path']}" if "path" in op else "")
    return text + (f" = {show(op['value'])}" if "value" in op else "")


def _triples(op: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """``(op, path, value)`` with the op and path in lower case; a pathless
    operation on an object, one per attribute (RFC 7644 §3.5.2.3)."""
    name = str(op.get("op", "")).lower()
    value = op.get("value", _ANY) if "value" in op else _ANY
    path = op.get("path")
    if path is None and isinstance(value, dict):
        return [(name, str(k).lower(), v) for k, v in value.items()]
    return [(name, "" if path is None else str(path).lower(), value)]


class _Any:
    def __repr__(self) -> str:
        return "any"


_ANY: Any = _Any()


def _same_op(want: tuple[str, str, Any], sent: tuple[str, str, Any]) -> bool:
    return want[0] == sent[0] and want[1] == sent[1] and (want[2] is _ANY or same(want[2], sent[2]))


def resource_reasons(body: Any, expected: dict[str, Any]) -> list[str]:
    if not isinstance(body, dict):
        return ["the body is not a resource"]
    return [
        f"{name} is {show(_get(body, name))}, not {show(value)}"
        for name, value in expected.items()
        if not same(value, _get(body, name))
    ]


def _get(body: dict[str, Any], name: str) -> Any:
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def same(want: Any, got: Any) -> bool:
    """``got`` means ``want``: JSON equality, names without case, a
    boolean also equal to its name as a string in any case (``"False"``,
    sent by some identity providers: docs/compatibility.md), an expected
    object or list a subset of the sent one."""
    if isinstance(want, bool):
        if isinstance(got, str):
            return got.lower() == str(want).lower()
        return got is want
    if isinstance(want, dict):
        return isinstance(got, dict) and all(same(v, _get(got, k)) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and all(any(same(w, g) for g in got) for w in want)
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return not isinstance(got, bool) and want == got
    return bool(want == got)
