"""``SCIMDOCK_PUBLIC_URL`` with a ``{tenant}`` placeholder: each tenant's
``meta.location`` (RFC 7643 §3.1) and ``Location`` (RFC 7644 §3.3) name
its own host, not one fixed host for every tenant (docs/configuration.md)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conftest import Client, Server, start_server, stop_server

pytestmark = pytest.mark.backend_independent(
    "the URLs the server builds from its settings and the Host"
)

PUBLIC = "https://{tenant}.scim.example.test/scim/v1"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("public-url"), env={"SCIMDOCK_PUBLIC_URL": PUBLIC}, in_process=True
    )
    yield srv
    stop_server(srv)


def _base(tenant: str) -> str:
    return PUBLIC.replace("{tenant}", tenant)


@pytest.mark.parametrize("tenant", ["acme", "globex"])
def test_each_tenant_locations_are_on_its_own_host(public_server: Server, tenant: str) -> None:
    client = Client(public_server, public_server.tenant(tenant))
    made = client.post("/Users", json={"schemas": [USER], "userName": f"ann@{tenant}.test"})
    assert made.status_code == 201, made.text
    location = f"{_base(tenant)}/Users/{made.json()['id']}"
    assert made.headers["location"] == made.json()["meta"]["location"] == location
    group = client.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "staff",
            "members": [{"value": made.json()["id"]}],
        },
    )
    assert group.status_code == 201, group.text
    assert group.json()["meta"]["location"].startswith(f"{_base(tenant)}/Groups/")
    assert group.json()["members"][0]["$ref"] == location
    listed = client.get("/Users").json()["Resources"]
    assert [u["meta"]["location"] for u in listed] == [location]


def test_discovery_without_a_key_uses_the_tenant_the_host_names(public_server: Server) -> None:
    """Discovery takes no key (RFC 7644 §4), so only the Host can name the
    tenant; with no tenant known, the URL is the one the client used."""
    url = f"{public_server.base}/ResourceTypes/User"
    named = httpx.get(url, headers={"Host": "initech.localhost"})
    assert named.json()["meta"]["location"] == f"{_base('initech')}/ResourceTypes/User"
    plain = httpx.get(url)
    assert plain.json()["meta"]["location"] == url


def test_an_admin_restore_answers_the_tenant_location(public_server: Server) -> None:
    client = Client(public_server, public_server.tenant("umbrella"))
    made = client.post("/Users", json={"schemas": [USER], "userName": "gone@umbrella.test"})
    assert client.delete(f"/Users/{made.json()['id']}").status_code == 204
    admin = Client(public_server, public_server.operator_token, admin=True)
    restored = admin.post(f"/tenants/umbrella/tombstones/{made.json()['id']}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["location"] == f"{_base('umbrella')}/Users/{made.json()['id']}"
