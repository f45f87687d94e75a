"""``scimdock check`` against python-scim's scim2-server, started from its
package as its own command starts it (``scim2-server --port N``: no token,
every feature of its ServiceProviderConfig on but cursors, an in-memory
store). The report must list exactly its known differences, every run:
each below is a real departure from the rule the check cites.

The fuzz suite is left out here: its findings on another server depend on
what the generator draws, and this list must be the same every run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import free_port, wait_until
from tests.integration.test_check import run_check

pytestmark = pytest.mark.backend_independent(
    "the server under test is scim2-server, in memory; scimdock's store takes no part"
)

#: Check → what scim2-server does instead, and why that is a difference.
KNOWN = {
    # RFC 7643 §5 makes authenticationSchemes REQUIRED; without a token the
    # server lists none.
    "rfc.discovery.spc": "no authenticationSchemes list",
    # It authenticates nobody without --bearer-token: 200, not 401.
    "rfc.auth.missing": "answered 200, not 401",
    "rfc.auth.wrong": "answered 200, not 401",
    "entra.test_connection": "status: expected 401, got 200",
    "okta.test_connection": "status: expected 401, got 200",
    # A user PATCH answered 204; both providers document a 200 with the user.
    "entra.deprovision_and_delete": "status: expected 200, got 204",
    "entra.patch_attributes": "status: expected 200, got 204",
    "entra.patch_manager": "status: expected 200, got 204",
    "entra.unchanged_patch_is_a_no_op": "status: expected 200, got 204",
    "entra.username_change_and_uniqueness": "status: expected 200, got 204",
    "okta.deactivate_and_reactivate": "status: expected 200, got 204",
    "okta.paging": "status: expected 200, got 204",
    # Entra ID's Create Group names its ADSCIM Group schema; refused with 400.
    "entra.group_lifecycle": "Unknown extension schemas",
    "entra.group_membership": "Unknown extension schemas",
    # The password (returned never, RFC 7643 §4.1.1, §7) can be probed by a
    # filter: the user comes back for password eq "<its password>".
    "okta.create_user": "GET /Users?filter=password eq",
    # A member's User shows no groups (RFC 7643 §4.1.2), which its schema lists.
    "okta.group_push": "groups[0].value: expected",
}


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("scim2") / "scim2-server.log"
    command = Path(sys.executable).parent / "scim2-server"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(command), "--port", str(port)], stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}/v2"
    try:
        wait_until(lambda: _serving(base), 30, "scim2-server to start", process=process, log=log)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _serving(base: str) -> bool:
    try:
        return httpx.get(f"{base}/ServiceProviderConfig").status_code == 200
    except httpx.TransportError:
        return False


def test_scim2_server_shows_its_known_differences(peer: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    out = run_check(
        peer,
        "no-token-needed",
        "--suite",
        "rfc,entra,okta",
        "--rate",
        "1000",
        "--json",
        str(report),
    )
    assert out.returncode == 1, out.stderr
    results = {r["id"]: r for r in json.loads(report.read_text())["results"]}
    failed = {i for i, r in results.items() if r["outcome"] == "failed"}
    assert failed == set(KNOWN), sorted(failed ^ set(KNOWN))
    for name, words in KNOWN.items():
        assert words in results[name]["reason"], (name, results[name]["reason"])
    skipped = {i: r["reason"] for i, r in results.items() if r["outcome"] == "skipped"}
    assert skipped == {
        "rfc.cursor": "ServiceProviderConfig pagination.cursor is not true (RFC 9865 §4)",
        "rfc.discovery.extensions": "/Schemas and /ResourceTypes name no schema extension "
        "of the target's own",
        "entra.custom_extension_attributes": "the flow needs the extension schema "
        "urn:ietf:params:scim:schemas:extension:contoso:2.0:User, which /Schemas does not list",
    }
    for endpoint in ("/Users", "/Groups"):  # what the run made, it deleted
        assert httpx.get(f"{peer}{endpoint}").json()["totalResults"] == 0
