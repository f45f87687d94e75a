"""``scimdock check`` against a deliberately broken scimdock: the mock
(docs/mock.md) with a behaviour profile, so the right checks fail or
skip, and with its journal, which shows what the check sent.

- ``patch-no-content`` answers every PATCH 204: RFC 7644 §3.5.2 allows it,
  so the rfc suite passes, but the Entra ID and Okta flows that read the
  user from the PATCH answer (both document a 200 with the resource) fail,
  each at that PATCH, and only those.
- ``no-etag`` sends no ETags and says so in /ServiceProviderConfig: the
  version checks are skipped, with that reason, not failed; a user the
  run did not make is left as it was.
- ``--read-only`` sends no write; ``--rate`` spaces the requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from junitparser import Failure, JUnitXml, Skipped

from scimdock.mock.testing import ScimMock
from tests.integration.test_check import run_check

pytestmark = pytest.mark.backend_independent(
    "the mock runs on a SQLite database of its own; what is tested is the checker"
)

#: The flows that PATCH a user and read the answer as the user (200).
READS_THE_PATCH_ANSWER = {
    "entra.deprovision_and_delete",
    "entra.patch_attributes",
    "entra.patch_manager",
    "entra.unchanged_patch_is_a_no_op",
    "entra.username_change_and_uniqueness",
    "okta.deactivate_and_reactivate",
    "okta.paging",
}


@pytest.fixture(scope="module")
def mock() -> Iterator[ScimMock]:
    server = ScimMock("--profile", "patch-no-content")
    yield server
    server.stop()


def _report(mock: ScimMock, tmp_path: Path, *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    path = tmp_path / "report.json"
    out = run_check(mock.url, mock.token, "--json", str(path), *args)
    assert out.returncode in (0, 1), out.stderr
    for text in (out.stdout, out.stderr, path.read_text()):
        assert mock.token not in text
    return out.returncode, {r["id"]: r for r in json.loads(path.read_text())["results"]}


def test_a_patch_answered_204_fails_the_flows_that_read_it(mock: ScimMock, tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    status, results = _report(
        mock, tmp_path, "--suite", "rfc", "--suite", "entra,okta", "--rate", "1000",
        "--junit", str(junit),
    )  # fmt: skip
    failed = {i for i, r in results.items() if r["outcome"] == "failed"}
    assert status == 1
    assert failed == READS_THE_PATCH_ANSWER, failed
    for name in failed:
        assert "status: expected 200, got 204" in results[name]["reason"], results[name]
        assert "PATCH /Users/" in results[name]["reason"], results[name]
        assert results[name]["exchange"]["status"] == 204
        assert results[name]["exchange"]["request_headers"]["Authorization"] == "Bearer ****"
    cases = {case.name: case for suite in JUnitXml.fromfile(str(junit)) for case in suite}
    assert set(cases) == set(results)
    assert {n for n, c in cases.items() if any(isinstance(r, Failure) for r in c.result)} == failed
    skipped = {n for n, c in cases.items() if any(isinstance(r, Skipped) for r in c.result)}
    assert skipped == {n for n, r in results.items() if r["outcome"] == "skipped"}
    assert skipped == {"entra.custom_extension_attributes", "rfc.discovery.extensions"}
    assert results["rfc.users.patch"]["outcome"] == "passed"
    assert results["rfc.groups.patch-members"]["outcome"] == "passed"
    auth = {"Authorization": f"Bearer {mock.token}"}
    for endpoint in ("/Users", "/Groups"):  # what the run made, it deleted
        assert httpx.get(f"{mock.url}{endpoint}", headers=auth).json()["totalResults"] == 0


def test_no_etags_skips_the_version_checks_with_the_reason(mock: ScimMock, tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {mock.token}"}
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bystander"}
    mock.call("PUT", "/profile", {"preset": "no-etag"})
    bystander = httpx.post(f"{mock.url}/Users", json=body, headers=auth).json()
    try:
        status, results = _report(mock, tmp_path, "--suite", "rfc", "--rate", "1000")
        after = httpx.get(f"{mock.url}/Users/{bystander['id']}", headers=auth).json()
        left = httpx.get(f"{mock.url}/Users", headers=auth).json()
    finally:
        mock.call("PUT", "/profile", {"preset": "patch-no-content"})
        httpx.delete(f"{mock.url}/Users/{bystander['id']}", headers=auth)
    assert status == 0, [r for r in results.values() if r["outcome"] == "failed"]
    # A user the run did not make is left alone, and does not change a verdict.
    assert after == bystander
    assert [u["userName"] for u in left["Resources"]] == ["bystander"]
    versions = {i for i in results if i.startswith("rfc.etag.")}
    assert versions == {"rfc.etag.header", "rfc.etag.not-modified", "rfc.etag.precondition"}
    for name in versions:
        assert results[name]["outcome"] == "skipped"
        assert (
            results[name]["reason"]
            == "ServiceProviderConfig etag.supported is not true (RFC 7643 §5)"
        )


def test_read_only_sends_no_write_and_rate_spaces_requests(mock: ScimMock, tmp_path: Path) -> None:
    mock.clear_journal()
    status, results = _report(mock, tmp_path, "--suite", "rfc,entra", "--read-only", "--rate", "20")
    assert status == 0, [r for r in results.values() if r["outcome"] == "failed"]
    entries = mock.journal()
    writes = [
        (e["method"], e["path"])
        for e in entries
        if e["method"] != "GET" and not (e["method"] == "POST" and e["path"].endswith(".search"))
    ]
    assert entries and writes == []
    assert results["rfc.users.create"]["reason"] == "--read-only: the check writes"
    assert results["rfc.auth.missing"]["outcome"] == "passed"
    times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in entries]
    span = (max(times) - min(times)).total_seconds()
    assert span >= (len(entries) - 1) / 20 * 0.9, (span, len(entries))
