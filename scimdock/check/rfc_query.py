"""The ``rfc`` suite, part two: lists, filters, sorting, projection,
search, versions (ETags), Bulk and cursor paging (RFC 7644 §3.4, §3.7,
§3.14; RFC 9865). Each list is narrowed to the run's own users by a filter
on its prefix, so what else the target holds never matters."""

from __future__ import annotations

from typing import Any

from scimdock.check.model import Skip, expect, member
from scimdock.check.suite import CORE, GROUP, LIST, Check, Context, check, json_object, scim_error

CHECKS: list[Check] = []


def _mine(ctx: Context, query: str = "") -> str:
    return f'/Users?filter=userName sw "{ctx.target.prefix}"{query}'


def _ids(body: dict[str, Any]) -> list[str]:
    return [str(r.get("id")) for r in body.get("Resources") or []]


@check(
    CHECKS,
    "rfc.list.page",
    "A page: ListResponse, counts, startIndex",
    "RFC 7644 §3.4.2, §3.4.2.4",
    "User",
)
def page(ctx: Context) -> None:
    ctx.new_user(), ctx.new_user()
    body = json_object(ctx.target.get("/Users?startIndex=1&count=1"))
    expect(LIST in (body.get("schemas") or []), f"schemas lacks {LIST}")
    total, items = body.get("totalResults"), body.get("itemsPerPage")
    expect(type(total) is int and total >= 2, f"totalResults is {total!r}")
    expect(type(items) is int and items <= 1, f"itemsPerPage is {items!r} for count=1")
    expect(body.get("startIndex") == 1, f"startIndex is {body.get('startIndex')!r}")
    expect(len(body.get("Resources") or []) <= 1, "more than count=1 resources")


@check(
    CHECKS,
    "rfc.filter.eq",
    "filter userName eq finds exactly the user",
    "RFC 7644 §3.4.2.2",
    "User",
    "filter",
)
def filter_eq(ctx: Context) -> None:
    made, _ = ctx.new_user(), ctx.new_user()
    body = json_object(ctx.target.get(f'/Users?filter=userName eq "{made["userName"]}"'))
    expect(_ids(body) == [made["id"]], f"found {_ids(body)}, not [{made['id']!r}]")
    expect(body.get("totalResults") == 1, f"totalResults is {body.get('totalResults')!r}")


@check(
    CHECKS,
    "rfc.filter.case",
    "userName compares in any case",
    "RFC 7643 §2.2, §8.7.1; RFC 7644 §3.4.2.2",
    "User",
    "filter",
)
def filter_case(ctx: Context) -> None:
    user = next((s for s in ctx.found.schemas if member(s, "id") == CORE), {})
    attribute: Any = next(
        (a for a in member(user, "attributes") or [] if member(a, "name") == "userName"), {}
    )
    if member(attribute, "caseExact") is True:
        raise Skip("/Schemas says userName is caseExact")
    made = ctx.new_user()
    body = json_object(ctx.target.get(f'/Users?filter=userName eq "{made["userName"].upper()}"'))
    expect(_ids(body) == [made["id"]], f"the name in capitals found {_ids(body)}")


@check(
    CHECKS,
    "rfc.filter.invalid",
    "A malformed filter: 400 invalidFilter",
    "RFC 7644 §3.4.2.2, §3.12",
    "User",
    "filter",
)
def filter_invalid(ctx: Context) -> None:
    scim_error(ctx.target.get('/Users?filter=userName eq "a" and'), 400, "invalidFilter")


@check(
    CHECKS,
    "rfc.filter.sw",
    "filter sw finds the run's users only",
    "RFC 7644 §3.4.2.2",
    "User",
    "filter",
)
def filter_sw(ctx: Context) -> None:
    made = {ctx.new_user()["id"], ctx.new_user()["id"]}
    body = json_object(ctx.target.get(_mine(ctx)))
    expect(set(_ids(body)) == made, f"found {sorted(_ids(body))}, not {sorted(made)}")


@check(
    CHECKS,
    "rfc.sort",
    "sortBy and sortOrder order the list",
    "RFC 7644 §3.4.2.3",
    "User",
    "filter",
    "sort",
)
def sort(ctx: Context) -> None:
    names = [ctx.new_user()["userName"] for _ in range(3)]
    body = json_object(ctx.target.get(_mine(ctx, "&sortBy=userName&sortOrder=descending")))
    got = [r.get("userName") for r in body.get("Resources") or []]
    expect(got == sorted(names, reverse=True), f"descending order is {got}")


@check(
    CHECKS,
    "rfc.projection.attributes",
    "attributes= returns those and id",
    "RFC 7644 §3.4.2.5; RFC 7643 §7",
    "User",
)
def attributes(ctx: Context) -> None:
    made = ctx.new_user(displayName="Shown Not")
    body = json_object(ctx.target.get(f"/Users/{made['id']}?attributes=userName"))
    expect(body.get("id") == made["id"], "id (returned always) is missing")
    expect(body.get("userName") == made["userName"], "userName is missing")
    expect("displayName" not in body, "displayName was not asked for, yet returned")


