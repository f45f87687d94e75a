"""``serve --strict`` turns every identity-provider leniency off.

Each case below is one deviation of core/leniency.py (or of the filter
resolver's own switch) in the form an identity provider really sends it.
The same request goes to the default server, which accepts it and stores
what the provider meant, and to a second server started with ``--strict``,
which answers the RFC 7644 §3.12 error (400 and the scimType the leniency
table of core/leniency.py names). Where the deviation has an RFC-compliant
twin, the strict server is shown to accept that twin, so strict mode is
RFC-only rather than simply broken. The User cases come first; the Group
cases (Entra ID's member removals, Okta's rename) are checked the same way
on the stored group. docs/compatibility.md is the prose version of this
file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import httpx
import pytest

from conftest import Client, Server, start_server, stop_server

pytestmark = pytest.mark.backend_independent("the leniency rules of the core, on or off")

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_names = count()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("strict"), "--strict", in_process=True)
    yield srv
    stop_server(srv)


def _client(server: Server) -> Client:
    return Client(server, server.tenant(f"s{os.getpid()}x{next(_names)}"))


@dataclass
class Deviation:
    """One identity-provider deviation, sent to both servers."""

    id: str
    needed_by: str
    method: str
    path: str  # "{uid}" is the user made from ``user``; "{boss}" a second user
    body: Any
    scim_type: str
    lenient: Callable[[dict[str, Any]], None]  # what the default server must have done
    user: dict[str, Any] | None = None
    rfc_body: Any = None  # the RFC-compliant twin that strict mode accepts
    params: dict[str, str] = field(default_factory=dict)


def _ops(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCHOP], "Operations": list(ops)}


BASE_USER = {
    "schemas": [CORE, ENT],
    "userName": "bjensen@example.com",
    "active": True,
    "title": "Tour Guide",
    "emails": [
        {"value": "b@work.example", "type": "work", "primary": True},
        {"value": "b@home.example", "type": "home"},
        {"value": "b@other.example", "type": "other"},
    ],
    ENT: {"department": "Sales", "manager": {"value": "{boss}"}},
}


def _eq(path: tuple[Any, ...], expected: Any) -> Callable[[dict[str, Any]], None]:
    def check(body: dict[str, Any]) -> None:
        got: Any = body
        for part in path:
            got = got[part]
        assert got == expected, (path, got)

    return check


def _absent(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def check(body: dict[str, Any]) -> None:
        got: Any = body
        for part in path[:-1]:
            got = got.get(part, {}) if isinstance(got, dict) else {}
        assert path[-1] not in got, (path, body)

    return check


CASES = [
    # --- coerce_boolean: "True"/"False" strings for booleans (400 invalidValue)
    Deviation(
        "string-boolean-in-POST",
        "Entra ID (AzureAD/SCIMReferenceCode#21: 'active': 'True')",
        "POST",
        "/Users",
        {"schemas": [CORE], "userName": "emp1@example.com", "active": "True"},
        "invalidValue",
        _eq(("active",), True),
        rfc_body={"schemas": [CORE], "userName": "emp1@example.com", "active": True},
    ),
    Deviation(
        "string-boolean-in-PATCH-active",
        "Entra ID without aadOptscim062020 (disable user)",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Replace", "path": "active", "value": "False"}),
        "invalidValue",
        _eq(("active",), False),
        user=BASE_USER,
        rfc_body=_ops({"op": "replace", "path": "active", "value": False}),
    ),
    Deviation(
        "string-boolean-primary-in-element",
        "Entra ID ('primary': 'True' in roles and emails)",
        "PATCH",
        "/Users/{uid}",
        _ops(
            {
                "op": "Add",
                "path": "roles",
                "value": [
                    {"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}
                ],
            }
        ),
        "invalidValue",
        _eq(("roles", 0, "primary"), True),
        user=BASE_USER,
        rfc_body=_ops(
            {
                "op": "add",
                "path": "roles",
                "value": [
                    {"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}
                ],
            }
        ),
    ),
    Deviation(
        "string-boolean-in-no-path-value",
        "Okta-style no-path replace carrying an Entra string boolean",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "replace", "value": {"active": "false"}}),
        "invalidValue",
        _eq(("active",), False),
        user=BASE_USER,
        rfc_body=_ops({"op": "replace", "value": {"active": False}}),
    ),
    # --- unwrap_complex: bare string for manager (400 invalidValue)
    Deviation(
        "manager-as-bare-string-in-POST",
        "Entra ID, Okta (manager mapped from a plain id)",
        "POST",
        "/Users",
        {"schemas": [CORE, ENT], "userName": "report@example.com", ENT: {"manager": "{boss}"}},
        "invalidValue",
        _eq((ENT, "manager", "value"), "{boss}"),
        rfc_body={
            "schemas": [CORE, ENT],
            "userName": "report@example.com",
            ENT: {"manager": {"value": "{boss}"}},
        },
    ),
    Deviation(
        "manager-as-bare-string-in-PATCH",
        "Entra ID, Okta",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Replace", "path": f"{ENT}:manager", "value": "{boss}"}),
        "invalidValue",
        _eq((ENT, "manager"), {"value": "{boss}"}),
        user=BASE_USER,
        rfc_body=_ops({"op": "replace", "path": f"{ENT}:manager", "value": {"value": "{boss}"}}),
    ),
    # --- unwrap_complex: one-element array for manager (400 invalidValue)
    Deviation(
        "manager-as-one-element-array-in-POST",
        "Entra ID, Okta",
        "POST",
        "/Users",
        {
            "schemas": [CORE, ENT],
            "userName": "report@example.com",
            ENT: {"manager": [{"value": "{boss}"}]},
        },
        "invalidValue",
        _eq((ENT, "manager"), {"value": "{boss}"}),
        rfc_body={
            "schemas": [CORE, ENT],
            "userName": "report@example.com",
            ENT: {"manager": {"value": "{boss}"}},
        },
    ),
    Deviation(
        "manager-as-one-element-array-in-PATCH",
        "Entra ID, Okta",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Add", "path": f"{ENT}:manager", "value": [{"value": "{boss}"}]}),
        "invalidValue",
        _eq((ENT, "manager"), {"value": "{boss}"}),
        user=BASE_USER,
    ),
    # --- wrap_multi: one object for a multi-valued attribute (400 invalidValue)
    Deviation(
        "single-value-for-multi-valued-in-PATCH",
        "clients that add one email or member as an object",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "add", "path": "emails", "value": {"value": "b@new.example", "type": "other"}}),
        "invalidValue",
        _eq(("emails", 3, "value"), "b@new.example"),
        user=BASE_USER,
        rfc_body=_ops(
            {"op": "add", "path": "emails", "value": [{"value": "b@new.example", "type": "other"}]}
        ),
    ),
    # --- extension_schemas_key: "schemas" inside an extension object (400 invalidValue)
    Deviation(
        "schemas-inside-extension-in-PATCH",
        "python-scim clients (scim2-models)",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "replace", "path": ENT, "value": {"schemas": [ENT], "department": "Retail"}}),
        "invalidValue",
        _eq((ENT, "department"), "Retail"),
        user=BASE_USER,
        rfc_body=_ops({"op": "replace", "path": ENT, "value": {"department": "Retail"}}),
    ),
    # --- remove_listed: remove with a value list on a multi-valued attribute (400 invalidSyntax)
    Deviation(
        "remove-with-value-list",
        "Entra ID without aadOptscim062020 (its group-member form)",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Remove", "path": "emails", "value": [{"value": "b@home.example"}]}),
        "invalidSyntax",
        lambda body: _eq(("emails",), [BASE_USER["emails"][0], BASE_USER["emails"][2]])(body),
        user=BASE_USER,
        rfc_body=_ops({"op": "remove", "path": 'emails[value eq "b@home.example"]'}),
    ),
    # --- ignore_remove_value: remove with a value on any other target (400 invalidSyntax)
    Deviation(
        "remove-with-value-on-single-valued",
        "Entra ID (Remove carrying the old value)",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Remove", "path": "title", "value": "Tour Guide"}),
        "invalidSyntax",
        _absent(("title",)),
        user=BASE_USER,
        rfc_body=_ops({"op": "remove", "path": "title"}),
    ),
    Deviation(
        "remove-with-value-on-manager",
        "Entra ID (manager unassigned with its old value)",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Remove", "path": f"{ENT}:manager", "value": {"value": "{boss}"}}),
        "invalidSyntax",
        _absent((ENT, "manager")),
        user=BASE_USER,
        rfc_body=_ops({"op": "remove", "path": f"{ENT}:manager"}),
    ),
    Deviation(
        "remove-with-value-on-value-path",
        "Entra ID (AzureAD/SCIMReferenceCode#87)",
        "PATCH",
        "/Users/{uid}",
        _ops({"op": "Remove", "path": 'emails[type eq "other"]', "value": "b@other.example"}),
        "invalidSyntax",
        lambda body: _eq(("emails",), BASE_USER["emails"][:2])(body),
        user=BASE_USER,
        rfc_body=_ops({"op": "remove", "path": 'emails[type eq "other"]'}),
    ),
    # --- replace_without_match: replace through a value filter that matches nothing (400 noTarget)
    Deviation(
        "replace-through-unmatched-value-filter",
        "Entra ID (mobile number added with Replace)",
        "PATCH",
        "/Users/{uid}",
        _ops(
            {
                "op": "Replace",
                "path": 'phoneNumbers[type eq "mobile"].value',
                "value": "+1 425 555 0199",
            }
        ),
        "noTarget",
        _eq(("phoneNumbers",), [{"type": "mobile", "value": "+1 425 555 0199"}]),
        user=BASE_USER,
        rfc_body=_ops(
            {
                "op": "add",
                "path": 'phoneNumbers[type eq "mobile"].value',
                "value": "+1 425 555 0199",
            }
        ),
    ),
    # --- the filter resolver's own switch: string literals for booleans (400 invalidFilter)
    Deviation(
        "string-boolean-in-filter",
        "Entra ID ('True'/'False' strings, as in roles[primary eq \"True\"])",
        "GET",
        "/Users",
        None,
        "invalidFilter",
        _eq(("totalResults",), 1),
        user=BASE_USER,
        params={"filter": 'active eq "True"'},
    ),
]


def _setup(client: Client, case: Deviation) -> dict[str, str]:
    """The users a case needs; returns the template values."""
    boss = client.post("/Users", json={"schemas": [CORE], "userName": "boss@example.com"})
    assert boss.status_code == 201, boss.text
    values = {"boss": boss.json()["id"], "uid": ""}
    if case.user is not None:
        r = client.post("/Users", json=_fill(case.user, values))
        assert r.status_code == 201, r.text
        values["uid"] = r.json()["id"]
    return values


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for k, v in values.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {_fill(k, values): _fill(v, values) for k, v in value.items()}
    return value


def _send(client: Client, case: Deviation, body: Any, values: dict[str, str]) -> httpx.Response:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs["json"] = _fill(body, values)
    if case.params:
        kwargs["params"] = _fill(case.params, values)
    return client.request(case.method, _fill(case.path, values), **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_leniency_side_by_side(case: Deviation, server: Server, strict_server: Server) -> None:
    # The default server takes the deviation and stores what was meant.
    client = _client(server)
    values = _setup(client, case)
    r = _send(client, case, case.body, values)
    assert r.status_code in (200, 201), (
        f"default mode refused {case.id} ({case.needed_by}): {r.status_code} {r.text}"
    )
    case.lenient(_unfill(r.json(), values))
    if case.method != "GET":
        stored = client.get(f"/Users/{r.json()['id']}")
        case.lenient(_unfill(stored.json(), values))  # stored, not only echoed

    # The strict server answers the RFC error, and changes nothing.
    client = _client(strict_server)
    values = _setup(client, case)
    before = client.get(f"/Users/{values['uid']}").json() if values["uid"] else None
    r = _send(client, case, case.body, values)
    assert r.status_code == 400, f"strict mode accepted {case.id}: {r.status_code} {r.text}"
    error = r.json()
    assert error["scimType"] == case.scim_type, error
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    if before is not None:  # all or nothing
        assert client.get(f"/Users/{values['uid']}").json() == before

    # The RFC form of the same change passes in strict mode too.
    if case.rfc_body is not None:
        r = _send(client, case, case.rfc_body, values)
        assert r.status_code in (200, 201), (
            f"strict mode refused the RFC form of {case.id}: {r.status_code} {r.text}"
        )
        case.lenient(_unfill(r.json(), values))


def _unfill(value: Any, values: dict[str, str]) -> Any:
    """Server ids back to their ``{name}`` placeholders, so that a case's
    expectation can name ``{boss}``."""
    reverse = {v: "{" + k + "}" for k, v in values.items() if v}
    if isinstance(value, str):
        return reverse.get(value, value)
    if isinstance(value, list):
        return [_unfill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _unfill(v, values) for k, v in value.items()}
    return value


# --- leniencies of resource bodies (POST/PUT) ----------------------------------

FOREIGN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"


BODY_LENIENCIES = [
    pytest.param(  # core.leniency.foreign_schema_key
        {"schemas": [CORE, FOREIGN], "userName": "tagged@example.com", FOREIGN: {"tag": "701984"}},
        lambda body: FOREIGN not in body,
        id="foreign-schema-key-in-POST",
    ),
    pytest.param(  # core.leniency.wrap_multi
        {
            "schemas": [CORE],
            "userName": "one@example.com",
            "emails": {"value": "one@example.com", "type": "work"},
        },
        lambda body: body["emails"] == [{"value": "one@example.com", "type": "work"}],
        id="single-value-for-multi-valued-in-POST",
    ),
    pytest.param(  # core.leniency.extension_schemas_key
        {
            "schemas": [CORE, ENT],
            "userName": "ext@example.com",
            ENT: {"schemas": [ENT], "department": "Retail"},
        },
        lambda body: body[ENT] == {"department": "Retail"},
        id="schemas-inside-extension-in-POST",
    ),
]


@pytest.mark.parametrize(("body", "stored"), BODY_LENIENCIES)
def test_default_server_accepts_in_post(
    body: dict[str, Any],
    stored: Callable[[dict[str, Any]], bool],
    server: Server,
    strict_server: Server,
) -> None:
    """The strict server refuses these bodies (for whichever reason); the
    default one should take them as the leniency says."""
    refused = _client(strict_server).post("/Users", json=body)
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidValue"
    r = _client(server).post("/Users", json=body)
    assert r.status_code == 201, r.text
    assert stored(r.json()), r.json()


def test_strict_server_rejects_a_string_boolean_in_a_patch_value_filter(
    strict_server: Server,
) -> None:
    client = _client(strict_server)
    uid = client.post(
        "/Users",
        json={
            "schemas": [CORE],
            "userName": "r@example.com",
            "roles": [{"primary": True, "value": "User"}],
        },
    ).json()["id"]
    r = client.patch(
        f"/Users/{uid}",
        json=_ops({"op": "replace", "path": 'roles[primary eq "True"].value', "value": "Admin"}),
    )
    assert r.status_code == 400, r.text
    assert r.json()["scimType"] == "invalidPath"


def test_strict_mode_advertises_the_same_service_provider_config(
    server: Server, strict_server: Server
) -> None:
    """/ServiceProviderConfig is the same in both modes: strict mode changes
    what is accepted, not what is advertised."""
    a = httpx.get(f"{server.base}/ServiceProviderConfig").json()
    b = httpx.get(f"{strict_server.base}/ServiceProviderConfig").json()
    a.pop("meta", None), b.pop("meta", None)
    assert a == b


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_rfc_compatible_habits_of_the_providers_work_in_both_modes(
    mode: str, server: Server, strict_server: Server
) -> None:
    """What docs/compatibility.md lists under "Not leniencies": capitalised
    ops, application/json, unknown query parameters, '+' for spaces, client
    id/meta, password, and "" or null for unassigned."""
    client = _client(server if mode == "default" else strict_server)
    boss = client.post("/Users", json={"schemas": [CORE], "userName": "boss@example.com"}).json()
    r = client.post(
        "/Users",
        headers={"Content-Type": "application/json"},
        json={
            "schemas": [CORE, ENT],
            "id": "client-chosen",
            "meta": {"resourceType": "User"},
            "userName": "test.user@okta.local",
            "password": "1mz050nq",
            "title": None,
            "locale": "en-US",
            "groups": [],
            ENT: {"manager": {"value": boss["id"]}},
        },
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["id"] != "client-chosen" and "password" not in user and "title" not in user
    uid = user["id"]
    found = client.get("/Users?filter=userName+eq+%22TEST.USER%40okta.local%22&aadOptscim062020")
    assert found.status_code == 200 and found.json()["totalResults"] == 1, found.text
    r = client.patch(
        f"/Users/{uid}",
        headers={"Content-Type": "application/json"},
        json=_ops(
            {"op": "Replace", "path": f"{ENT}:manager", "value": {"value": ""}},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "t@okta.local"},
            {"op": "Remove", "path": "locale", "value": None},
            {"op": "replace", "value": {"password": "n3w-Secret"}},
        ),
    )
    assert r.status_code == 200, r.text
    assert ENT not in r.json() and "locale" not in r.json() and "password" not in r.json()
    assert r.json()["emails"] == [{"type": "work", "value": "t@okta.local"}]


# --- leniencies of Group PATCH (core.membership, core.patch) --------------------

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


@dataclass
class GroupDeviation:
    """A deviation in a PATCH of a group whose members are ``{m0}``,
    ``{m1}``, ``{m2}`` (``{m3}`` is a user outside it; ``{gid}`` the group)."""

    id: str
    needed_by: str
    operations: list[dict[str, Any]]
    scim_type: str
    members: set[str]  # the members the default server must leave
    display_name: str = "Sales"
    rfc_operations: list[dict[str, Any]] | None = None


GROUP_CASES = [
    # core.leniency.check_remove_listed: Entra ID's removal without aadOptscim062020
    GroupDeviation(
        "remove-members-with-value-list",
        "Entra ID without aadOptscim062020 (Known issues…, 'Requests made to remove a group "
        "member')",
        [{"op": "Remove", "path": "members", "value": [{"value": "{m1}"}]}],
        "invalidSyntax",
        {"{m0}", "{m2}"},
        rfc_operations=[{"op": "remove", "path": 'members[value eq "{m1}"]'}],
    ),
    GroupDeviation(
        "remove-members-with-value-list-tutorial-form",
        "Entra ID (Microsoft Learn tutorial, 'Update Group [Remove Members]', with '$ref': null)",
        [
            {
                "op": "Remove",
                "path": "members",
                "value": [{"$ref": None, "value": "{m0}"}, {"$ref": None, "value": "{m2}"}],
            }
        ],
        "invalidSyntax",
        {"{m1}"},
        rfc_operations=[{"op": "remove", "path": 'members[value eq "{m0}" or value eq "{m2}"]'}],
    ),
    # core.leniency.ignore_remove_value: a value on a filtered removal
    GroupDeviation(
        "remove-member-filter-with-value",
        "Entra ID (Remove carrying the removed value)",
        [{"op": "Remove", "path": 'members[value eq "{m1}"]', "value": [{"value": "{m1}"}]}],
        "invalidSyntax",
        {"{m0}", "{m2}"},
        rfc_operations=[{"op": "remove", "path": 'members[value eq "{m1}"]'}],
    ),
    # core.leniency.wrap_multi: one member as an object
    GroupDeviation(
        "add-one-member-as-an-object",
        "clients that add one member as an object",
        [{"op": "add", "path": "members", "value": {"value": "{m3}"}}],
        "invalidValue",
        {"{m0}", "{m1}", "{m2}", "{m3}"},
        rfc_operations=[{"op": "add", "path": "members", "value": [{"value": "{m3}"}]}],
    ),
    # core.leniency.provider_owned_in_value: Okta's group rename repeats the id
    GroupDeviation(
        "id-in-a-no-path-value",
        "Okta ('Update a specific Group name', SCIM 2.0 Protocol Reference)",
        [{"op": "replace", "value": {"id": "{gid}", "displayName": "Sales EMEA"}}],
        "mutability",
        {"{m0}", "{m1}", "{m2}"},
        display_name="Sales EMEA",
        rfc_operations=[{"op": "replace", "value": {"displayName": "Sales EMEA"}}],
    ),
    GroupDeviation(
        "meta-and-schemas-in-a-no-path-value",
        "clients that PATCH back what they read",
        [
            {
                "op": "replace",
                "value": {
                    "schemas": [GROUP],
                    "meta": {"resourceType": "Group"},
                    "displayName": "Sales EMEA",
                },
            }
        ],
        "mutability",
        {"{m0}", "{m1}", "{m2}"},
        display_name="Sales EMEA",
        rfc_operations=[{"op": "replace", "value": {"displayName": "Sales EMEA"}}],
    ),
]


def _group_setup(client: Client) -> dict[str, str]:
    """Four users, and a group "Sales" of the first three."""
    values: dict[str, str] = {}
    for n in range(4):
        r = client.post("/Users", json={"schemas": [CORE], "userName": f"m{n}@example.com"})
        assert r.status_code == 201, r.text
        values[f"m{n}"] = r.json()["id"]
    r = client.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "Sales",
            "members": [{"value": values[f"m{n}"]} for n in range(3)],
        },
    )
    assert r.status_code == 201, r.text
    values["gid"] = r.json()["id"]
    return values


def _patch_group(
    client: Client, values: dict[str, str], operations: list[dict[str, Any]]
) -> httpx.Response:
    return client.patch(f"/Groups/{values['gid']}", json=_fill(_ops(*operations), values))


def _check_group(client: Client, values: dict[str, str], case: GroupDeviation) -> None:
    group = _unfill(client.get(f"/Groups/{values['gid']}").json(), values)
    assert {m["value"] for m in group.get("members", [])} == case.members, (case.id, group)
    assert group["displayName"] == case.display_name, (case.id, group)


@pytest.mark.parametrize("case", GROUP_CASES, ids=[c.id for c in GROUP_CASES])
def test_each_group_leniency_side_by_side(
    case: GroupDeviation, server: Server, strict_server: Server
) -> None:
    # The default server applies what the provider meant, and only that.
    client = _client(server)
    values = _group_setup(client)
    r = _patch_group(client, values, case.operations)
    assert r.status_code == 204, (
        f"default mode refused {case.id} ({case.needed_by}): {r.status_code} {r.text}"
    )
    _check_group(client, values, case)

    # The strict server answers the RFC error and changes nothing.
    client = _client(strict_server)
    values = _group_setup(client)
    before = client.get(f"/Groups/{values['gid']}").json()
    r = _patch_group(client, values, case.operations)
    assert r.status_code == 400, f"strict mode accepted {case.id}: {r.status_code} {r.text}"
    assert r.json()["scimType"] == case.scim_type, r.json()
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert client.get(f"/Groups/{values['gid']}").json() == before  # members and version

    # The RFC form of the same change passes in strict mode.
    if case.rfc_operations is not None:
        r = _patch_group(client, values, case.rfc_operations)
        assert r.status_code == 204, (
            f"strict mode refused the RFC form of {case.id}: {r.status_code} {r.text}"
        )
        _check_group(client, values, case)


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_rfc_compatible_group_requests_of_the_providers_work_in_both_modes(
    mode: str, server: Server, strict_server: Server
) -> None:
    """Entra ID's Create Group (ADSCIM schema URI, meta), its Add Members
    with ``"$ref": null``, its flagged removal with ``?aadOptscim062020`` on
    the URL, and Okta's remove-then-add in one request are RFC 7644 requests
    (docs/compatibility.md, "Not leniencies"): both servers take them."""
    client = _client(server if mode == "default" else strict_server)
    ids = [
        client.post("/Users", json={"userName": f"u{n}@example.com"}).json()["id"] for n in range(3)
    ]
    r = client.post(
        "/Groups",
        json={
            "schemas": [GROUP, ADSCIM],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"},
        },
    )
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    r = client.patch(
        f"/Groups/{gid}",
        json=_ops(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": i} for i in ids]}
        ),
    )
    assert r.status_code == 204, r.text
    r = client.patch(
        f"/Groups/{gid}?aadOptscim062020",
        json=_ops({"op": "remove", "path": f'members[value eq "{ids[0]}"]'}),
    )
    assert r.status_code == 204, r.text
    r = client.patch(
        f"/Groups/{gid}",
        headers={"Content-Type": "application/json"},
        json=_ops(
            {"op": "remove", "path": f'members[value eq "{ids[1]}"]'},
            {"op": "add", "path": "members", "value": [{"value": ids[1], "display": "u1"}]},
        ),
    )
    assert r.status_code == 204, r.text
    group = client.get(f"/Groups/{gid}?aadOptscim062020").json()
    assert {m["value"] for m in group["members"]} == {ids[1], ids[2]}
    found = client.get(
        "/Groups",
        params={"filter": 'displayName eq "displayName"', "excludedAttributes": "members"},
    ).json()
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]
