"""The service root, ``/scim/v1`` with or without its trailing slash.

RFC 7644 §3.4.2: "A query against a server root indicates that all
resources within the server SHALL be included, subject to filtering", the
GET twin of ``POST /.search`` (§3.4.3). The base URL as an administrator
pastes it, with or without the slash, is that root: never a redirect.
"""

from __future__ import annotations

import httpx
import pytest

from conftest import Client, Server

pytestmark = pytest.mark.backend_independent("routing of the service root and its slashes")

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_the_root_lists_every_resource_type_with_or_without_the_slash(client: Client) -> None:
    user = client.post("/Users", json={"schemas": [USER], "userName": "root@example.com"})
    group = client.post("/Groups", json={"schemas": [GROUP], "displayName": "Root group"})
    assert user.status_code == group.status_code == 201
    bare = client.http.request("GET", client.server.base)  # no trailing slash
    slash = client.get("/")
    for r in (bare, slash):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/scim+json")
        assert r.json()["schemas"] == [LIST]
        assert {x["id"] for x in r.json()["Resources"]} == {user.json()["id"], group.json()["id"]}
    assert bare.json() == slash.json()


def test_the_root_filters_and_pages_like_dot_search(client: Client) -> None:
    for name in ("a@example.com", "b@example.com"):
        assert client.post("/Users", json={"schemas": [USER], "userName": name}).status_code == 201
    assert client.post("/Groups", json={"schemas": [GROUP], "displayName": "G"}).status_code == 201
    query = {"filter": 'meta.resourceType eq "User"', "sortBy": "userName", "count": 1}
    got = client.get("", params=query)
    searched = client.post("/.search", json=query)
    assert got.status_code == searched.status_code == 200, got.text
    assert got.json() == searched.json()
    assert got.json()["totalResults"] == 2
    assert [r["userName"] for r in got.json()["Resources"]] == ["a@example.com"]
    bad = client.get("/", params={"filter": "userName eq"})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_the_root_never_redirects_and_needs_a_key(server: Server) -> None:
    for url in (server.base, f"{server.base}/"):
        r = httpx.get(url, follow_redirects=False)
        assert r.status_code == 401, (url, r.status_code, r.headers.get("location"))
        assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    # Only GET queries the root: a POST is 405 with its Allow, not a redirect.
    r = httpx.post(server.base, json={}, follow_redirects=False)
    assert r.status_code == 405 and r.headers["allow"] == "GET"
