"""The mock's web console (docs/mock.md, "Console") in a real headless
browser: Playwright for Python driving Debian's chromium, one screenshot
per page, each checked for what the page must show; and its sign-in
session and CSRF defences over plain HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scimdock.mock.testing import ScimMock
from tests.integration.test_mock_conformance import USER, admin, scim, start

pytestmark = pytest.mark.backend_independent(
    "the console's pages and sessions in a browser; what they show is the admin API's, tested on both"
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PNG = b"\x89PNG\r\n\x1a\n"


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    why = f"{CHROMIUM} is missing: `make chromium` as root installs Debian's package"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[ScimMock]:
    server = start(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def console(mock: ScimMock) -> str:
    return mock.url.replace("/scim/v1", "/console")


def shot(page: Any, folder: Path, name: str, *texts: str) -> None:
    """A screenshot of the page, after checking that it shows ``texts``."""
    body = page.inner_text("body")
    for text in texts:
        assert text in body, (name, text, body[:2000])
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 1000, name


def test_every_page_in_a_real_browser(mock: ScimMock, browser: Any, tmp_path: Path) -> None:
    with admin(mock) as adm:
        seeded = adm.post(
            "/seed",
            json={
                "users": [
                    {"userName": "ann@example.com", "displayName": "Ann"},
                    {"userName": "bob@example.com", "active": False},
                ],
                "groups": [{"displayName": "Engineering", "members": ["ann@example.com"]}],
            },
        )
        assert seeded.status_code == 200, seeded.text
    context = browser.new_context()
    page = context.new_page()
    page.goto(console(mock) + "/")
    shot(page, tmp_path, "login", "Sign in", "Admin token")
    page.fill("input[name=token]", "wrong")
    page.click("button[type=submit]")
    shot(page, tmp_path, "login-refused", "Invalid admin token")
    page.fill("input[name=token]", mock.admin_token)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/tenants")
    shot(page, tmp_path, "tenants", "Tenants", mock.tenant)

    [cookie] = context.cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/console"
    assert mock.admin_token not in cookie["value"]

    base = f"{console(mock)}/t/{mock.tenant}"
    page.goto(f"{base}/users")
    shot(page, tmp_path, "users", "Users (2)", "ann@example.com", "active", "inactive")
    assert page.inner_text("tr:has-text('bob@example.com') td:nth-child(3)") == "inactive"
    assert page.inner_text("tr:has-text('ann@example.com') td:nth-child(3)") == "active"

    page.goto(f"{base}/groups")
    shot(page, tmp_path, "groups", "Groups (1)", "Engineering", "1 members")

    page.goto(f"{base}/keys")
    page.fill("input[name=label]", "from the console")
    page.click("text=Create key")
    page.wait_for_selector("#new-token")
    token = page.inner_text("#new-token").strip()
    shot(page, tmp_path, "keys", "SCIM keys", "from the console", "shown once")
    with httpx.Client(base_url=mock.url, headers={"Authorization": f"Bearer {token}"}) as fresh:
        assert fresh.get("/Users").status_code == 200
        page.click("tr:has-text('from the console') >> text=Revoke")
        page.wait_for_selector("tr:has-text('from the console') >> text=revoked")
        assert fresh.get("/Users").status_code == 401
    page.reload()
    assert token not in page.content()  # shown once only

    page.goto(f"{base}/journal")
    page.wait_for_selector("#live:has-text('following')")
    with scim(mock, **{"User-Agent": "Azure-SCIM-Test/1.0"}) as client:
        made = client.post("/Users", json={"schemas": [USER], "userName": "cy", "active": "True"})
        assert made.status_code == 201
    page.wait_for_selector("#entries tr:has-text('boolean-string')")
    shot(page, tmp_path, "journal", "Journal", "POST /Users", "boolean-string")

    page.goto(f"{base}/mock")
    page.select_option("select[name=preset]", "no-etag")
    page.click("text=Use preset")
    page.wait_for_selector("#profile-name:has-text('no-etag')")
    page.click("text=Add fault")
    page.wait_for_selector("text=Fault rules (1)")
    shot(page, tmp_path, "mock", "Behaviour profile: no-etag", "ETags off", "Fault rules (1)")
    with admin(mock) as adm:
        assert adm.get("/profile").json()["name"] == "no-etag"
        assert adm.get("/faults").json()["Resources"][0]["rule"]["status"] == 429

    for name in ("tenants", "users", "groups", "keys", "journal", "mock"):
        path = f"{console(mock)}/tenants" if name == "tenants" else f"{base}/{name}"
        page.goto(path)
        assert mock.admin_token not in page.content(), name
    context.close()


def test_posts_need_the_session_csrf_token_and_this_origin(mock: ScimMock) -> None:
    origin = console(mock).removesuffix("/console")
    with httpx.Client(base_url=console(mock), timeout=10) as browser_like:
        signed = browser_like.post(
            "/login", data={"token": mock.admin_token}, headers={"Origin": origin}
        )
        assert signed.status_code == 303
        cookie = signed.cookies["scimdock_console"]
        assert "httponly" in signed.headers["set-cookie"].lower()
        assert "samesite=strict" in signed.headers["set-cookie"].lower()
        keys = browser_like.get(f"/t/{mock.tenant}/keys")
        assert keys.status_code == 200
        csrf = keys.text.split('name="csrf" value="')[1].split('"')[0]
        url = f"/t/{mock.tenant}/keys"
        assert (
            browser_like.post(url, data={"label": "x"}, headers={"Origin": origin}).status_code
            == 403
        )
        wrong = {"label": "x", "csrf": csrf[:-1] + ("A" if csrf[-1] != "A" else "B")}
        assert browser_like.post(url, data=wrong, headers={"Origin": origin}).status_code == 403
        other = {"Origin": "http://evil.example"}
        assert (
            browser_like.post(url, data={"label": "x", "csrf": csrf}, headers=other).status_code
            == 403
        )
        assert (
            browser_like.post(url, data={"label": "x", "csrf": csrf}).status_code == 403
        )  # no Origin
        made = browser_like.post(url, data={"label": "x", "csrf": csrf}, headers={"Origin": origin})
        assert made.status_code == 303
        with admin(mock) as adm:
            labels = [k["label"] for k in adm.get("/keys").json()["Resources"]]
        assert labels.count("x") == 1
        assert (
            browser_like.post(
                "/logout", data={"csrf": csrf}, headers={"Origin": origin}
            ).status_code
            == 303
        )
        assert browser_like.get(f"/t/{mock.tenant}/keys").status_code == 303
    assert cookie and mock.admin_token not in cookie
    # Cross-site sign-in is refused too, and a page needs a session.
    assert httpx.post(f"{console(mock)}/login", data={"token": mock.admin_token}).status_code == 403
    assert httpx.get(f"{console(mock)}/t/{mock.tenant}/users").status_code == 303
