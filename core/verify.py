"""Verification of a journal (docs/mock.md, "Verify"): which recorded
requests carry what a client should have sent, by their SCIM meaning.

A request matches when its method, path glob and status are those asked
for and its body means what is asked for: each expected PatchOp operation
is in the request's ``Operations`` (RFC 7644 §3.5.2; ``op`` and attribute
names compared case-insensitively, RFC 7643 §2.1; an operation without
``path`` whose value is an object stands for one operation per attribute,
§3.5.2.3), and each expected attribute of ``resource`` is in the body.
Values compare as JSON, a boolean also equal to the string of its name in
any case (``"False"``: a deviation some identity providers send,
docs/compatibility.md), an expected object or list a subset of the sent one.
Pure: entries are the journal's JSON views.
"""

from __future__ import annotations

import fnmatch
from typing import Any

#: Non-matching entries reported, closest first.
NEAREST = 3


def verify(entries: list[dict[str, Any]], spec: dict[str, Any]) -> dict[str, Any]:
    """The verdict of ``spec`` (openapi/admin.yaml ``VerifyInput``) on ``entries``."""
    matches: list[int] = []
    misses: list[tuple[int, int, dict[str, Any], list[str]]] = []
    for order, entry in enumerate(entries):
        reasons = why_not(entry, spec)
        if not reasons:
            matches.append(entry["seq"])
        else:
            misses.append((len(reasons), -order, entry, reasons))
    expected = dict(spec.get("count") or {"atLeast": 1})
    count = len(matches)
    ok = (
        ("exactly" not in expected or count == expected["exactly"])
        and ("atLeast" not in expected or count >= expected["atLeast"])
        and ("atMost" not in expected or count <= expected["atMost"])
    )
    misses.sort(key=lambda m: (m[0], m[1]))
    nearest = [
        {
            "seq": e["seq"],
            "method": e["method"],
            "path": e["path"],
            "status": e["status"],
            "reasons": reasons,
        }
        for _, _, e, reasons in misses[:NEAREST]
    ]
    return {
        "ok": ok,
        "matched": count,
        "expected": expected,
        "matches": matches,
        "nearest": nearest,
    }


def why_not(entry: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Why ``entry`` does not match ``spec``; empty when it does."""
    reasons: list[str] = []
    method = spec.get("method")
    if method is not None and entry["method"].upper() != method.upper():
        reasons.append(f"method is {entry['method']}, not {method.upper()}")
    path = spec.get("path")
    if path is not None and not fnmatch.fnmatchcase(entry["path"], path):
        reasons.append(f"path {entry['path']} does not match {path}")
    status = spec.get("status")
    if status is not None and entry["status"] != status:
        reasons.append(f"status is {entry['status']}, not {status}")
    body = entry["request"].get("body")
    if spec.get("patch"):
        reasons += _patch_reasons(body, spec["patch"])
    if spec.get("resource"):
        reasons += _resource_reasons(body, spec["resource"])
    return reasons


def _patch_reasons(body: Any, expected: list[dict[str, Any]]) -> list[str]:
    ops = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(ops, list):
        return ["the body is not a PatchOp (no Operations)"]
    sent = [t for op in ops if isinstance(op, dict) for t in _triples(op)]
    reasons = []
    for want in expected:
        wanted = _triples(want)
        if not all(any(_same_op(w, s) for s in sent) for w in wanted):
            shown = {k: want[k] for k in ("op", "path", "value") if k in want}
            near = [s for s in sent if s[0] == wanted[0][0] and s[1] == wanted[0][1]]
            sent_value = f" (sent value {near[0][2]!r})" if near else ""
            reasons.append(f"no operation {shown}{sent_value}")
    return reasons


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


def _resource_reasons(body: Any, expected: dict[str, Any]) -> list[str]:
    if not isinstance(body, dict):
        return ["the body is not a resource"]
    return [
        f"{name} is {_get(body, name)!r}, not {value!r}"
        for name, value in expected.items()
        if not same(value, _get(body, name))
    ]


def _get(body: dict[str, Any], name: str) -> Any:
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def same(want: Any, got: Any) -> bool:
    """``got`` means ``want`` (see the module docstring)."""
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
