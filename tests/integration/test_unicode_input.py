"""Lone surrogates (``"\\ud800"`` escapes) are valid JSON but no Unicode
text: every place a client can put one answers a SCIM Error 400 and
writes nothing (house rule: no 500 for anything a client can send)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from conftest import Server

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _send(server: Server, token: str, method: str, path: str, raw: str) -> httpx.Response:
    return httpx.request(
        method,
        f"{server.base}{path}",
        content=raw.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", "/Users", '{"schemas":["%s"],"userName":"bad\\ud800name"}' % CORE),
        ("POST", "/Users", '{"schemas":["%s"],"userName":"ok@x","displayName":"\\udfff"}' % CORE),
        (
            "POST",
            "/Groups",
            '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g\\ud800"}',
        ),
        (
            "POST",
            "/Users/.search",
            '{"schemas":["%s"],"filter":"userName eq \\"\\ud800\\""}' % SEARCH,
        ),
        ("POST", "/Users/.search", '{"schemas":["%s"],"filter":"userName eq \\"\\ud800"}' % SEARCH),
    ],
)
def test_a_lone_surrogate_is_a_400_and_nothing_is_written(
    server: Server, method: str, path: str, raw: str
) -> None:
    token = server.tenant(f"surrogates-{uuid.uuid4().hex[:8]}")
    r = _send(server, token, method, path, raw)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["schemas"] == [ERROR] and body["status"] == "400"
    assert r.headers["content-type"].startswith("application/scim+json")
    users = httpx.get(f"{server.base}/Users", headers={"Authorization": f"Bearer {token}"})
    groups = httpx.get(f"{server.base}/Groups", headers={"Authorization": f"Bearer {token}"})
    assert users.json()["totalResults"] == 0 and groups.json()["totalResults"] == 0


def test_a_lone_surrogate_in_a_patch_changes_nothing(server: Server) -> None:
    token = server.tenant("surrogate-patch")
    auth = {"Authorization": f"Bearer {token}"}
    made = httpx.post(
        f"{server.base}/Users",
        headers=auth,
        json={"schemas": [CORE], "userName": "keep@example.com"},
    ).json()
    raw = (
        '{"schemas":["%s"],"Operations":[{"op":"replace","path":"displayName",'
        '"value":"\\ud800"}]}' % PATCHOP
    )
    r = _send(server, token, "PATCH", f"/Users/{made['id']}", raw)
    assert r.status_code == 400 and r.json()["schemas"] == [ERROR], r.text
    after = httpx.get(f"{server.base}/Users/{made['id']}", headers=auth).json()
    assert "displayName" not in after and after["meta"]["version"] == made["meta"]["version"]
