"""The ``rfc`` suite, part one: discovery, authentication, errors and the
life of a resource (RFC 7643, RFC 7644). Queries, versions and Bulk are in
:mod:`scimdock.check.rfc_query`; each check names the section it rests on."""

from __future__ import annotations

from typing import Any

from scimdock.check.model import Skip, expect, member
from scimdock.check.suite import (
    CORE,
    GROUP,
    PATCHOP,
    Check,
    Context,
    check,
    json_object,
    scim_error,
)

CHECKS: list[Check] = []
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#: An id no server made: a UUID drawn once for these checks.
NO_SUCH_ID = "0b5e1c2a-9d7f-4e36-8a41-c3f2d9e8b7a6"


@check(CHECKS, "rfc.discovery.spc", "/ServiceProviderConfig describes every feature", "RFC 7643 §5")
def spc(ctx: Context) -> None:
    doc = ctx.found.spc
    expect(doc, f"unreadable: {'; '.join(ctx.found.problems)}")
    expect(SPC_SCHEMA in (member(doc, "schemas") or []), f"schemas lacks {SPC_SCHEMA}")
    for feature in ("patch", "bulk", "filter", "changePassword", "sort", "etag"):
        supported = member(member(doc, feature), "supported")
        expect(isinstance(supported, bool), f"{feature}.supported is {supported!r}, not a boolean")
    expect(isinstance(member(doc, "authenticationSchemes"), list), "no authenticationSchemes list")


@check(
    CHECKS, "rfc.discovery.resource-types", "/ResourceTypes lists User", "RFC 7643 §6; RFC 7644 §4"
)
def resource_types(ctx: Context) -> None:
    user = next((rt for rt in ctx.found.resource_types if member(rt, "name") == "User"), None)
    expect(user is not None, "no resource type named User")
    expect(member(user, "endpoint") == "/Users", f"User's endpoint is {member(user, 'endpoint')!r}")
    expect(member(user, "schema") == CORE, f"User's schema is {member(user, 'schema')!r}")


@check(CHECKS, "rfc.discovery.schemas", "/Schemas describes the User schema", "RFC 7643 §7")
def schemas(ctx: Context) -> None:
    user = next((s for s in ctx.found.schemas if member(s, "id") == CORE), None)
    expect(user is not None, f"/Schemas lists no {CORE}")
    names = {member(a, "name") for a in member(user, "attributes") or []}
    expect("userName" in names, "the User schema has no userName attribute")


@check(
    CHECKS,
    "rfc.discovery.extensions",
    "Each schema extension is served and attached",
    "RFC 7643 §3.3, §6, §7",
)
def extensions(ctx: Context) -> None:
    if not ctx.found.extensions:
        raise Skip("/Schemas and /ResourceTypes name no schema extension of the target's own")
    attached = {
        str(member(e, "schema"))
        for rt in ctx.found.resource_types
        for e in member(rt, "schemaExtensions") or []
    }
    for urn in sorted(ctx.found.extensions):
        expect(urn in attached, f"{urn} is attached to no resource type")
        body = json_object(ctx.target.get(f"/Schemas/{urn}"))
        expect(
            member(body, "id") == urn, f"/Schemas/{urn} answered the schema {member(body, 'id')!r}"
        )
        expect(isinstance(member(body, "attributes"), list), f"{urn} lists no attributes")


@check(CHECKS, "rfc.auth.missing", "No credentials: 401", "RFC 7644 §2, §3.12")
def auth_missing(ctx: Context) -> None:
    scim_error(ctx.target.request("GET", "/Users?count=1", auth="none"), 401)


@check(CHECKS, "rfc.auth.wrong", "Credentials of nobody: 401", "RFC 7644 §2, §3.12")
def auth_wrong(ctx: Context) -> None:
    scim_error(ctx.target.request("GET", "/Users?count=1", auth="wrong"), 401)


@check(
    CHECKS,
    "rfc.error.not-found",
    "An unknown id: 404, a SCIM Error",
    "RFC 7644 §3.4.1, §3.12",
    "User",
)
def not_found(ctx: Context) -> None:
    scim_error(ctx.target.get(f"/Users/{NO_SUCH_ID}"), 404)


@check(
    CHECKS,
    "rfc.users.create",
    "POST /Users: 201, id, meta, Location",
    "RFC 7644 §3.3, §3.1",
    "User",
)
def create(ctx: Context) -> None:
    name = ctx.name()
    response = ctx.target.request("POST", "/Users", json={"schemas": [CORE], "userName": name})
    expect(response.status_code == 201, f"answered {response.status_code}, not 201")
    kind = response.headers.get("content-type", "")
    expect(kind.startswith("application/scim+json"), f"Content-Type is {kind!r}")
    body = json_object(response)
    expect(isinstance(body.get("id"), str) and body["id"], "no id")
    expect(body.get("userName") == name, f"userName is {body.get('userName')!r}")
    meta = body.get("meta") or {}
    expect(meta.get("resourceType") == "User", f"meta.resourceType is {meta.get('resourceType')!r}")
    for attribute in ("created", "lastModified", "location"):
        expect(meta.get(attribute), f"meta.{attribute} is missing")
    location = response.headers.get("location")
    expect(location == meta.get("location"), f"Location {location!r} is not meta.location")


