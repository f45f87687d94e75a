"""The mock's recording proxy (docs/mock.md, "Recording proxy") in front
of real service providers: scimdock itself (the session's server), another
``scimdock mock`` that misbehaves on purpose, and python-scim's
``scim2-server`` started from its package. What a second mock, given the
recorded profile and snapshot, answers to the same requests as the target."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Server, free_port, wait_until
from scimdock.core.credentials import decode_token
from scimdock.core.schema import CORE_GROUP, CORE_USER
from scimdock.mock.testing import ScimMock
from tests.integration.test_mock import admin, is_scim_error, scim

pytestmark = pytest.mark.backend_independent(
    "the mock's proxy, on a throwaway SQLite database of its own"
)

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TARGET_KINDS = ("target", "target-choice")


def proxy(*args: str) -> ScimMock:
    return ScimMock("--proxy", *args)


def notes(entry: dict[str, Any]) -> set[str]:
    return {n["rule"] for n in entry["conformance"] if n["kind"] in TARGET_KINDS}


def test_in_front_of_scimdock_both_sides_are_journaled_and_the_token_is_swapped(
    server: Server,
) -> None:
    token = server.tenant("proxied")
    mock = proxy(server.base, "--proxy-token", token)
    try:
        with scim(mock) as client:
            made = client.post("/Users", json={"schemas": [CORE_USER], "userName": "ann"})
            assert made.status_code == 201, made.text
            assert made.headers["location"].startswith(f"{mock.url}/Users/")  # pointed at the mock
            uid = made.json()["id"]
            patched = client.patch(
                f"/Users/{uid}",
                json={
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "active", "value": False}],
                },
            )
            assert patched.status_code == 200 and patched.json()["active"] is False
            assert client.get("/Users", params={"count": 1}).json()["totalResults"] == 1
            assert is_scim_error(client.get("/Users/nope"), 404)
        # The write reached the target: its own key reads it there.
        direct = httpx.get(
            f"{server.base}/Users/{uid}", headers={"Authorization": f"Bearer {token}"}
        )
        assert direct.json()["active"] is False
        # The mock's own key is what the client needs: another is refused, not forwarded.
        refused = httpx.get(f"{mock.url}/Users", headers={"Authorization": f"Bearer {token}"})
        assert is_scim_error(refused, 401)
        with admin(mock) as console:
            entries = console.get("/journal", params={"count": 100}).json()["Resources"]
            har = console.get("/journal.har").text
            recording = console.get("/proxy/recording").json()
            unsaved = console.post("/proxy/recording")
        assert is_scim_error(unsaved, 409) and "--record DIR" in unsaved.json()["detail"]
        assert recording["target"] == server.base and recording["folder"] is None
        assert [(u["id"], u["active"]) for u in recording["snapshot"]["users"]] == [(uid, False)]
        assert recording["profile"]["patchResponse"] == "resource"  # a user's PATCH answered 200
        assert [(e["method"], e["status"]) for e in entries] == [
            ("POST", 201),
            ("PATCH", 200),
            ("GET", 200),
            ("GET", 404),
            ("GET", 401),
        ]
        post = entries[0]
        assert post["proxy"]["url"] == f"{server.base}/Users" and post["proxy"]["status"] == 201
        assert post["request"]["body"]["userName"] == "ann"
        assert post["request"]["headers"]["authorization"] == "Bearer ****"
        assert post["response"]["body"]["id"] == uid
        # scimdock answers as RFC 7644 says: no note on its answers.
        assert [notes(e) for e in entries[:4]] == [set(), set(), set(), set()]
        assert "proxy" not in entries[4]  # refused before anything went to the target
        pair = decode_token(token)
        assert pair is not None
        for text in (json.dumps(entries), har):
            assert token not in text and pair[1] not in text
    finally:
        mock.stop()


@pytest.fixture
def slow_target(tmp_path: Path) -> Iterator[ScimMock]:
    """A scimdock mock that is slow on /Users and resets /Groups."""
    target = ScimMock(
        "--fault",
        '{"method": "GET", "path": "/Users", "latencyMs": 1000}',
        "--fault",
        '{"path": "/Groups*", "drop": "reset"}',
        env={"TMPDIR": str(tmp_path)},
    )
    try:
        yield target
    finally:
        target.stop()


def test_a_target_that_is_slow_or_down_is_a_504_or_502_never_a_500(
    slow_target: ScimMock,
) -> None:
    mock = proxy(slow_target.url, "--proxy-token", slow_target.token, "--proxy-timeout", "0.3")
    try:
        with scim(mock) as client:
            slow = client.get("/Users")
            assert is_scim_error(slow, 504), slow.text
            assert "did not answer within 0.3 s" in slow.json()["detail"]
            reset = client.post("/Groups", json={"schemas": [CORE_GROUP], "displayName": "Eng"})
            assert is_scim_error(reset, 502), reset.text
            assert slow_target.url in reset.json()["detail"]
            slow_target.stop()
            down = client.get("/Schemas")
            assert is_scim_error(down, 502)
            assert "could not be reached" in down.json()["detail"]
        entries = mock.journal()
        assert [e["status"] for e in entries] == [504, 502, 502]
        assert entries[1]["request"]["body"]["displayName"] == "Eng"  # the attempt, journaled
        assert all(e["proxy"]["error"] == e["response"]["body"]["detail"] for e in entries)
    finally:
        mock.stop()


def test_proxy_options_are_checked_before_the_mock_starts() -> None:
    cases = {
        ("--record", "x"): "--record and --proxy-token go with --proxy URL",
        ("--proxy", "http://127.0.0.1:1/scim/v2"): "--proxy needs --proxy-token",
        ("--proxy", "ftp://example.com", "--proxy-token", "t"): "an http:// or https:// base URL",
    }
    runs = {  # side by side: each only starts Python and parses its options
        args: subprocess.Popen(
            [sys.executable, "-m", "scimdock", "mock", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in cases
    }
    for args, process in runs.items():
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 2 and cases[args] in err, (args, err)


@pytest.fixture
def scim2_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """python-scim's ``scim2-server`` command (in memory), its base URL and token."""
    port, token = free_port(), "scim2-server-token"
    log = tmp_path / "scim2-server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scim2_server.testserver.cli",
                "--port",
                str(port),
                "--bearer-token",
                token,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v2"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/ServiceProviderConfig").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, 30, "scim2-server", process=process, log=log)
        yield base, token
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def lookup(client: httpx.Client, kind: str, attribute: str, value: str) -> str:
    found = client.get(f"/{kind}", params={"filter": f'{attribute} eq "{value}"'}).json()
    return str(found["Resources"][0]["id"])


