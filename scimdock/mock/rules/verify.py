"""Verification of a journal (docs/mock.md, "Verify"): did the client send
what it should, as often as it should, in the order it should, and
nothing else?

A spec (openapi/admin.yaml ``VerifyInput``) is a matcher (scimdock.mock.rules.matcher)
with a ``count`` (``exactly``, ``atLeast``, ``atMost``; at least one when
left out), and may add ``inOrder``, matchers that must match entries in
that order (others may come between), and ``noUnexpected``: every entry
must match one of the matchers given (``true``: the spec's own and those
of ``inOrder``; or a list). The verdict says ``ok``, a one-line
``summary`` and its ``reasons`` in plain words, and the ``nearest``
entries that do not match, with why. Pure: entries are the journal's JSON
views.
"""

from __future__ import annotations

from typing import Any

from scimdock.mock.rules.matcher import describe, why_not

#: Non-matching entries reported, closest first.
NEAREST = 3
#: Entries named in a reason, at most.
NAMED = 5
#: The fields of a spec that are not its matcher.
CHECKS = ("count", "inOrder", "noUnexpected")


def verify(entries: list[dict[str, Any]], spec: dict[str, Any]) -> dict[str, Any]:
    """The verdict of ``spec`` on ``entries``."""
    matcher = {k: v for k, v in spec.items() if k not in CHECKS}
    counted = (
        bool(matcher) or "count" in spec or not (spec.get("inOrder") or "noUnexpected" in spec)
    )
    matches: list[int] = []
    misses: list[tuple[int, int, dict[str, Any], list[str]]] = []
    for order, entry in enumerate(entries):
        reasons = why_not(entry, matcher)
        if not reasons:
            matches.append(entry["seq"])
        else:
            misses.append((len(reasons), -order, entry, reasons))
    expected = dict(spec.get("count") or {"atLeast": 1})
    failed: list[str] = []
    if counted and not _count_ok(len(matches), expected):
        failed.append(
            f"expected {_count_text(expected)} {describe(matcher)}, "
            f"found {len(matches)}{_seqs(matches)}"
        )
    verdict: dict[str, Any] = {}
    if spec.get("inOrder"):
        verdict["inOrder"], reason = _in_order(entries, spec["inOrder"])
        failed += reason
    if spec.get("noUnexpected"):
        allowed = spec["noUnexpected"]
        if allowed is True:
            allowed = ([matcher] if matcher else []) + list(spec.get("inOrder") or [])
        verdict["unexpected"] = [e["seq"] for e in entries if all(why_not(e, m) for m in allowed)]
        if verdict["unexpected"]:
            shown = [e for e in entries if e["seq"] in verdict["unexpected"]][:NAMED]
            failed.append(
                f"{len(verdict['unexpected'])} unexpected request(s): "
                + ", ".join(f"{e['method']} {e['path']} (seq {e['seq']})" for e in shown)
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
    ok = not failed
    if ok:
        summary = f"passed: {len(matches)} request(s) {describe(matcher)}" if counted else "passed"
    else:
        summary = (
            "failed: " + failed[0] + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else "")
        )
    return {
        "ok": ok,
        "summary": summary,
        "reasons": failed,
        "matched": len(matches),
        "expected": expected,
        "matches": matches,
        "nearest": nearest if counted else [],
        **verdict,
    }


def _count_ok(count: int, expected: dict[str, int]) -> bool:
    return (
        ("exactly" not in expected or count == expected["exactly"])
        and ("atLeast" not in expected or count >= expected["atLeast"])
        and ("atMost" not in expected or count <= expected["atMost"])
    )


def _count_text(expected: dict[str, int]) -> str:
    words = {"exactly": "exactly", "atLeast": "at least", "atMost": "at most"}
    return " and ".join(f"{words[k]} {v}" for k, v in expected.items())


def _seqs(seqs: list[int]) -> str:
    if not seqs:
        return ""
    more = ", ..." if len(seqs) > NAMED else ""
    return " (seq " + ", ".join(str(s) for s in seqs[:NAMED]) + more + ")"


def _in_order(
    entries: list[dict[str, Any]], steps: list[dict[str, Any]]
) -> tuple[list[int], list[str]]:
    """The seq of the first entry matching each step after the one before;
    a reason when a step has none."""
    found: list[int] = []
    for entry in entries:
        if len(found) < len(steps) and not why_not(entry, steps[len(found)]):
            found.append(entry["seq"])
    if len(found) == len(steps):
        return found, []
    step = steps[len(found)]
    anywhere = [e["seq"] for e in entries if not why_not(e, step)]
    if not found:  # the first step matches nothing at all
        return found, [f"no {describe(step)} was sent"]
    after = f"after {describe(steps[len(found) - 1])} (seq {found[-1]})"
    if anywhere:
        return found, [f"{describe(step)}{_seqs(anywhere)} was not sent {after}"]
    return found, [f"no {describe(step)} was sent, expected {after}"]
