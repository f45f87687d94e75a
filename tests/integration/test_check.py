"""``scimdock check`` against scimdock itself: every suite passes (rfc,
entra, okta, and fuzz at the default budget), nothing is skipped, the
reports carry every check (the JUnit file read back by junitparser) and
never the token, and the tenant is left as it was found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from junitparser import Failure, JUnitXml, Skipped

from conftest import ROOT, Client, Server
from scimdock.check.idp import REPLAYS
from scimdock.check.replay import load_flow, render, variables_of


def run_check(base: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, the token given through the environment."""
    return subprocess.run(
        [sys.executable, "-m", "scimdock", "check", base, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SCIMDOCK_CHECK_TOKEN": token},
        timeout=600,
    )


def register_flow_extension(server: Server, tenant: str) -> str:
    """The extension schema Entra's custom-attribute flow maps, registered
    as that flow's own first step does (scimdock's admin API): the target
    then lists it in /Schemas, and ``scimdock check`` runs the flow."""
    flow = load_flow(REPLAYS / "entra" / "custom_extension_attributes.yaml")
    step = flow.steps[0]
    assert step.get("api") == "admin", step
    variables = variables_of(flow, tenant, "")
    admin = Client(server, server.operator_token, admin=True)
    response = admin.post(render(step["path"], variables), json=render(step["body"], variables))
    assert response.status_code == 201, response.text
    return str(variables["X"])


@pytest.mark.runs_long("every suite of scimdock check, its fuzz at the default budget")
def test_scimdock_passes_every_suite(server: Server, tenant_name: str, tmp_path: Path) -> None:
    token = server.tenant(tenant_name)
    register_flow_extension(server, tenant_name)
    junit, report = tmp_path / "check.xml", tmp_path / "check.json"
    started = time.monotonic()
    out = run_check(server.base, token, "--junit", str(junit), "--json", str(report))
    print(f"scimdock check, every suite, default fuzz budget: {time.monotonic() - started:.1f} s")
    assert out.returncode == 0, out.stdout[-20000:] + out.stderr[-3000:]
    doc = json.loads(report.read_text())
    results = doc["results"]
    assert {r["suite"] for r in results} == {"rfc", "entra", "okta", "fuzz"}
    assert doc["failed"] == 0 and doc["skipped"] == 0, [
        (r["id"], r["reason"]) for r in results if r["outcome"] != "passed"
    ]
    flows = {f.stem for f in (REPLAYS / "entra").glob("*.yaml")}
    assert {r["id"] for r in results if r["suite"] == "entra"} == {f"entra.{f}" for f in flows}
    assert any(r["id"] == "fuzz.Stateful tests" for r in results), [r["id"] for r in results]
    every_source = all(r["source"] for r in results)
    assert every_source, [r["id"] for r in results if not r["source"]]

    xml = JUnitXml.fromfile(str(junit))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(results) and xml.tests == len(results)
    assert {suite.name for suite in xml} == {"rfc", "entra", "okta", "fuzz"}
    assert not [c for c in cases if any(isinstance(r, (Failure, Skipped)) for r in c.result)]

    for text in (out.stdout, out.stderr, report.read_text(), junit.read_text()):
        assert token not in text
    for endpoint in ("/Users", "/Groups"):
        left = httpx.get(
            f"{server.base}{endpoint}", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert left["totalResults"] == 0, left
