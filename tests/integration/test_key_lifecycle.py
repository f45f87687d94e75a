"""SCIM credentials over HTTP (docs/admin.md): revocation, expiry, rotation with
and without grace and a tenant switched off all refuse the very next
request; admin tokens are not SCIM credentials; last use is recorded
without a write per request. Expiry and grace run on the server's clock,
which these tests hold (conftest.ClockedServer): no test waits for time to
pass. The CLI, a process of its own, keeps the system clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from conftest import ClockedServer, Server, cli, start_server, stop_server, wait_until
from scimdock.core import clock


def _get(server: Server, token: str, **headers: str) -> httpx.Response:
    return httpx.get(
        f"{server.base}/Users", headers={"Authorization": f"Bearer {token}", **headers}
    )


def _key_id(token: str) -> str:
    return base64.b64decode(token).decode().split(":", 1)[0]


def _refused(r: httpx.Response, word: str) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert word in r.json()["detail"], r.json()["detail"]


def _rotate(server: Server, key_id: str, *extra: str) -> dict[str, Any]:
    out = cli(server.db, "key", "rotate", key_id, "--json", *extra)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def _keys(server: Server, tenant: str) -> list[dict[str, Any]]:
    out = cli(server.db, "key", "list", "--tenant", tenant, "--json")
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


def test_revoke_then_use_is_401_on_the_very_next_request(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name)
    other = server.key(tenant_name)
    assert _get(server, token).status_code == 200
    assert cli(server.db, "key", "revoke", _key_id(token)).returncode == 0
    _refused(_get(server, token), "revoked")
    assert _get(server, other).status_code == 200  # only that key


def _status(server: Server, tenant: str, key_id: str) -> str:
    """The key's status as the server sees it (its clock), from the admin API."""
    r = httpx.get(
        f"{server.admin}/tenants/{tenant}/keys/{key_id}",
        headers={"Authorization": f"Bearer {server.operator_token}"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def test_expired_key_is_401_from_the_next_request_on(
    clocked_server: ClockedServer, tenant_name: str
) -> None:
    server = clocked_server
    token = server.tenant(tenant_name)
    key_id = _key_id(token)
    assert cli(server.db, "key", "update", key_id, "--expires", "2099-01-01").returncode == 0
    assert _get(server, token).status_code == 200
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert cli(server.db, "key", "update", key_id, "--expires", soon.isoformat()).returncode == 0
    [key] = _keys(server, tenant_name)
    assert key["expires"] == clock.text(soon)
    server.clock.set(clock.shifted(key["expires"], -0.000001))  # the last valid microsecond
    assert _get(server, token).status_code == 200
    assert _status(server, tenant_name, key_id) == "active"
    server.clock.set(key["expires"])  # expired from that instant on
    _refused(_get(server, token), "expired")
    assert _status(server, tenant_name, key_id) == "expired"
    assert cli(server.db, "key", "update", key_id, "--no-expiry").returncode == 0
    assert _get(server, token).status_code == 200
    # An expiry in the past is refused: to stop a key now, revoke it.
    past = cli(server.db, "key", "create", "--tenant", tenant_name, "--expires", "2001-01-01")
    assert past.returncode != 0 and "future" in past.stderr


def test_rotate_without_grace_refuses_the_old_secret_at_once(
    server: Server, tenant_name: str
) -> None:
    old = server.tenant(tenant_name)
    rotated = _rotate(server, _key_id(old))
    assert rotated["id"] == _key_id(old) and rotated["previousSecretValidUntil"] is None
    _refused(_get(server, old), "Invalid credentials")
    assert _get(server, rotated["token"]).status_code == 200


def test_rotate_with_grace_accepts_both_secrets_until_the_grace_ends(
    clocked_server: ClockedServer, tenant_name: str
) -> None:
    server = clocked_server
    old = server.tenant(tenant_name)
    rotated = _rotate(server, _key_id(old), "--grace", "3600")
    assert rotated["previousSecretValidUntil"] is not None
    assert _get(server, old).status_code == 200
    assert _get(server, rotated["token"]).status_code == 200
    # A second rotation: only the latest previous secret has a grace.
    short = _rotate(server, _key_id(old), "--grace", "60")
    assert _get(server, short["token"]).status_code == 200
    _refused(_get(server, old), "Invalid credentials")  # two rotations ago: gone
    ends = short["previousSecretValidUntil"]
    server.clock.set(clock.shifted(ends, -0.000001))  # the grace's last microsecond
    assert _get(server, rotated["token"]).status_code == 200
    server.clock.set(ends)  # the grace is over: refused from that instant on
    _refused(_get(server, rotated["token"]), "Invalid credentials")
    assert _get(server, short["token"]).status_code == 200


def test_disable_then_use_is_401_and_enable_restores(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name)
    assert _get(server, token).status_code == 200
    assert cli(server.db, "tenant", "disable-scim", tenant_name).returncode == 0
    _refused(_get(server, token), "not enabled")
    assert cli(server.db, "tenant", "enable-scim", tenant_name).returncode == 0
    assert _get(server, token).status_code == 200


def test_admin_tokens_are_refused_by_the_scim_api(server: Server, tenant_name: str) -> None:
    server.tenant(tenant_name)
    for extra in (("--tenant", tenant_name), ()):
        out = cli(server.db, "admin-token", "create", *extra, "--json")
        assert out.returncode == 0, out.stderr
        token = json.loads(out.stdout)["token"]
        _refused(_get(server, token), "Invalid credentials")
        r = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Basic {token}"})
        assert r.status_code == 401
    assert server.operator_token  # SCIMDOCK_ADMIN_TOKEN of the server: not a SCIM key either
    assert _get(server, server.operator_token).status_code == 401


def test_last_use_is_flushed_within_seconds_and_shows_time_and_address(
    server: Server, tenant_name: str
) -> None:
    token = server.tenant(tenant_name)
    assert _keys(server, tenant_name)[0]["lastUsed"] is None
    assert _get(server, token, **{"X-Forwarded-For": "203.0.113.77"}).status_code == 200

    def flushed() -> dict[str, Any] | None:
        key = _keys(server, tenant_name)[0]
        return key if key["lastUsed"] is not None else None

    # Flushed every few seconds: poll (a CLI run each), do not time it.
    key = wait_until(flushed, 30, "the last use to reach the database", every=0.5)
    assert key["lastUsedFrom"] == "203.0.113.77"


def test_last_use_is_written_at_shutdown(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    try:
        token = srv.tenant("flush")
        assert _get(srv, token).status_code == 200
    finally:
        stop_server(srv)
    [key] = _keys(srv, "flush")
    assert key["lastUsed"] is not None and key["lastUsedFrom"] == "127.0.0.1"


def test_two_servers_in_one_process_each_write_their_last_uses(tmp_path: Path) -> None:
    """Each store's key uses are flushed on a timer of its own: of two apps
    served side by side in one process (in-process test servers, an
    embedding), the second's uses are written too, not left waiting for a
    flush the first one scheduled for its own store."""
    servers = [start_server(tmp_path / name, in_process=True) for name in ("one", "two")]
    try:
        for srv in servers:
            assert _get(srv, srv.tenant("flush")).status_code == 200
        for srv in servers:
            wait_until(
                lambda srv=srv: _keys(srv, "flush")[0]["lastUsed"],
                30,
                f"the last use on {srv.origin} to reach its database",
                every=0.5,
            )
    finally:
        for srv in servers:
            stop_server(srv)
