"""What the benchmark needs beyond ``make``'s test extras, installed on demand:
``scim2-server`` (the peer) into this venv with pip, and ``wrk`` with
apt-get when running as root. Without wrk the Python generator is used."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys


def ensure_python_packages() -> None:
    """pip-install ``scim2-server`` into the running interpreter if missing."""
    if importlib.util.find_spec("scim2_server") is None:
        print("installing scim2-server into the venv ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "scim2-server",
            ],
            check=True,
        )


def ensure_wrk() -> str | None:
    """The path of wrk, installing it with apt-get if possible; else None."""
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_WRK"):
        return None if os.environ.get("BENCH_NO_WRK") else found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk with apt-get ...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update", "-qq"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
    return shutil.which("wrk")


def version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return "n/a"
    return (
        (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "n/a"
    )
