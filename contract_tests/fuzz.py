"""Running schemathesis's CLI against a live test server: the one command
line both fuzz tests (SCIM and admin documents) use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, Server

HERE = Path(__file__).resolve().parent


def run_schemathesis(
    server: Server, base: str, config: str, token: str, examples: str, report_dir: Path
) -> None:
    """Every check and phase against ``base``'s served document; fail the
    test on any schemathesis failure or any traceback in the server log."""
    cmd = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config if "/" in config else HERE / config),
        "--no-color",
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        # Every check: schemathesis's default. ``--checks all`` would also
        # override the one a config entry turns off for its operation.
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        examples,
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261126"),
        "--workers",
        "1",  # schemathesis threads hit a CPython 3.11 ast bug
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=1200)
    log = (server.home / "server.log").read_text()
    assert out.returncode == 0, (
        f"{out.stdout[-20000:]}\n{out.stderr[-3000:]}\nserver log:\n{log[-3000:]}"
    )
    assert "Traceback" not in log, log[-5000:]