@check(
    CHECKS,
    "rfc.projection.excluded",
    "excludedAttributes= leaves those out",
    "RFC 7644 §3.4.2.5",
    "User",
)
def excluded(ctx: Context) -> None:
    made = ctx.new_user(displayName="Hidden")
    body = json_object(ctx.target.get(f"/Users/{made['id']}?excludedAttributes=displayName"))
    expect("displayName" not in body, "displayName was excluded, yet returned")
    expect(body.get("userName") == made["userName"], "userName is missing")


@check(
    CHECKS,
    "rfc.search",
    "POST /Users/.search with a SearchRequest",
    "RFC 7644 §3.4.3",
    "User",
    "filter",
)
def search(ctx: Context) -> None:
    made = ctx.new_user()
    request = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": f'userName eq "{made["userName"]}"',
    }
    response = ctx.target.request("POST", "/Users/.search", json=request)
    expect(response.status_code == 200, f"answered {response.status_code}, not 200")
    expect(_ids(json_object(response)) == [made["id"]], "the search did not find the user")


@check(CHECKS, "rfc.etag.header", "ETag header is meta.version", "RFC 7644 §3.14", "User", "etag")
def etag_header(ctx: Context) -> None:
    made = ctx.new_user()
    response = ctx.target.get(f"/Users/{made['id']}")
    etag, version = (
        response.headers.get("etag"),
        (json_object(response).get("meta") or {}).get("version"),
    )
    expect(etag, "no ETag header")
    expect(etag == version, f"ETag {etag!r} is not meta.version {version!r}")


@check(
    CHECKS,
    "rfc.etag.not-modified",
    "If-None-Match with the current ETag: 304",
    "RFC 7644 §3.14",
    "User",
    "etag",
)
def not_modified(ctx: Context) -> None:
    made = ctx.new_user()
    etag = ctx.target.get(f"/Users/{made['id']}").headers.get("etag")
    expect(etag, "no ETag header")
    response = ctx.target.get(f"/Users/{made['id']}", headers={"If-None-Match": str(etag)})
    expect(response.status_code == 304, f"answered {response.status_code}, not 304")


@check(
    CHECKS,
    "rfc.etag.precondition",
    "PUT with a stale If-Match: 412",
    "RFC 7644 §3.14",
    "User",
    "etag",
)
def precondition(ctx: Context) -> None:
    made = ctx.new_user()
    body = {"schemas": [CORE], "userName": made["userName"], "displayName": "Stale"}
    headers = {"If-Match": 'W/"not-the-version"'}
    scim_error(ctx.target.request("PUT", f"/Users/{made['id']}", json=body, headers=headers), 412)


@check(
    CHECKS,
    "rfc.bulk",
    "Bulk: a user and a group naming it by bulkId",
    "RFC 7644 §3.7, §3.7.2",
    "User",
    "Group",
    "bulk",
)
def bulk(ctx: Context) -> None:
    user = {"schemas": [CORE], "userName": ctx.name()}
    group = {
        "schemas": [GROUP],
        "displayName": ctx.name("group"),
        "members": [{"value": "bulkId:u"}],
    }
    request = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": user},
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": group},
        ],
    }
    response = ctx.target.request("POST", "/Bulk", json=request)
    expect(response.status_code == 200, f"answered {response.status_code}, not 200")
    ops = json_object(response).get("Operations") or []
    statuses = [str(op.get("status")) for op in ops]
    expect(statuses == ["201", "201"], f"the operations' statuses are {statuses}")
    created = json_object(ctx.target.get(f'/Users?filter=userName eq "{user["userName"]}"'))
    group_url = str(ops[1].get("location") or "")
    members = json_object(ctx.target.get("/Groups/" + group_url.rstrip("/").rsplit("/", 1)[-1]))
    values = [m.get("value") for m in members.get("members") or []]
    expect(values == _ids(created), f"the group's members are {values}, not the user's id")


@check(
    CHECKS,
    "rfc.cursor",
    "Cursor paging visits each resource once",
    "RFC 9865 §2",
    "User",
    "filter",
    "cursor",
)
def cursor(ctx: Context) -> None:
    made = {ctx.new_user()["id"] for _ in range(3)}
    seen: list[str] = []
    body = json_object(ctx.target.get(_mine(ctx, "&count=2&cursor")))
    while True:
        seen += _ids(body)
        nxt = body.get("nextCursor")
        if not nxt or len(seen) > 10:
            break
        body = json_object(ctx.target.get(_mine(ctx, f"&count=2&cursor={nxt}")))
    expect(sorted(seen) == sorted(made), f"the cursor pages held {seen}")
