"""``userName`` in one Unicode form (core/identity.py, docs/compatibility.md):
canonically equivalent names are one user, stored in NFC; a blank name or
one holding a control character is 400 ``invalidValue``."""

from __future__ import annotations

import pytest

from conftest import Client

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
NFC, NFD = "caf\u00e9@example.com", "cafe\u0301@example.com"


def test_canonically_equivalent_user_names_are_one_user(client: Client) -> None:
    made = client.post("/Users", json={"schemas": [CORE], "userName": NFD})
    assert made.status_code == 201
    assert made.json()["userName"] == NFC  # stored in NFC (RFC 8265 §3.4)
    again = client.post("/Users", json={"schemas": [CORE], "userName": NFC.upper()})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    for name in (NFC, NFD, NFD.upper()):
        found = client.get("/Users", params={"filter": f'userName eq "{name}"'}).json()
        assert found["totalResults"] == 1 and found["Resources"][0]["id"] == made.json()["id"]


@pytest.mark.parametrize("name", ["   ", "ann\n@example.com", "a\x00b", "tab\there", "bell\x07"])
def test_a_blank_or_control_user_name_is_refused(client: Client, name: str) -> None:
    refused = client.post("/Users", json={"schemas": [CORE], "userName": name})
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidValue"
    ok = client.post("/Users", json={"schemas": [CORE], "userName": "ann@example.com"})
    user = ok.json()["id"]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": name}],
    }
    refused = client.patch(f"/Users/{user}", json=patch)
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidValue"
    assert client.get(f"/Users/{user}").json()["userName"] == "ann@example.com"
