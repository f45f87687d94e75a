"""The wheel as a partner installs it: one import package, the contract
inside it, and a server that starts from any directory.

Built with pip from this checkout, installed into a fresh virtual
environment from the locked requirements (requirements/run.txt), then
started from an unrelated directory with ``scimdock serve --demo``: the
answer to Entra ID's Test Connection request (a filter on a random
userName) must be 200 with an empty ListResponse.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, free_port, serving, wait_until

#: The installed wheel's own SQLite demo: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only


def _run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # From a copy of the checkout: setuptools builds in the source tree's
    # build/, which two test workers building at once would share.
    source = out / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "data", "__pycache__", ".mypy_cache", ".ruff_cache"
        ),
    )
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source, cwd=out)
    (built,) = out.glob("scimdock-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", home / "v", cwd=home)
    pip = [home / "v" / "bin" / "python", "-m", "pip", "-q", "--disable-pip-version-check"]
    # --no-compile: the bytecode of what the server imports is written as it
    # is imported, not that of every module of the lock ahead of time.
    lock = ROOT / "requirements" / "run.txt"
    _run(*pip, "install", "--no-compile", "--require-hashes", "-r", lock, cwd=home)
    # Without --no-deps: the wheel's own requirements must be met by the lock.
    _run(*pip, "install", "--no-compile", wheel, cwd=home)
    return home / "v"


def test_the_wheel_adds_one_import_package_and_carries_the_contract(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"scimdock"}, top
    for needed in (
        "scimdock/openapi/scim.yaml",
        "scimdock/openapi/admin.yaml",
        "scimdock/core/schema.py",
        "scimdock/handlers/users.py",
        "scimdock/store/base.py",
        "scimdock/py.typed",
        "scimdock/cli/__init__.py",
        "scimdock/mock/rules/matcher.py",
        "scimdock/mock/handlers/state.py",
    ):
        assert needed in names
    # The checkout's tools (the contract's generator, `make contract`) stay out.
    assert [n for n in names if n.endswith("/contract.py") or n.startswith("tools/")] == []


@pytest.fixture
def installed_server(venv: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``scimdock serve --demo`` of the installed wheel, started in an empty
    directory far from the checkout: (base URL, token)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCIMDOCK_DB")}
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        [
            str(venv / "bin" / "scimdock"),
            "--db",
            str(tmp_path / "demo.db"),
            "serve",
            "--demo",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"

    def token() -> str | None:
        """The demo tenant's token, once printed and the server answers."""
        found = re.search(r"token:\s+(\S+)", log.read_text())
        return found.group(1) if found and serving(origin) else None

    try:
        demo = wait_until(token, 60, "the demo token and server", process=process, log=log)
        yield f"{origin}/scim/v1", demo
    finally:
        process.terminate()
        process.wait(10)


def test_the_installed_wheel_serves_entra_test_connection(
    installed_server: tuple[str, str],
) -> None:
    base, token = installed_server
    response = httpx.get(
        f"{base}/Users",
        params={"filter": f'userName eq "{uuid.uuid4()}"'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalResults"] == 0 and body["Resources"] == []
    assert response.headers["content-type"].startswith("application/scim+json")


def test_the_installed_wheel_imports_no_checkout_module(venv: Path, tmp_path: Path) -> None:
    """From outside the checkout, ``scimdock`` and its parts come from
    site-packages, and no top-level ``core``/``handlers``/``store`` exists."""
    code = (
        "import importlib.util, scimdock.app, scimdock.openapi as o; "
        "print(o.DIR); "
        "print([n for n in ('core', 'handlers', 'store', 'openapi') "
        "if importlib.util.find_spec(n)])"
    )
    out = _run(venv / "bin" / "python", "-c", code, cwd=tmp_path).splitlines()
    assert "site-packages" in out[0]
    assert out[1] == "[]"