@check(CHECKS, "rfc.users.read", "GET /Users/{id} returns the resource", "RFC 7644 §3.4.1", "User")
def read(ctx: Context) -> None:
    made = ctx.new_user()
    body = json_object(ctx.target.get(f"/Users/{made['id']}"))
    expect(
        body.get("id") == made["id"] and body.get("userName") == made["userName"], "not the user"
    )


@check(CHECKS, "rfc.users.password", "A password is never returned", "RFC 7643 §4.1.1, §7", "User")
def password(ctx: Context) -> None:
    made = ctx.new_user(password="t1-Secret-t1")
    expect("password" not in made, "POST's answer shows the password")
    body = json_object(ctx.target.get(f"/Users/{made['id']}"))
    expect("password" not in body, "GET's answer shows the password")


@check(
    CHECKS, "rfc.users.unique", "A taken userName: 409 uniqueness", "RFC 7644 §3.3, §3.12", "User"
)
def unique(ctx: Context) -> None:
    made = ctx.new_user()
    again = {"schemas": [CORE], "userName": made["userName"]}
    scim_error(ctx.target.request("POST", "/Users", json=again), 409, "uniqueness")


@check(CHECKS, "rfc.users.replace", "PUT replaces the resource", "RFC 7644 §3.5.1", "User")
def replace(ctx: Context) -> None:
    made = ctx.new_user(displayName="Before")
    body = {"schemas": [CORE], "userName": made["userName"], "displayName": "After"}
    response = ctx.target.request("PUT", f"/Users/{made['id']}", json=body)
    expect(response.status_code == 200, f"answered {response.status_code}, not 200")
    expect(json_object(response).get("displayName") == "After", "displayName was not replaced")


@check(CHECKS, "rfc.users.delete", "DELETE: 204, then 404", "RFC 7644 §3.6", "User")
def delete(ctx: Context) -> None:
    made = ctx.new_user()
    response = ctx.target.request("DELETE", f"/Users/{made['id']}")
    expect(response.status_code == 204, f"answered {response.status_code}, not 204")
    scim_error(ctx.target.get(f"/Users/{made['id']}"), 404)


def _patched(ctx: Context, path: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """PATCH ``path``: 200 with the resource or 204 (RFC 7644 §3.5.2); the
    resource as a GET reads it afterwards."""
    body = {"schemas": [PATCHOP], "Operations": operations}
    response = ctx.target.request("PATCH", path, json=body)
    expect(response.status_code in (200, 204), f"answered {response.status_code}, not 200 or 204")
    return json_object(ctx.target.get(path))


@check(
    CHECKS,
    "rfc.users.patch",
    "PATCH replace: 200 or 204, applied",
    "RFC 7644 §3.5.2, §3.5.2.3",
    "User",
    "patch",
)
def patch(ctx: Context) -> None:
    made = ctx.new_user(displayName="Before")
    after = _patched(
        ctx, f"/Users/{made['id']}", [{"op": "replace", "path": "displayName", "value": "After"}]
    )
    expect(after.get("displayName") == "After", f"displayName is {after.get('displayName')!r}")


@check(
    CHECKS,
    "rfc.users.patch-filter",
    "PATCH add, then remove by a value filter",
    "RFC 7644 §3.5.2.1, §3.5.2.2",
    "User",
    "patch",
)
def patch_filter(ctx: Context) -> None:
    made = ctx.new_user(emails=[{"value": "home@example.com", "type": "home"}])
    path = f"/Users/{made['id']}"
    work = {"value": "work@example.com", "type": "work"}
    after = _patched(ctx, path, [{"op": "add", "path": "emails", "value": [work]}])
    types = sorted(str(e.get("type")) for e in after.get("emails") or [])
    expect(types == ["home", "work"], f"after add, the emails' types are {types}")
    after = _patched(ctx, path, [{"op": "remove", "path": 'emails[type eq "work"]'}])
    types = sorted(str(e.get("type")) for e in after.get("emails") or [])
    expect(types == ["home"], f"after remove, the emails' types are {types}")


@check(
    CHECKS,
    "rfc.groups.members",
    "A group holds the members it was given",
    "RFC 7643 §4.2; RFC 7644 §3.3",
    "Group",
)
def group_members(ctx: Context) -> None:
    user = ctx.new_user()
    group = ctx.new_group([user["id"]])
    body = json_object(ctx.target.get(f"/Groups/{group['id']}"))
    expect(GROUP in (body.get("schemas") or []), f"schemas lacks {GROUP}")
    values = [m.get("value") for m in body.get("members") or []]
    expect(values == [user["id"]], f"members are {values}, not [{user['id']!r}]")


@check(
    CHECKS,
    "rfc.groups.patch-members",
    "PATCH adds and removes members",
    "RFC 7644 §3.5.2.1, §3.5.2.2",
    "Group",
    "patch",
)
def group_patch(ctx: Context) -> None:
    one, two = ctx.new_user(), ctx.new_user()
    path = f"/Groups/{ctx.new_group([one['id']])['id']}"
    after = _patched(ctx, path, [{"op": "add", "path": "members", "value": [{"value": two["id"]}]}])
    values = sorted(str(m.get("value")) for m in after.get("members") or [])
    expect(values == sorted([one["id"], two["id"]]), f"after add, members are {values}")
    remove = {"op": "remove", "path": f'members[value eq "{one["id"]}"]'}
    after = _patched(ctx, path, [remove])
    values = [str(m.get("value")) for m in after.get("members") or []]
    expect(values == [two["id"]], f"after remove, members are {values}")