def shape(response: httpx.Response) -> tuple[Any, ...]:
    """What a client relies on in an answer: status, media type, ETag or
    not, and the body's kind (an error's scimType, a list's totals, a
    resource's name and member count)."""
    kind = response.headers.get("content-type", "").split(";")[0] if response.content else None
    head = (response.status_code, kind, "etag" in response.headers)
    if not response.content:
        return (*head, None)
    body = response.json()
    if "Error" in str(body.get("schemas")):
        return (*head, "error", body.get("scimType"))
    if "Resources" in body:
        return (*head, "list", body["totalResults"], len(body["Resources"]))
    if "etag" in body:  # /ServiceProviderConfig
        return (*head, "config", body["etag"]["supported"], body["filter"]["supported"])
    name = body.get("userName") or body.get("displayName")
    return (*head, "resource", name, body.get("active"), len(body.get("members") or []))


def sequence(client: httpx.Client) -> list[tuple[Any, ...]]:
    """The same requests, on a target or a mock holding the same data."""
    ann = lookup(client, "Users", "userName", "ann")
    eng = lookup(client, "Groups", "displayName", "Eng")
    bob = lookup(client, "Users", "userName", "bob")
    replace: Callable[[str, Any], dict[str, Any]] = lambda path, value: {  # noqa: E731
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": path, "value": value}],
    }
    add_bob = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": bob}]}],
    }
    return [
        shape(r)
        for r in (
            client.get("/Users", params={"filter": 'userName eq "ANN"'}),
            client.get("/Users", params={"filter": "active eq false"}),
            client.post("/Users", json={"schemas": [CORE_USER], "userName": "Ann"}),
            client.patch(f"/Users/{ann}", json=replace("displayName", "Ann Smith")),
            client.get(f"/Users/{ann}"),
            client.patch(f"/Groups/{eng}", json=add_bob),
            client.get(f"/Groups/{eng}"),
            client.get("/Users/2819c223-7f76-453a-919d-413861904646"),
            client.delete(f"/Users/{bob}"),
            client.get("/Users"),
            client.get("/ServiceProviderConfig"),
        )
    ]


def test_a_recording_of_scim2_server_is_reproduced_by_a_second_mock(
    scim2_server: tuple[str, str], tmp_path: Path
) -> None:
    base, token = scim2_server
    folder, saved_to = tmp_path / "recorded", tmp_path / "saved"
    mock = proxy(base, "--proxy-token", token, "--record", str(folder))
    try:
        with scim(mock) as client:
            for name in ("ann", "bob"):
                assert (
                    client.post(
                        "/Users", json={"schemas": [CORE_USER], "userName": name}
                    ).status_code
                    == 201
                )
            ann = lookup(client, "Users", "userName", "ann")
            group = {"schemas": [CORE_GROUP], "displayName": "Eng", "members": [{"value": ann}]}
            assert client.post("/Groups", json=group).status_code == 201
            bob = lookup(client, "Users", "userName", "bob")
            deactivate = {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
            assert client.patch(f"/Users/{bob}", json=deactivate).status_code == 204
            with admin(mock) as console:
                saved = console.post("/proxy/recording").json()
            # As saved then: the mock saves again, the target's latest, when it stops.
            shutil.copytree(folder, saved_to)
            recorded = sequence(client)  # the target, holding what was saved
        assert saved["saved"] == [str(folder / "snapshot.json"), str(folder / "profile.json")]
        profile = json.loads((folder / "profile.json").read_text())
        assert (profile["patchResponse"], profile["filter"], profile["etag"]) == (
            "noContent",
            "all",
            True,
        )
        assert profile["userNameCaseExact"] is False
        snapshot = json.loads((folder / "snapshot.json").read_text())
        assert [(u["userName"], u.get("active")) for u in snapshot["users"]] == [
            ("ann", None),
            ("bob", False),
        ]
        assert snapshot["groups"][0]["members"] == ["ann"]
        patch_notes = [notes(e) for e in mock.journal(method="PATCH")]
        assert patch_notes and all("patch-no-content" in n for n in patch_notes)
    finally:
        mock.stop()
    # Saved again as the mock stopped: the target's latest, bob deleted since.
    final = json.loads((folder / "snapshot.json").read_text())
    assert [u["userName"] for u in final["users"]] == ["ann"]
    assert recorded[0][3:] == ("list", 1, 1)  # "ANN" found "ann": userName caseExact false
    assert recorded[2][0] == 409 and recorded[2][-1] == "uniqueness"  # and "Ann" is taken
    assert [r[0] for r in recorded][3:6] == [204, 200, 204]  # PATCH answered 204, as recorded
    twin = ScimMock(
        "--profile", str(saved_to / "profile.json"), "--seed", str(saved_to / "snapshot.json")
    )
    try:
        with scim(twin) as client:
            assert sequence(client) == recorded
    finally:
        twin.stop()
