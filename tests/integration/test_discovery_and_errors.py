"""Discovery endpoints, the served contract, and routing errors."""

from __future__ import annotations

import httpx
import yaml

from conftest import SPEC, Client, Server

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def test_service_provider_config_says_what_is_supported(client: Client) -> None:
    spc = client.get("/ServiceProviderConfig").json()
    assert spc["patch"]["supported"] is True
    assert spc["filter"]["supported"] is True and spc["filter"]["maxResults"] == 1000
    assert spc["bulk"]["supported"] is True and spc["bulk"]["maxOperations"] == 1000
    assert spc["etag"]["supported"] is True
    assert {s["type"] for s in spc["authenticationSchemes"]} == {"oauthbearertoken", "httpbasic"}


def test_resource_types_and_schemas_come_from_the_schema_definition(client: Client) -> None:
    rts = client.get("/ResourceTypes").json()
    assert [r["id"] for r in rts["Resources"]] == ["User", "Group"]
    group_rt = client.get("/ResourceTypes/group").json()
    assert group_rt["endpoint"] == "/Groups" and group_rt["schemaExtensions"] == []
    assert group_rt["schema"] == "urn:ietf:params:scim:schemas:core:2.0:Group"
    user_rt = client.get("/ResourceTypes/User").json()
    assert user_rt["schema"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert user_rt["schemaExtensions"] == [
        {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}
    ]
    schemas = client.get("/Schemas").json()
    ids = {s["id"] for s in schemas["Resources"]}
    assert ids == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    group = client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").json()
    group_attrs = {a["name"]: a for a in group["attributes"]}
    assert group_attrs["displayName"]["required"] is True
    members = {s["name"]: s for s in group_attrs["members"]["subAttributes"]}
    assert set(members) == {"value", "$ref", "display", "type"}
    assert members["value"]["mutability"] == "immutable"
    assert members["display"]["mutability"] == "immutable"  # RFC 7643 §2.4
    core = client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    attrs = {a["name"]: a for a in core["attributes"]}
    assert attrs["userName"]["uniqueness"] == "server" and attrs["userName"]["required"] is True
    assert attrs["userName"]["caseExact"] is False
    assert attrs["password"]["returned"] == "never"
    assert attrs["groups"]["mutability"] == "readOnly"
    assert client.get("/Schemas/urn:nope").status_code == 404
    assert client.get("/ResourceTypes/Nope").status_code == 404


def test_other_methods_on_discovery_are_405_scim_errors(server: Server) -> None:
    for path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            r = httpx.request(method, f"{server.base}{path}")
            assert r.status_code == 405, (method, path, r.status_code)
            assert r.json()["schemas"] == [ERROR] and r.json()["status"] == "405"
            assert r.headers["content-type"].startswith("application/scim+json")


def test_unknown_path_is_404_scim_error(server: Server) -> None:
    r = httpx.get(f"{server.base}/Nope")
    assert r.status_code == 404
    assert r.json() == {"schemas": [ERROR], "status": "404", "detail": r.json()["detail"]}
    assert r.headers["content-type"].startswith("application/scim+json")


def test_openapi_document_and_swagger_ui_are_served(server: Server) -> None:
    served = httpx.get(f"{server.base}/openapi.json").json()
    source = yaml.safe_load(SPEC.read_text())
    assert served["paths"].keys() == source["paths"].keys()
    ui = httpx.get(f"{server.base}/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


def test_a_base_url_pasted_with_a_trailing_slash_still_works(server: Server) -> None:
    """``https://host/scim/v1/`` + ``/Users`` is ``/scim/v1//Users``: repeated
    slashes are one (scimdock/front/paths.py), so the setup works first time."""
    token = server.tenant("slashes")
    headers = {"Authorization": f"Bearer {token}"}
    made = httpx.post(
        f"{server.base}//Users",
        headers=headers,
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "slash@example.com",
        },
    )
    assert made.status_code == 201, made.text
    found = httpx.get(
        f"{server.base}//Users",
        headers=headers,
        params={"filter": 'userName eq "slash@example.com"'},
    )
    assert found.status_code == 200 and found.json()["totalResults"] == 1
    one = httpx.get(f"{server.base}///Users//{made.json()['id']}", headers=headers)
    assert one.status_code == 200 and one.json()["userName"] == "slash@example.com"
    # Only repeated slashes: a path that is wrong stays wrong.
    assert httpx.get(f"{server.base}//Userz", headers=headers).status_code == 404
