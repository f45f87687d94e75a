"""One run of ``scimdock check``: discovery, then each chosen suite in
order (``rfc``, ``entra``, ``okta``, ``fuzz``) against one guarded target;
every resource the run created is deleted before it ends."""

from __future__ import annotations

from dataclasses import dataclass

from scimdock.check import FUZZ_EXAMPLES, SUITES
from scimdock.check.discovery import discover
from scimdock.check.model import FAILED, Result
from scimdock.check.suite import Context, run_one
from scimdock.check.target import Target


@dataclass(frozen=True)
class Options:
    base_url: str
    token: str
    suites: tuple[str, ...] = SUITES
    read_only: bool = False
    rate: float = 50.0
    fuzz_examples: int = FUZZ_EXAMPLES
    fuzz_coverage: bool = False
    timeout: float = 30.0


def run(options: Options) -> list[Result]:
    target = Target(
        options.base_url,
        options.token,
        rate=options.rate,
        read_only=options.read_only,
        timeout=options.timeout,
    )
    results: list[Result] = []
    try:
        ctx = Context(target, discover(target))
        if ctx.found.problems and "rfc" not in options.suites:
            # Every check would be skipped: the run itself fails, saying why
            # (with the rfc suite, rfc.discovery.spc says it).
            reason = "; ".join(ctx.found.problems)
            results.append(
                Result(
                    "run",
                    "discovery",
                    "the discovery documents read",
                    "RFC 7644 §4",
                    FAILED,
                    reason,
                )
            )
        for suite in options.suites:
            results += _suite(suite, ctx, options)
    finally:
        left = target.cleanup()
        target.close()
    if left:
        results.append(
            Result("run", "cleanup", "what the run created is deleted", "", FAILED, "; ".join(left))
        )
    return results


def _suite(suite: str, ctx: Context, options: Options) -> list[Result]:
    if suite == "rfc":
        from scimdock.check import rfc, rfc_query

        return [run_one("rfc", c, ctx) for c in rfc.CHECKS + rfc_query.CHECKS]
    if suite in ("entra", "okta"):
        from scimdock.check.idp import run_idp

        return run_idp(suite, ctx)
    from scimdock.check.fuzz import run_fuzz

    return run_fuzz(
        ctx.target,
        ctx.found,
        examples=options.fuzz_examples,
        read_only=options.read_only,
        coverage=options.fuzz_coverage,
    )
