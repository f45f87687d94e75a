"""The requests of an Entra ID provisioning cycle, in the shapes Entra sends.

Sources (Microsoft Learn unless said otherwise):

* "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft
  Entra ID" (use-scim-to-provision-users-and-groups), section *SCIM protocol
  requests and responses*: Get User by query (``userName eq``, zero results
  is 200 with an empty ListResponse), Create User (core + enterprise schemas,
  ``meta.resourceType``), Update User (``"op": "Replace"`` of
  ``emails[type eq "work"].value`` and ``name.*``), Disable User, Get Group
  by displayName (``excludedAttributes=members&filter=displayName eq``),
  Create Group (extra ``.../ADSCIM/2.0/Group`` schema, ``meta``), Update
  Group [Add Members] / [Remove Members]: **one member per request**,
  ``{"op": "Add"|"Remove", "path": "members", "value": [{"$ref": null,
  "value": "<id>"}]}``. Nothing in that tutorial, in "Known issues for
  provisioning" or in "How Application Provisioning works" says Entra batches
  several members into one PATCH, and what SCIM servers report from real
  traffic agrees: "Azure's one-user-at-a-time pattern ... 300 users all in
  the same group, Azure sends 300 PATCHes to that group" (grokability/snipe-it
  pull request #19115, 2026). So membership is one PATCH per (group, user)
  pair here (``BENCH_ENTRA_MEMBERS_PER_PATCH`` batches, for comparison only).
* "Known issues and resolutions with SCIM 2.0 protocol compliance of the
  Microsoft Entra user provisioning service": without the ``aadOptscim062020``
  flag, ``active`` is sent as the string ``"False"``.
* The full Create User body (``null`` for unassigned attributes, phone
  numbers, work address with ``"primary": "True"``, ``roles: []``) is the one
  of scimdock/check/replays/entra/create_user.yaml; ``members: []`` on Create
  Group is from a request captured on Microsoft Q&A ("Azure AD Enterprise
  Application Provisioning", 2021, learn.microsoft.com/en-us/answers/a/637791).
* "How Application Provisioning works", *Provisioning cycles: Initial and
  incremental*: for each user in scope the service queries the target for a
  match on the matching attribute (``userName``), creates it when none is
  found, updates it when found; unassigned users are disabled by an update.

Filters go in the query string with spaces as ``+`` (form encoding), which a
server must read as it reads ``%20``: Microsoft's SCIM Validator sends
``GET /Users?filter=userName+eq+"..."`` (the request quoted in Microsoft Q&A
question 2238842, learn.microsoft.com/en-us/answers/questions/2238842).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
DEPARTMENTS = ("Sales", "Engineering", "Human Resources US", "Finance", "Support")


def user_name(run: str, i: int) -> str:
    return f"user{i}.{run}@contoso.example"


def group_name(run: str, g: int) -> str:
    return f"Entra group {g:02d} {run}"


def user_filter(name: str) -> str:
    """Get User by query (the match on userName)."""
    return "/Users?" + urlencode({"filter": f'userName eq "{name}"'})


def group_filter(name: str) -> str:
    """Get Group by displayName, members excluded."""
    return "/Groups?" + urlencode(
        {"excludedAttributes": "members", "filter": f'displayName eq "{name}"'}
    )


def create_user(run: str, i: int) -> dict[str, Any]:
    """Create User with every attribute of Entra's default mapping but the
    manager (which Entra links later in a separate PATCH)."""
    name = user_name(run, i)
    given, family = f"Given{i}", f"Family{i}"
    return {
        "schemas": [CORE_USER, ENT],
        "externalId": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "userName": name,
        "active": True,
        "displayName": f"{given} {family}",
        "title": None,
        "nickName": None,
        "preferredLanguage": None,
        "emails": [{"primary": True, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": f"{given} {family}",
            "familyName": family,
            "givenName": given,
            "middleName": None,
        },
        "phoneNumbers": [
            {"type": "work", "value": f"+1 425 555 {i % 10000:04d}"},
            {"type": "mobile", "value": f"+1 425 556 {i % 10000:04d}"},
        ],
        "addresses": [
            {
                "type": "work",
                "streetAddress": "1 Microsoft Way",
                "locality": "Redmond",
                "region": "WA",
                "postalCode": "98052",
                "country": "US",
                "formatted": None,
                "primary": "True",
            }
        ],
        "roles": [],
        ENT: {
            "employeeNumber": str(100000 + i),
            "department": DEPARTMENTS[i % len(DEPARTMENTS)],
            "costCenter": None,
        },
    }


def create_group(run: str, g: int) -> dict[str, Any]:
    return {
        "schemas": [CORE_GROUP, ADSCIM_GROUP],
        "externalId": str(uuid.uuid5(uuid.NAMESPACE_URL, group_name(run, g))),
        "displayName": group_name(run, g),
        "members": [],
        "meta": {"resourceType": "Group"},
    }


def members(op: str, user_ids: list[str]) -> dict[str, Any]:
    """Update Group [Add Members] / [Remove Members] (``op`` "Add"/"Remove")."""
    return {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": op, "path": "members", "value": [{"$ref": None, "value": u} for u in user_ids]}
        ],
    }


def update_user(run: str, i: int) -> dict[str, Any]:
    """An incremental-cycle update: the attributes changed in the source,
    each as its own ``Replace`` operation."""
    given = f"Renamed{i}"
    return {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "name.givenName", "value": given},
            {"op": "Replace", "path": "name.formatted", "value": f"{given} Family{i}"},
            {"op": "Replace", "path": "displayName", "value": f"{given} Family{i}"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": f"renamed{i}.{run}@contoso.example",
            },
            {"op": "Replace", "path": f"{ENT}:department", "value": "Moved Department"},
        ],
    }


def deactivate() -> dict[str, Any]:
    """Disable User as sent without the aadOptscim062020 flag."""
    return {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
