"""The enterprise ``manager`` (RFC 7643 §4.3) in every form Entra ID has
sent, past and present; Microsoft's SCIM Validator still sends the older
ones. Each form names its public source; docs/compatibility.md has the
table. Every form is stored as ``{"value": "<id>"}`` and answered so.

Also: extension attributes named without their schema URN (leniency
``unqualified-extension``), and that no PATCH operation is answered 2xx
without being applied (an unknown path is 400 invalidPath, nothing changed).
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
#: Microsoft, "Use SCIM to automatically provision users and groups" (the
#: older article on building a SCIM endpoint for Azure AD): the manager
#: added by an unqualified path, its value an array of one {$ref, value}.
ENTRA_ARTICLE = "Microsoft, 'Use SCIM to automatically provision users and groups'"
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
        "unqualified-array-ref-null",
        ENTRA_ARTICLE,
        [{"op": "Add", "path": "manager", "value": [{"$ref": None, "value": "{boss}"}]}],
    ),
    (
        "unqualified-array-ref-url",
        ENTRA_ARTICLE,
        [
            {
                "op": "Add",
                "path": "manager",
                "value": [{"$ref": "https://scim.example.com/Users/{boss}", "value": "{boss}"}],
            }
        ],
    ),
    (
        "unqualified-no-path",
        ENTRA_ARTICLE + " (the same name as a key of a path-less value)",
        [{"op": "Replace", "value": {"manager": {"value": "{boss}"}}}],
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
    srv = start_server(tmp_path_factory.mktemp("strict-manager"), "--strict", in_process=True)
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
    for case, _source, ops in PATCHES:
        if not case.startswith("unqualified"):
            continue
        uid = client.post("/Users", json={"userName": f"sp-{case}@x.example"}).json()["id"]
        before = client.get(f"/Users/{uid}").json()
        r = client.patch(
            f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": _fill(ops, boss)}
        )
        assert r.status_code == 400, (case, r.text)
        assert r.json()["scimType"] == "invalidPath", case
        assert client.get(f"/Users/{uid}").json() == before


def test_a_manager_ref_is_kept_as_sent(client: Client) -> None:
    """``manager.$ref`` is a readWrite reference the server does not compute
    (RFC 7643 §4.3, §8.7.1): a URL is stored as sent, ``null`` is none."""
    boss = _boss(client)
    uid = client.post("/Users", json={"userName": f"ref-{boss}@x.example"}).json()["id"]
    ref = f"https://scim.example.com/Users/{boss}"
    op = {"op": "Add", "path": "manager", "value": [{"$ref": ref, "value": boss}]}
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": [op]})
    assert r.status_code == 200, r.text
    assert r.json()[ENT]["manager"] == {"value": boss, "$ref": ref}
    op = {"op": "Add", "path": "manager", "value": [{"$ref": None, "value": boss}]}
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": [op]})
    assert r.status_code == 200, r.text
    assert r.json()[ENT]["manager"] == {"value": boss}


# --- extension attributes named without their URN ------------------------------


@pytest.mark.parametrize(
    "ops",
    [
        [
            {"op": "replace", "path": "department", "value": "Sales"},
            {"op": "Add", "path": "EmployeeNumber", "value": "701984"},
        ],
        [{"op": "Replace", "value": {"department": "Sales", "employeeNumber": "701984"}}],
    ],
    ids=["paths", "no-path"],
)
def test_unqualified_enterprise_attributes_in_a_patch(
    ops: list[dict[str, Any]], client: Client
) -> None:
    uid = client.post("/Users", json={"userName": f"u{uuid.uuid4().hex}@x.example"}).json()["id"]
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": ops})
    assert r.status_code == 200, r.text
    stored = client.get(f"/Users/{uid}").json()
    assert stored[ENT] == {"department": "Sales", "employeeNumber": "701984"}
    assert ENT in stored["schemas"]


def test_unqualified_enterprise_attributes_in_a_post_and_put(client: Client) -> None:
    boss = _boss(client)
    body = {"schemas": [CORE, ENT], "userName": f"b{boss}@x.example", "Department": "Ops"}
    r = client.post("/Users", json={**body, "manager": [{"$ref": None, "value": boss}]})
    assert r.status_code == 201, r.text
    assert r.json()[ENT] == {"department": "Ops", "manager": {"value": boss}}
    uid = r.json()["id"]
    r = client.put(f"/Users/{uid}", json={**body, "costCenter": "4130", ENT: {"division": "D"}})
    assert r.status_code == 200, r.text
    assert client.get(f"/Users/{uid}").json()[ENT] == {
        "department": "Ops",
        "costCenter": "4130",
        "division": "D",
    }


BADGE = "urn:example:params:scim:schemas:extension:badge:2.0:User"
SITE = "urn:example:params:scim:schemas:extension:site:2.0:User"


def test_a_tenant_extension_attribute_unqualified(server: Server, tenant_name: str) -> None:
    """A tenant's own extension (core.extensions) is found by an unqualified
    name as the enterprise one is; a name two extensions define is 400
    invalidPath, never a guess, and changes nothing."""
    client = Client(server, server.tenant(tenant_name))
    operator = Client(server, server.operator_token, admin=True)
    for urn, attrs in ((BADGE, ["badgeCode"]), (SITE, ["building", "division"])):
        definition = {"id": urn, "attributes": [{"name": a} for a in attrs]}
        made = operator.post(f"/tenants/{tenant_name}/schemas", json={"schema": definition})
        assert made.status_code == 201, made.text
    uid = client.post("/Users", json={"userName": "t@x.example", "badgecode": "B-1"}).json()["id"]
    ops = [
        {"op": "replace", "path": "BadgeCode", "value": "B-7"},
        {"op": "add", "value": {"building": "North"}},
    ]
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": ops})
    assert r.status_code == 200, r.text
    stored = client.get(f"/Users/{uid}").json()
    assert stored[BADGE] == {"badgeCode": "B-7"} and stored[SITE] == {"building": "North"}
    op = {"op": "add", "path": "division", "value": "D"}
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": [op]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidPath", r.text
    assert ENT in r.json()["detail"] and SITE in r.json()["detail"]
    assert client.get(f"/Users/{uid}").json() == stored


def test_strict_mode_refuses_unqualified_extension_names(strict_server: Server) -> None:
    client = Client(strict_server, strict_server.tenant(f"q{uuid.uuid4().hex[:10]}"))
    r = client.post(
        "/Users", json={"schemas": [CORE], "userName": "d@x.example", "department": "D"}
    )
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", r.text
    uid = client.post("/Users", json={"schemas": [CORE], "userName": "q@x.example"}).json()["id"]
    before = client.get(f"/Users/{uid}").json()
    for op in (
        {"op": "replace", "path": "department", "value": "Sales"},
        {"op": "replace", "value": {"employeeNumber": "1"}},
    ):
        r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": [op]})
        assert r.status_code == 400, r.text
        assert r.json()["scimType"] == "invalidPath" and f"{ENT}:" in r.json()["detail"]
    assert client.get(f"/Users/{uid}").json() == before


# --- no 2xx for an operation that was not applied ------------------------------

FOREIGN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


@pytest.mark.parametrize(
    ("op", "scim_type"),
    [
        ({"op": "replace", "path": "departmnt", "value": "Sales"}, "invalidPath"),
        ({"op": "remove", "path": "nickName2"}, "invalidPath"),
        ({"op": "replace", "value": {"departmnt": "Sales"}}, "invalidPath"),
        ({"op": "add", "path": f"{ENT}:departmnt", "value": "Sales"}, "invalidPath"),
        ({"op": "add", "path": ENT, "value": {"departmnt": "Sales"}}, "invalidPath"),
        ({"op": "Replace", "path": f"{FOREIGN}:tag", "value": "701984"}, "invalidPath"),
        ({"op": "add", "path": "name", "value": {"givenNme": "B"}}, "invalidValue"),
        ({"op": "replace", "path": "manager", "value": {"displayName": "Boss"}}, "mutability"),
    ],
    ids=[
        "unknown-path",
        "unknown-remove",
        "unknown-no-path-key",
        "unknown-extension-attribute",
        "unknown-key-in-extension-object",
        "foreign-schema",
        "unknown-sub-attribute",
        "read-only-only",
    ],
)
def test_an_operation_not_applied_is_refused_and_changes_nothing(
    op: dict[str, Any], scim_type: str, client: Client
) -> None:
    """RFC 7644 §3.5.2: the request is atomic, so the valid operation before
    the refused one is not applied either; meta.version is unchanged."""
    uid = client.post(
        "/Users",
        json={"userName": f"n{uuid.uuid4().hex}@x.example", ENT: {"department": "D"}},
    ).json()["id"]
    before = client.get(f"/Users/{uid}")
    ops = [{"op": "replace", "path": "title", "value": "T"}, op]
    r = client.patch(f"/Users/{uid}", json={"schemas": [PATCHOP], "Operations": ops})
    assert r.status_code == 400, r.text
    assert r.json()["scimType"] == scim_type and "Operations[1]" in r.json()["detail"], r.text
    after = client.get(f"/Users/{uid}")
    assert after.json() == before.json()
    assert after.json()["meta"]["version"] == before.json()["meta"]["version"]
    assert after.headers["etag"] == before.headers["etag"]
