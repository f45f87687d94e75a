"""The console's journal and data pages (docs/mock.md, "Web console") in
Debian's chromium driven by Playwright: the list filtered by method,
status and path, faulted rows marked, query strings shown, live rows; one
request's detail (bodies, masked headers, conformance notes with the
RFC's words, the fault that fired); clearing the journal; reset, seed and
snapshot upload and download. Each page is checked for what it shows and
saved as a screenshot in build/artifacts/console/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scimdock.mock.testing import ScimMock
from tests.integration.test_console import browser, console, shot
from tests.integration.test_mock_conformance import USER, admin, scim, start

__all__ = ["browser"]  # the fixture, shared with test_console.py
pytestmark = pytest.mark.backend_independent(
    "the console's pages in a browser; what they show is the admin API's, tested on both"
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "console"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LOOKUP = {"filter": 'userName eq "ann@example.com"'}
SECRET = "s3cret-Passw0rd"


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[ScimMock]:
    server = start(
        tmp_path, "--fault", '{"method": "POST", "path": "/Users", "status": 503, "times": 1}'
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def signed_in(browser: Any, mock: ScimMock) -> Any:
    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(console(mock) + "/")
    page.fill("input[name=token]", mock.admin_token)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/tenants")
    return page


def traffic(mock: ScimMock) -> str:
    """A lookup with a query, a create the rule answers 503 (with a
    password), the same create through (a boolean as a string), a PATCH."""
    with scim(mock, **{"User-Agent": "Azure-SCIM-Test/1.0"}) as client:
        assert client.get("/Users", params=LOOKUP).status_code == 200
        ann = {"schemas": [USER], "userName": "ann@example.com", "password": SECRET}
        assert client.post("/Users", json=ann).status_code == 503
        made = client.post("/Users", json={**ann, "active": "True"})
        assert made.status_code == 201, made.text
        uid = str(made.json()["id"])
        off = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        assert client.patch(f"/Users/{uid}", json=off).status_code == 200
    return uid


def rows(page: Any) -> list[str]:
    return [r.inner_text() for r in page.query_selector_all("#entries tr")]


def no_secrets(page: Any, mock: ScimMock) -> None:
    html = page.content()
    for secret in (mock.token, mock.admin_token, SECRET):
        assert secret not in html


def test_the_journal_filtered_marked_detailed_and_cleared(
    mock: ScimMock, browser: Any, artifacts: Path
) -> None:
    uid = traffic(mock)
    page = signed_in(browser, mock)
    base = f"{console(mock)}/t/{mock.tenant}/journal"
    page.goto(base)
    shot(page, artifacts, "journal", "Journal (4)", '?filter=userName eq "ann@example.com"')
    assert [r.split("\t")[:3] for r in rows(page)] == [
        ["4", f"PATCH /Users/{uid}", "200"],
        ["3", "POST /Users", "201"],
        ["2", "POST /Users", "503"],
        ["1", 'GET /Users?filter=userName eq "ann@example.com"', "200"],
    ]
    faulted = page.query_selector_all("#entries tr.faulted")
    assert [f.inner_text().split("\t")[0] for f in faulted] == ["2"]
    assert "rule 0: status 503" in faulted[0].inner_text()
    no_secrets(page, mock)

    for filters, seqs in [
        ("method=POST", ["3", "2"]),
        ("status=503", ["2"]),
        ("path=/users/*", ["4"]),  # without case, as routed
        ("method=GET&status=200&path=/Users", ["1"]),
    ]:
        page.goto(f"{base}?{filters}")
        assert [r.split("\t")[0] for r in rows(page)] == seqs, filters
        assert page.is_visible("#filtered")
    page.goto(f"{base}?method=POST&status=503")
    assert page.input_value("input[name=status]") == "503"
    shot(page, artifacts, "journal-filtered", "Journal (1)", "rule 0: status 503")
    page.goto(f"{base}?status=teapot")
    shot(page, artifacts, "journal-bad-filter", "status 'teapot' is not a status code")

    page.goto(base)
    page.click("#entries tr.faulted a")
    page.wait_for_url(f"{base}/2")
    shot(page, artifacts, "entry-faulted", "POST /Users", "503")
    assert page.inner_text("#fault").startswith("rule 0: status 503")
    assert page.inner_text("#applied").startswith("no")  # the server never saw it
    assert '"userName": "ann@example.com"' in page.inner_text("#request-body")
    assert '"password": "****"' in page.inner_text("#request-body")
    assert "Bearer ****" in page.inner_text("#request-headers")
    assert '"status": "503"' in page.inner_text("#response-body")
    no_secrets(page, mock)

    page.goto(f"{base}/3")
    shot(page, artifacts, "entry-notes", "boolean-string", "RFC 7643 §2.3.2")
    notes = page.inner_text("#notes")
    assert "A boolean is the JSON literal true or false." in notes
    assert "Microsoft Entra ID" in notes
    assert page.inner_text("#fault") == "none" and page.inner_text("#status") == "201"
    assert f"/Users/{uid}" in page.inner_text("#response-headers")  # its Location
    no_secrets(page, mock)
    page.goto(f"{base}/1")
    assert page.inner_text("#request-line") == '#1 GET /Users?filter=userName eq "ann@example.com"'

    page.goto(base)
    page.wait_for_selector("#live:has-text('following')")
    mock.fault({"method": "DELETE", "path": "/Users/*", "status": 429, "retryAfter": 1})
    with scim(mock) as client:
        assert client.delete(f"/Users/{uid}").status_code == 429
    page.wait_for_selector("#entries tr.faulted:has-text('DELETE')")
    shot(page, artifacts, "journal-live", "Journal (4)", f"DELETE /Users/{uid}", "status 429")

    page.click("text=Clear journal")
    page.wait_for_selector("h1:has-text('Journal (0)')")
    assert rows(page) == [] and mock.journal() == []
    shot(page, artifacts, "journal-cleared", "Journal (0)")


def test_reset_seed_and_snapshot_upload_and_download(
    mock: ScimMock, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    with admin(mock) as adm:
        seeded = {"users": [{"id": "ann-1", "userName": "ann@example.com"}, {"userName": "bob"}]}
        assert (
            adm.post(
                "/seed", json={**seeded, "groups": [{"displayName": "Staff", "members": ["bob"]}]}
            ).status_code
            == 200
        )
        before = adm.get("/snapshot").json()
    page = signed_in(browser, mock)
    data = f"{console(mock)}/t/{mock.tenant}/data"
    page.goto(data)
    shot(page, artifacts, "data", "2 users, 1 groups", "Download snapshot")
    with page.expect_download() as caught:
        page.click("#download")
    saved = tmp_path / "snapshot.json"
    caught.value.save_as(saved)
    assert json.loads(saved.read_text()) == before

    page.click("text=Reset data")
    page.wait_for_selector("#done")
    shot(page, artifacts, "data-reset", "Reset: 2 users and 1 groups removed.", "0 users, 0 groups")

    page.set_input_files("input[name=document]", str(saved))
    page.click("button[value=snapshot]")
    page.wait_for_selector("#done")
    shot(
        page,
        artifacts,
        "data-snapshot",
        "Loaded snapshot.json: 2 users, 1 groups",
        "2 users, 1 groups",
    )
    with admin(mock) as adm:
        assert adm.get("/snapshot").json() == before  # ids, times and versions kept

    more = tmp_path / "more.yaml"
    more.write_text(
        "users:\n  - userName: cat@example.com\ngroups:\n  - displayName: Cats\n    members: [cat@example.com]\n"
    )
    page.set_input_files("input[name=document]", str(more))
    page.click("button[value=seed]")
    page.wait_for_selector("#done")
    shot(page, artifacts, "data-seed", "Loaded more.yaml: 1 users, 1 groups", "3 users, 2 groups")

    taken = tmp_path / "taken.json"
    taken.write_text('{"users": [{"userName": "dan"}, {"userName": "bob"}]}')
    page.set_input_files("input[name=document]", str(taken))
    page.click("button[value=seed]")
    page.wait_for_selector("#error")
    shot(page, artifacts, "data-refused", "bob", "3 users, 2 groups")  # one transaction: no dan
    broken = tmp_path / "broken.json"
    broken.write_text('{"users": [{"userName": ""}]}')
    page.set_input_files("input[name=document]", str(broken))
    page.click("button[value=snapshot]")
    page.wait_for_selector("#error")
    assert "seed data: users/0" in page.inner_text("#error")
    assert page.inner_text("#counts") == "3 users, 2 groups."  # checked before the reset


def test_an_upload_over_the_admin_apis_limit_is_refused(tmp_path: Path) -> None:
    """The data page takes the files ``POST /seed`` takes: up to
    SCIMDOCK_MAX_UPLOAD bytes (set low here: the limit is what is tested)."""
    server = ScimMock(env={"TMPDIR": str(tmp_path), "SCIMDOCK_MAX_UPLOAD": "2000"})
    origin = {"Origin": console(server).removesuffix("/console")}
    try:
        with httpx.Client(base_url=console(server), timeout=10) as browser_like:
            browser_like.post("/login", data={"token": server.admin_token}, headers=origin)
            url = f"/t/{server.tenant}/data"
            csrf = browser_like.get(url).text.split('name="csrf" value="')[1].split('"')[0]
            users = [{"userName": f"user{i}@example.com"} for i in range(100)]
            said = []
            for document in ({"users": users}, {"users": users[:2]}):
                sent = browser_like.post(
                    url,
                    data={"csrf": csrf, "action": "seed"},
                    files={"document": ("seed.json", json.dumps(document).encode())},
                    headers=origin,
                )
                assert sent.status_code == 303
                page = browser_like.get(origin["Origin"] + sent.headers["location"]).text
                said.append(page.split('id="counts">')[1].split("<")[0])
                assert ("is over 2000 bytes" in page) == (len(document["users"]) == 100)
        assert said == ["0 users, 0 groups.", "2 users, 0 groups."]
    finally:
        server.stop()
