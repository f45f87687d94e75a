"""The ``fuzz`` suite: schemathesis against the target, driven by
scimdock's contract (openapi/scim.yaml) cut to what discovery found, with
every check, a budget of ``--fuzz-examples`` cases per operation and a
fixed seed, in the phases the budget bounds: the document's examples,
fuzzing and stateful sequences. ``--fuzz-coverage`` adds schemathesis's
coverage phase, thousands of boundary cases whatever the budget (minutes,
where the rest takes seconds).

schemathesis runs as its own process (``python -m schemathesis.cli``); the
token reaches it through the environment, never its command line; its
JUnit report becomes one result per operation. The run's safety rules are
the hooks of :mod:`scimdock.check.fuzz_hooks`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from scimdock.check.discovery import Discovery
from scimdock.check.junit import read_cases
from scimdock.check.model import FAILED, SKIPPED, Result
from scimdock.check.target import Target
from scimdock.openapi import DIR

INSTALL = "the fuzz suite needs schemathesis: pip install 'scimdock[check]'"
SOURCE = "openapi/scim.yaml (RFC 7643, RFC 7644), schemathesis's checks"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
#: Left out always: not discoverable (the service root's search, RFC 7644
#: §3.4.2.1; /Me, §3.11) or free JSON whose names cannot carry the prefix (Bulk).
LEFT_OUT = ("/", "/.search", "/Me", "/Bulk")
SEED = "20261126"
_READS = ("get", "head")


def available() -> bool:
    try:
        return importlib.util.find_spec("schemathesis") is not None
    except ValueError:  # an entry of None in sys.modules: as good as absent
        return False


def document(found: Discovery, *, read_only: bool) -> dict[str, Any]:
    """openapi/scim.yaml without what the target does not support."""
    doc: dict[str, Any] = yaml.safe_load((DIR / "scim.yaml").read_text(encoding="utf-8"))
    drop_params = {
        "filter": not found.supports("filter"),
        "sortBy": not found.supports("sort"),
        "sortOrder": not found.supports("sort"),
        "cursor": not found.supports("cursor"),
        "If-Match": not found.supports("etag"),
        "If-None-Match": not found.supports("etag"),
    }
    groups = "Group" in found.endpoints
    for path in list(doc["paths"]):
        if path in LEFT_OUT or (path.startswith("/Groups") and not groups):
            del doc["paths"][path]
            continue
        item = doc["paths"][path]
        for method in list(item):
            if method == "parameters":
                continue
            search = method == "post" and path.endswith(".search")
            if (method == "patch" and not found.supports("patch")) or (
                read_only and method not in _READS and not search
            ):
                del item[method]
                continue
            if search and not found.supports("filter"):
                del item[method]
                continue
            params = item[method].get("parameters") or []
            item[method]["parameters"] = [p for p in params if not drop_params.get(_name(doc, p))]
    return doc


def _name(doc: dict[str, Any], param: dict[str, Any]) -> str:
    if "$ref" in param:
        *_, section, key = param["$ref"].split("/")
        param = doc["components"][section][key]
    return str(param.get("name", ""))


def run_fuzz(
    target: Target, found: Discovery, *, examples: int, read_only: bool, coverage: bool = False
) -> list[Result]:
    if not available():
        return [Result("fuzz", "fuzz", "schemathesis", SOURCE, SKIPPED, INSTALL)]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scimdock-check-") as tmp:
        work = Path(tmp)
        spec = work / "scim.json"
        spec.write_text(json.dumps(document(found, read_only=read_only)), encoding="utf-8")
        config = work / "schemathesis.toml"
        config.write_text(_config(target), encoding="utf-8")
        created = work / "created"
        created.touch()
        out = subprocess.run(
            _command(target, spec, config, examples, work, coverage),
            capture_output=True,
            text=True,
            env=_environment(target, created),
            timeout=3600,
        )
        results = [_result(case, target) for case in read_cases(work / "junit.xml")]
        for line in created.read_text(encoding="utf-8").splitlines():
            endpoint, _, rid = line.partition(" ")
            target.created.append((endpoint, rid))
    if not results or (out.returncode != 0 and all(r.outcome != FAILED for r in results)):
        tail = target.mask((out.stdout + out.stderr)[-3000:])
        results.append(Result("fuzz", "fuzz.run", "schemathesis ran", SOURCE, FAILED, tail))
    left = target.cleanup()
    if left:
        results.append(
            Result(
                "fuzz",
                "fuzz.cleanup",
                "what the fuzzer created is deleted",
                SOURCE,
                FAILED,
                "; ".join(left),
            )
        )
    for result in results:
        result.seconds = result.seconds or round(time.monotonic() - started, 3)
    return results


def _config(target: Target) -> str:
    """scimdock's schemathesis adjustments (each with its RFC rule), and
    the token as an environment reference."""
    head = 'headers = { Authorization = "Bearer ${SCIMDOCK_CHECK_TOKEN}" }\n'
    if target.interval:
        rate = 1 / target.interval  # never rounded up past the cap
        limit = f"{int(rate)}/s" if rate >= 1 else f"{max(1, int(rate * 60))}/m"
        head += f'rate-limit = "{limit}"\n'
    return head + CONFIG.read_text(encoding="utf-8")


def _command(
    target: Target, spec: Path, config: Path, examples: int, work: Path, coverage: bool = False
) -> list[str]:
    phases = "examples,coverage,fuzzing,stateful" if coverage else "examples,fuzzing,stateful"
    return [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", str(spec), "--url", target.base_url, "--max-examples", str(examples),
        "--seed", SEED, "--workers", "1", "--phases", phases, "--report", "junit", "--report-junit-path",
        str(work / "junit.xml"),
    ]  # fmt: skip


def _environment(target: Target, created: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SCIMDOCK_CHECK_TOKEN": target.token,
        "SCIMDOCK_CHECK_PREFIX": target.prefix,
        "SCIMDOCK_CHECK_CREATED": str(created),
        "SCHEMATHESIS_HOOKS": "scimdock.check.fuzz_hooks",
    }


def _result(case: dict[str, str], target: Target) -> Result:
    name = case["name"]
    result = Result("fuzz", f"fuzz.{name}", f"schemathesis: {name}", SOURCE)
    if case["outcome"] != "passed":
        result.outcome = FAILED if case["outcome"] != "skipped" else SKIPPED
        result.reason = target.mask(case["message"])
    result.seconds = float(case.get("time") or 0)
    return result
