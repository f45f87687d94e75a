"""``/Me`` is not supported: 501 for every method (RFC 7644 §3.11).

A scimdock key belongs to a tenant, not to a User; §3.11: "If the service
provider does not support the /Me endpoint, it SHOULD respond with HTTP
status code 501 (Not Implemented)", here as a SCIM Error (§3.12).
"""

from __future__ import annotations

import httpx
import pytest

from conftest import Client, Server

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_every_method_on_me_is_501_not_implemented(client: Client, method: str) -> None:
    bodies = {
        "POST": {"schemas": [USER], "userName": "me@example.com"},
        "PUT": {"schemas": [USER], "userName": "me@example.com"},
        "PATCH": {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "userName", "value": "me@example.com"}],
        },
    }
    r = client.request(method, "/Me", **({"json": bodies[method]} if method in bodies else {}))
    assert r.status_code == 501, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    assert r.json()["schemas"] == [ERROR] and r.json()["status"] == "501"
    assert "/Me" in r.json()["detail"]
    # Nothing was made through /Me.
    assert client.get("/Users").json()["totalResults"] == 0


def test_me_without_a_key_is_401_first(server: Server) -> None:
    r = httpx.get(f"{server.base}/Me")
    assert r.status_code == 401 and r.json()["schemas"] == [ERROR]
