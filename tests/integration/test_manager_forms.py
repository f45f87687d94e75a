"""The enterprise ``manager`` (RFC 7643 §4.3) in every form Entra ID has
sent, past and present; Microsoft's SCIM Validator still sends the older
ones. Each form names its public source; docs/compatibility.md has the
table. Every form is stored as ``{"value": "<id>"}`` and answered so.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Client, Server, start_server, stop_server

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# (id, source, body of POST /Users or PATCH operations; "{boss}" is the manager's id)
CREATES: list[tuple[str, str, dict[str, Any]]] = [
    ("object", "RFC 7643 §4.3", {ENT: {"manager": {"value": "{boss}"}}}),
    (
        "bare-string",
        "Microsoft Q&A 188003 'SCIM user provisioning setup with manager attribute';"
        " apache/directory-scimple issue #1242",
        {ENT: {"manager": "{boss}"}},
    ),
    (
        "managerId",
        "SCIM 1.1 enterprise extension; AzureAD/SCIMReferenceCode Schemas/AttributeNames.cs"
        ' (ManagerId = "managerId")',
        {ENT: {"manager": {"managerId": "{boss}"}}},
    ),
    (
        "capitalised",
        "AzureAD/SCIMReferenceCode (Manager, Value)",
        {ENT: {"Manager": {"Value": "{boss}"}}},
    ),
]
PATCHES: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "path-string",
        "Captain-P-Goldfish/SCIM-SDK issue #686 (Entra: add manager with a string value)",
        [{"op": "add", "path": f"{ENT}:manager", "value": "{boss}"}],
    ),
    (
        "path-object",
        "Microsoft Learn, Known issues ... SCIM 2.0 protocol compliance",
        [{"op": "Replace", "path": f"{ENT}:manager", "value": {"value": "{boss}"}}],
    ),
    (
        "no-path-urn-key",
        "Microsoft Q&A 188003 ('urn:...:User:manager': 'user-id')",
        [{"op": "Replace", "value": {f"{ENT}:manager": "{boss}"}}],
    ),
    (
        "path-managerId",
        "SCIM 1.1 clients; AzureAD/SCIMReferenceCode",
        [{"op": "replace", "path": f"{ENT}:manager", "value": {"managerId": "{boss}"}}],
    ),
]
CLEARS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "empty-value",
        "Microsoft Learn, Known issues (clear with {'value': ''})",
        {"op": "Replace", "path": f"{ENT}:manager", "value": {"value": ""}},
    ),
    ("empty-string", "Entra ID", {"op": "Replace", "path": f"{ENT}:manager", "value": ""}),
    ("remove", "thomaspoignant/scim-patch issue #453", {"op": "Remove", "path": f"{ENT}:manager"}),
    ("null", "RFC 7643 §2.5", {"op": "replace", "path": f"{ENT}:manager", "value": None}),
]


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("strict-manager"), "--strict")
    yield srv
    stop_server(srv)


def _fill(value: Any, boss: str) -> Any:
    if isinstance(value, str):
        return value.replace("{boss}", boss)
    if isinstance(value, list):
        return [_fill(v, boss) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, boss) for k, v in value.items()}
    return value


def _boss(client: Client) -> str:
    r = client.post(
        "/Users", json={"schemas": [CORE], "userName": f"boss{uuid.uuid4().hex}@x.example"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize(("case", "source", "body"), CREATES, ids=[c[0] for c in CREATES])
def test_create_with_a_manager(
    case: str, source: str, body: dict[str, Any], client: Client
) -> None:
    boss = _boss(client)
    r = client.post(
        "/Users",
        json={"schemas": [CORE, ENT], "userName": f"{case}@x.example", **_fill(body, boss)},
    )
    assert r.status_code == 201, (source, r.text)
    stored = client.get(f"/Users/{r.json()['id']}").json()
    assert stored[ENT]["manager"]["value"] == boss, source


@pytest.mark.parametrize(("case", "source", "ops"), PATCHES, ids=[c[0] for c in PATCHES])
def test_patch_a_manager(case: str, source: str, ops: list[dict[str, Any]], client: Client) -> None:
    boss = _boss(client)
    uid = client.post("/Users", json={"userName": f"p-{case}@x.example"}).json()["id"]
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": _fill(ops, boss)})
    assert r.status_code == 200, (source, r.text)
    assert client.get(f"/Users/{uid}").json()[ENT]["manager"]["value"] == boss, source


@pytest.mark.parametrize(("case", "source", "op"), CLEARS, ids=[c[0] for c in CLEARS])
def test_clear_a_manager(case: str, source: str, op: dict[str, Any], client: Client) -> None:
    boss = _boss(client)
    r = client.post(
        "/Users",
        json={
            "userName": f"c-{case}@x.example",
            ENT: {"manager": {"value": boss}, "department": "D"},
        },
    )
    uid = r.json()["id"]
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": [op]})
    assert r.status_code == 200, (source, r.text)
    stored = client.get(f"/Users/{uid}").json()
    assert "manager" not in stored[ENT], source
    assert stored[ENT]["department"] == "D"


def test_strict_mode_refuses_the_manager_forms_the_rfc_lacks(strict_server: Server) -> None:
    client = Client(strict_server, strict_server.tenant(f"m{uuid.uuid4().hex[:10]}"))
    boss = _boss(client)
    for case, _source, body in CREATES:
        r = client.post("/Users", json={"userName": f"s-{case}@x.example", **_fill(body, boss)})
        if case in ("object", "capitalised"):  # RFC 7643 §2.1: any case is the RFC's
            assert r.status_code == 201, r.text
        else:
            assert r.status_code == 400, (case, r.text)
            assert r.json()["scimType"] == "invalidValue"
