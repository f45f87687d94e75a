"""``scimdock check BASE_URL --token T``: the RFC checks, the identity
providers' replays and the fuzzer against any SCIM server (docs/check.md).

The check's code is imported when the command runs, so that every other
command starts without it (and without httpx): only the package's two
constants are read at start."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from scimdock.check import FUZZ_EXAMPLES, SUITES
from scimdock.cli.common import USAGE, CliError


def check(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("SCIMDOCK_CHECK_TOKEN", "")
    if not token:
        raise CliError("give the token with --token or SCIMDOCK_CHECK_TOKEN", USAGE)
    suites = _suites(args.suite)
    from scimdock.check import fuzz, junit, report
    from scimdock.check.runner import Options, run

    if args.suite and "fuzz" in suites and not fuzz.available():
        raise CliError(fuzz.INSTALL, USAGE)
    options = Options(
        args.base_url,
        token,
        suites=suites,
        read_only=args.read_only,
        rate=args.rate,
        fuzz_examples=args.fuzz_examples,
        fuzz_coverage=args.fuzz_coverage,
    )
    started = time.monotonic()
    results = run(options)
    seconds = time.monotonic() - started
    report.summary(results, sys.stdout, seconds=seconds)
    if args.junit:
        junit.write(results, Path(args.junit))
    if args.json_file:
        report.write_json(results, Path(args.json_file), seconds=seconds, target=args.base_url)
    return 1 if any(r.outcome == "failed" for r in results) else 0


def _suites(given: list[str] | None) -> tuple[str, ...]:
    if not given:
        return SUITES
    chosen = [s.strip() for item in given for s in item.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SUITES))
    if unknown:
        raise CliError(f"no suite {unknown[0]!r}; suites: {', '.join(SUITES)}", USAGE)
    return tuple(s for s in SUITES if s in chosen)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sp = sub.add_parser(
        "check",
        help="test any SCIM server: RFC 7643/7644, Entra ID's and Okta's flows, fuzzing",
        description="Test the SCIM service provider at BASE_URL. Exit status 0 when every "
        "check that ran passed, 1 when one failed (docs/check.md).",
    )
    sp.add_argument("base_url", metavar="BASE_URL", help="the SCIM base URL (…/scim/v2)")
    sp.add_argument("--token", help="the bearer token (env SCIMDOCK_CHECK_TOKEN)")
    sp.add_argument(
        "--suite",
        action="append",
        metavar="NAME",
        help=f"run only these suites ({', '.join(SUITES)}); repeat or comma-separate",
    )
    sp.add_argument("--read-only", action="store_true", help="send no write at all")
    sp.add_argument(
        "--rate", type=_positive, default=50.0, help="requests a second at most (default 50)"
    )
    sp.add_argument(
        "--fuzz-examples",
        type=int,
        default=FUZZ_EXAMPLES,
        metavar="N",
        help=f"schemathesis cases per operation (default {FUZZ_EXAMPLES})",
    )
    sp.add_argument(
        "--fuzz-coverage",
        action="store_true",
        help="add schemathesis's coverage phase (thousands of boundary cases: minutes)",
    )
    sp.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    sp.add_argument("--json", dest="json_file", metavar="FILE", help="write a JSON report")
    sp.set_defaults(func=check)
