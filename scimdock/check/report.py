"""The terminal summary and ``--json FILE``. The summary is one table of
every check (suite, id, outcome, the source it rests on), then each
failure's reason with the request and answer that decided it, credentials
masked; then the totals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from scimdock.check.model import FAILED, PASSED, SKIPPED, Result

_MARK = {PASSED: "pass", FAILED: "FAIL", SKIPPED: "skip"}


def summary(results: list[Result], out: TextIO, *, seconds: float) -> None:
    width = max((len(r.id) for r in results), default=10)
    out.write(f"{'suite':<6} {'check':<{width}} {'result':<6} source / reason\n")
    for r in results:
        note = r.reason.split("\n")[0] if r.outcome == SKIPPED else r.source
        out.write(f"{r.suite:<6} {r.id:<{width}} {_MARK[r.outcome]:<6} {note[:160]}\n")
    failed = [r for r in results if r.outcome == FAILED]
    for r in failed:
        out.write(f"\n--- FAIL {r.id}: {r.title}\n    rests on: {r.source}\n")
        out.write("    " + r.reason.replace("\n", "\n    ") + "\n")
        if r.exchange is not None:
            out.write("    " + r.exchange.text().replace("\n", "\n    ") + "\n")
    counts = {o: sum(r.outcome == o for r in results) for o in (PASSED, FAILED, SKIPPED)}
    out.write(
        f"\n{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped"
        f" in {seconds:.1f} s\n"
    )


def write_json(results: list[Result], path: Path, *, seconds: float, target: str) -> None:
    doc = {
        "target": target,
        "seconds": round(seconds, 3),
        "passed": sum(r.outcome == PASSED for r in results),
        "failed": sum(r.outcome == FAILED for r in results),
        "skipped": sum(r.outcome == SKIPPED for r in results),
        "results": [r.view() for r in results],
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
