"""A tenant's extension schemas (RFC 7643 §3.3, §6, §7) over HTTP: the
admin API registers them, each tenant's /Schemas and /ResourceTypes show
its own, and their attributes are validated, filtered, sorted, patched
with URN paths and projected; removing one keeps the stored values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Client, Server, cli

URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
GURN = "urn:example:scim:schemas:extension:site:1.0:Group"
DEFINITION = {
    "id": URN,
    "name": "AcmeUser",
    "description": "Acme's own attributes",
    "attributes": [
        {"name": "badgeNumber", "type": "string", "required": True},
        {"name": "clearance", "type": "integer"},
        {"name": "remote", "type": "boolean"},
        {"name": "skills", "type": "string", "multiValued": True},
        {
            "name": "desk",
            "type": "complex",
            "subAttributes": [{"name": "building"}, {"name": "floor", "type": "integer"}],
        },
    ],
}


def operator(server: Server) -> Client:
    return Client(server, server.operator_token, admin=True)


def register(server: Server, tenant: str, body: dict[str, Any]) -> Any:
    return operator(server).post(f"/tenants/{tenant}/schemas", json=body)


def names(page: Any) -> list[str]:
    assert page.status_code == 200, page.text
    return [r["userName"] for r in page.json()["Resources"]]


def test_register_list_get_remove(server: Server, client: Client, tenant_name: str) -> None:
    op = operator(server)
    made = register(server, tenant_name, {"schema": DEFINITION})
    assert made.status_code == 201, made.text
    assert made.json()["resourceType"] == "User" and made.json()["required"] is False
    assert made.headers["location"].endswith(f"/tenants/{tenant_name}/schemas/{URN}")
    again = register(server, tenant_name, {"schema": {**DEFINITION, "id": URN.upper()}})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    listed = op.get(f"/tenants/{tenant_name}/schemas").json()
    assert [e["id"] for e in listed["Resources"]] == [URN]
    one = op.get(f"/tenants/{tenant_name}/schemas/{URN.lower()}").json()
    assert one["schema"]["attributes"][0]["name"] == "badgeNumber"
    assert one["schema"]["attributes"][0]["required"] is True
    # A tenant admin manages its own tenant's schemas only.
    tadmin = Client(
        server, op.post("/admin-tokens", json={"tenant": tenant_name}).json()["token"], admin=True
    )
    assert tadmin.get(f"/tenants/{tenant_name}/schemas").status_code == 200
    server.tenant(f"{tenant_name}o")
    assert tadmin.get(f"/tenants/{tenant_name}o/schemas").status_code == 404
    assert tadmin.delete(f"/tenants/{tenant_name}/schemas/{URN}").status_code == 204
    assert op.get(f"/tenants/{tenant_name}/schemas/{URN}").status_code == 404
    assert op.delete(f"/tenants/{tenant_name}/schemas/{URN}").status_code == 404
    log = op.get(f"/tenants/{tenant_name}/audit").json()["Resources"]
    lines = [(e["operation"], e["resourceId"]) for e in log if e["resourceType"] == "Schema"]
    assert lines == [("create", URN), ("delete", URN)]


def test_bad_definitions(server: Server, client: Client, tenant_name: str) -> None:
    def refused(schema: Any, **extra: Any) -> str:
        answer = register(server, tenant_name, {"schema": schema, **extra})
        assert answer.status_code == 400, answer.text
        assert answer.json()["scimType"] == "invalidValue"
        return str(answer.json()["detail"])

    attrs = [{"name": "a"}]
    assert "server's own" in refused(
        {"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": attrs}
    )
    assert "server's own" in refused(
        {"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "attributes": attrs}
    )
    assert "URN" in refused({"id": "not-a-urn", "attributes": attrs})
    assert "RFC 7643 §2.1" in refused({"id": URN, "attributes": [{"name": "9lives"}]})
    assert "type must be one of" in refused(
        {"id": URN, "attributes": [{"name": "a", "type": "text"}]}
    )
    assert "multi_valued" in refused(
        {"id": URN, "attributes": [{"name": "a", "multi_valued": True}]}
    )
    assert "subAttributes" in refused({"id": URN, "attributes": [{"name": "a", "type": "complex"}]})
    assert "uniqueness" in refused(
        {"id": URN, "attributes": [{"name": "a", "uniqueness": "server"}]}
    )
    assert "twice" in refused({"id": URN, "attributes": [{"name": "a"}, {"name": "A"}]})
    assert "resourceType" in refused({"id": "urn:example:acme:extras", "attributes": attrs})
    register(server, tenant_name, {"schema": DEFINITION})
    assert "nest" in refused({"id": f"{URN}:more", "attributes": attrs}, resourceType="User")


def test_discovery_shows_each_tenant_its_own(
    server: Server, client: Client, tenant_name: str
) -> None:
    other = Client(server, server.tenant(f"{tenant_name}b"))
    register(server, tenant_name, {"schema": DEFINITION, "required": True})
    group_def = {"id": GURN, "attributes": [{"name": "costCode"}]}
    assert (
        register(server, tenant_name, {"schema": group_def, "resourceType": "Group"}).status_code
        == 201
    )
    mine = [s["id"] for s in client.get("/Schemas").json()["Resources"]]
    assert URN in mine and GURN in mine
    assert URN not in [s["id"] for s in other.get("/Schemas").json()["Resources"]]
    anonymous = Client(server, None)
    assert URN not in [s["id"] for s in anonymous.get("/Schemas").json()["Resources"]]
    shown = client.get(f"/Schemas/{URN}").json()
    assert shown["attributes"][4]["subAttributes"][1] == {
        "name": "floor",
        "type": "integer",
        "multiValued": False,
        "description": "",
        "required": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    }
    assert other.get(f"/Schemas/{URN}").status_code == 404
    user_type = client.get("/ResourceTypes/User").json()
    assert {"schema": URN, "required": True} in user_type["schemaExtensions"]
    group_type = client.get("/ResourceTypes/Group").json()
    assert group_type["schemaExtensions"] == [{"schema": GURN, "required": False}]
    assert Client(server, "bm90OmFrZXk", validate=False).get("/Schemas").status_code == 401


def test_write_filter_sort_patch_project(server: Server, client: Client, tenant_name: str) -> None:
    register(server, tenant_name, {"schema": DEFINITION})
    made = {}
    for name, badge, level in (("ann", "B-7", 3), ("bob", "a-1", 1), ("cy", "C-2", 2)):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", URN],
            "userName": name,
            # Names in any case come back canonical (RFC 7643 §2.1).
            URN.lower(): {"BADGENUMBER": badge, "clearance": level, "Desk": {"FLOOR": level}},
        }
        created = client.post("/Users", json=body)
        assert created.status_code == 201, created.text
        made[name] = created.json()
    assert made["ann"][URN] == {"badgeNumber": "B-7", "clearance": 3, "desk": {"floor": 3}}
    assert URN in made["ann"]["schemas"]
    # Types and required attributes are checked.
    wrong = client.post(
        "/Users", json={"userName": "x", URN: {"badgeNumber": "1", "clearance": "hi"}}
    )
    assert wrong.status_code == 400 and wrong.json()["scimType"] == "invalidValue"
    missing = client.post("/Users", json={"userName": "x", URN: {"clearance": 1}})
    assert missing.status_code == 400 and "badgeNumber" in missing.json()["detail"]
    # Filters and sorts run on the extension's attributes.
    assert names(client.get("/Users", params={"filter": f'{URN}:badgeNumber eq "b-7"'})) == ["ann"]
    found = client.get(
        "/Users", params={"filter": f"{URN}:clearance ge 2", "sortBy": f"{URN}:clearance"}
    )
    assert names(found) == ["cy", "ann"]
    assert names(client.get("/Users", params={"filter": f"{URN}:desk.floor lt 2"})) == ["bob"]
    bad = client.get("/Users", params={"filter": f'{URN}:clearance eq "x"'})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    # PATCH with URN paths (RFC 7644 §3.5.2).
    ann = made["ann"]["id"]
    patched = client.patch(
        f"/Users/{ann}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": f"{URN}:clearance", "value": 5},
                {"op": "add", "path": f"{URN}:skills", "value": ["go", "sql"]},
                {"op": "remove", "path": f"{URN}:desk.floor"},
            ],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()[URN] == {"badgeNumber": "B-7", "clearance": 5, "skills": ["go", "sql"]}
    # Projection by URN-qualified names.
    only = client.get(f"/Users/{ann}", params={"attributes": f"{URN}:skills"}).json()
    assert only[URN] == {"skills": ["go", "sql"]} and "userName" not in only
    dropped = client.get(f"/Users/{ann}", params={"excludedAttributes": URN}).json()
    assert URN not in dropped and URN not in dropped["schemas"]
    # PUT validates the extension as POST does.
    put = client.put(f"/Users/{ann}", json={"userName": "ann", URN: {"badgeNumber": "B-8"}})
    assert put.status_code == 200 and put.json()[URN] == {"badgeNumber": "B-8"}


def test_group_extension(server: Server, client: Client, tenant_name: str) -> None:
    group_def = {"id": GURN, "attributes": [{"name": "costCode", "caseExact": True}]}
    register(server, tenant_name, {"schema": group_def, "resourceType": "Group", "required": True})
    needs = client.post("/Groups", json={"displayName": "ops"})
    assert needs.status_code == 400 and GURN in needs.json()["detail"]
    made = client.post("/Groups", json={"displayName": "ops", GURN: {"costCode": "CC-1"}})
    assert made.status_code == 201, made.text
    found = client.get("/Groups", params={"filter": f'{GURN}:costCode eq "CC-1"'}).json()
    assert [g["displayName"] for g in found["Resources"]] == ["ops"]
    exact = client.get("/Groups", params={"filter": f'{GURN}:costCode eq "cc-1"'}).json()
    assert exact["totalResults"] == 0  # caseExact


def test_removed_extension_keeps_values(server: Server, client: Client, tenant_name: str) -> None:
    op = operator(server)
    register(server, tenant_name, {"schema": DEFINITION})
    made = client.post("/Users", json={"userName": "kim", URN: {"badgeNumber": "K-1"}}).json()
    assert op.delete(f"/tenants/{tenant_name}/schemas/{URN}").status_code == 204
    hidden = client.get(f"/Users/{made['id']}").json()
    assert URN not in hidden and hidden["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    gone = client.get("/Users", params={"filter": f'{URN}:badgeNumber eq "K-1"'})
    assert gone.status_code == 400 and gone.json()["scimType"] == "invalidFilter"
    # Writes while it is unregistered do not lose the stored values.
    assert (
        client.put(f"/Users/{made['id']}", json={"userName": "kim", "title": "x"}).status_code
        == 200
    )
    assert register(server, tenant_name, {"schema": DEFINITION}).status_code == 201
    back = client.get(f"/Users/{made['id']}").json()
    assert back[URN] == {"badgeNumber": "K-1"} and back["title"] == "x"


def test_cli_add_list_remove(
    server: Server, client: Client, tenant_name: str, tmp_path: Path
) -> None:
    file = tmp_path / "acme.json"
    file.write_text(json.dumps(DEFINITION), encoding="utf-8")
    added = cli(server.db, "schema", "add", "--tenant", tenant_name, str(file), "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["id"] == URN
    assert URN in [s["id"] for s in client.get("/Schemas").json()["Resources"]]
    again = cli(server.db, "schema", "add", "--tenant", tenant_name, str(file))
    assert again.returncode == 1 and "already registered" in again.stderr
    file.write_text(json.dumps({"id": URN, "attributes": [{"name": "x", "type": "text"}]}))
    bad = cli(server.db, "schema", "add", "--tenant", tenant_name, str(file))
    assert bad.returncode == 1 and "type must be one of" in bad.stderr
    listed = cli(server.db, "schema", "list", "--tenant", tenant_name)
    assert listed.returncode == 0 and URN in listed.stdout and "badgeNumber" in listed.stdout
    removed = cli(server.db, "schema", "remove", "--tenant", tenant_name, URN.lower(), "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout)["id"] == URN
    assert (
        json.loads(cli(server.db, "schema", "list", "--tenant", tenant_name, "--json").stdout) == []
    )
    assert URN not in [s["id"] for s in client.get("/Schemas").json()["Resources"]]
    missing = cli(server.db, "schema", "remove", "--tenant", tenant_name, URN)
    assert missing.returncode == 1
