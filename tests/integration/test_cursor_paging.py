"""Cursor-based paging (RFC 9865) over HTTP: walking every page of /Users,
/Groups, their /.search and the service root's search, under concurrent
writes, with filters and sortBy; tampered, foreign and expired cursors;
count limits; index paging left as it was."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Client, Server, start_clocked_server, start_server, stop_server

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _user(client: Client, name: str, **attrs: Any) -> str:
    r = client.post("/Users", json={"schemas": [USER], "userName": name, **attrs})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _group(client: Client, name: str) -> str:
    r = client.post("/Groups", json={"schemas": [GROUP], "displayName": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _pages(client: Client, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every page of a GET walk, from an empty cursor to the last page."""
    cursor = ""
    while True:
        r = client.get(path, params={**params, "cursor": cursor})
        assert r.status_code == 200, r.text
        page = r.json()
        yield page
        if "nextCursor" not in page:
            return
        cursor = page["nextCursor"]


def _walk(client: Client, path: str, **params: Any) -> list[str]:
    return [res["id"] for page in _pages(client, path, **params) for res in page["Resources"]]


def test_service_provider_config_advertises_both_paging_methods(client: Client) -> None:
    spc = client.get("/ServiceProviderConfig").json()
    assert spc["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": spc["filter"]["maxResults"],
        "maxPageSize": spc["filter"]["maxResults"],
        "cursorTimeout": 3600,
    }


def test_walk_returns_every_user_once_in_insertion_order(client: Client) -> None:
    ids = [_user(client, f"u{n}") for n in range(7)]
    pages = list(_pages(client, "/Users", count=3))
    assert [len(p["Resources"]) for p in pages] == [3, 3, 1]
    assert [r["id"] for p in pages for r in p["Resources"]] == ids
    for p in pages:
        assert p["totalResults"] == 7
        assert p["itemsPerPage"] == len(p["Resources"])
        assert "startIndex" not in p and "previousCursor" not in p
    assert all(c.isalnum() or c in "-._~" for c in pages[0]["nextCursor"])  # RFC 3986 §2.3


def test_a_bare_cursor_parameter_asks_for_the_first_page(client: Client) -> None:
    ids = [_user(client, f"b{n}") for n in range(3)]
    r = client.get("/Users?cursor&count=2")
    assert r.status_code == 200, r.text
    assert [u["id"] for u in r.json()["Resources"]] == ids[:2]
    assert "nextCursor" in r.json()


def test_no_resource_is_repeated_or_skipped_when_writes_come_between_pages(
    client: Client,
) -> None:
    steady = [_user(client, f"s{n:02d}") for n in range(10)]
    doomed = [_user(client, f"d{n:02d}") for n in range(4)]
    seen: list[str] = []
    added = 0
    for page in _pages(client, "/Users", count=3):
        seen += [u["id"] for u in page["Resources"]]
        # Before the next page: new users, and users deleted both behind
        # the walk and ahead of it.
        for _ in range(2):
            _user(client, f"new{added}")
            added += 1
        if doomed:
            assert client.delete(f"/Users/{doomed.pop()}").status_code == 204
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in steady] == steady


def test_a_walk_under_concurrent_writers_sees_every_steady_user_once(client: Client) -> None:
    steady = [_user(client, f"c{n:02d}") for n in range(12)]
    stop = threading.Event()

    def churn() -> None:
        n = 0
        while not stop.is_set():
            made = _user(client, f"churn{n}")
            if n % 2:
                client.delete(f"/Users/{made}")
            n += 1

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        seen = _walk(client, "/Users", count=2)
    finally:
        stop.set()
        writer.join()
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in steady] == steady


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_sorted_walk_matches_the_sorted_list_also_with_missing_values(
    client: Client, order: str
) -> None:
    for n, title in enumerate(["b", None, "A", "c", None, "b", "a"]):
        _user(client, f"t{n}", **({"title": title} if title else {}))
    params = {"sortBy": "title", "sortOrder": order}
    listed = client.get("/Users", params={**params, "count": 100}).json()["Resources"]
    assert _walk(client, "/Users", count=2, **params) == [u["id"] for u in listed]
    titles = [u.get("title") for u in listed]
    assert titles[-2:] == [None, None] if order == "ascending" else titles[:2] == [None, None]


def test_sorted_walk_stays_stable_under_inserts(client: Client) -> None:
    steady = {_user(client, f"k{n}", title=f"t{n % 3}"): f"t{n % 3}" for n in range(9)}
    seen: list[str] = []
    for k, page in enumerate(_pages(client, "/Users", count=2, sortBy="title")):
        seen += [u["id"] for u in page["Resources"]]
        _user(client, f"late{k}", title="t0")  # sorts before the walk's position
        _user(client, f"later{k}", title="t9")  # sorts after it
    assert len(seen) == len(set(seen))
    ordered = [i for i in seen if i in steady]
    assert sorted(ordered) == sorted(steady)
    assert [steady[i] for i in ordered] == sorted(steady.values())


def test_filtered_walk_and_a_cursor_of_another_filter(client: Client) -> None:
    match = [_user(client, f"f{n}", active=True) for n in range(5)]
    for n in range(5):
        _user(client, f"g{n}", active=False)
    query = {"filter": "active eq true", "count": 2}
    pages = list(_pages(client, "/Users", **query))
    assert [u["id"] for p in pages for u in p["Resources"]] == match
    assert {p["totalResults"] for p in pages} == {5}
    nxt = pages[0]["nextCursor"]
    r = client.get("/Users", params={"filter": "active eq false", "count": 2, "cursor": nxt})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidCursor"
    r = client.get("/Users", params={**query, "sortBy": "userName", "cursor": nxt})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidCursor"
    # count may change between pages: it is not part of the position.
    r = client.get("/Users", params={**query, "count": 10, "cursor": nxt})
    assert [u["id"] for u in r.json()["Resources"]] == match[2:]


def test_tampered_and_foreign_cursors_are_invalid(server: Server, client: Client) -> None:
    for n in range(4):
        _user(client, f"x{n}")
    _group(client, "g")
    nxt = client.get("/Users", params={"cursor": "", "count": 1}).json()["nextCursor"]
    payload, tag = nxt.split(".")
    forged = [
        payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + tag,
        payload + "." + tag[::-1],
        "garbage",
        "a.b",
        nxt + "x",
        "~~~.~~~",
    ]
    other = Client(server, server.tenant(f"other{time.monotonic_ns()}"))
    _user(other, "someone")
    for path, c, cursor in [
        *[("/Users", client, f) for f in forged],
        ("/Groups", client, nxt),  # another endpoint
        ("/", client, nxt),
        ("/Users", other, nxt),  # another tenant
    ]:
        r = c.get(path, params={"cursor": cursor, "count": 1})
        assert r.status_code == 400, (cursor, r.text)
        assert r.json()["scimType"] == "invalidCursor", r.text


def test_count_zero_and_negative_return_only_the_total_and_a_cursor(client: Client) -> None:
    ids = [_user(client, f"z{n}") for n in range(3)]
    for count in (0, -5):
        page = client.get("/Users", params={"cursor": "", "count": count}).json()
        assert page["totalResults"] == 3 and page["Resources"] == []
        nxt = client.get("/Users", params={"cursor": page["nextCursor"], "count": 5}).json()
        assert [u["id"] for u in nxt["Resources"]] == ids
    r = client.get("/Users", params={"cursor": "", "count": 3}).json()
    assert len(r["Resources"]) == 3 and "nextCursor" not in r
    empty = Client(client.server, client.server.tenant(f"empty{time.monotonic_ns()}"))
    page = empty.get("/Users", params={"cursor": "", "count": 0}).json()
    assert page["totalResults"] == 0 and "nextCursor" not in page


def test_cursor_with_start_index_is_refused(client: Client) -> None:
    r = client.get("/Users", params={"cursor": "", "startIndex": 1})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    r = client.post("/Users/.search", json={"schemas": [SEARCH], "cursor": "", "startIndex": 2})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_index_paging_is_unchanged(client: Client) -> None:
    ids = [_user(client, f"i{n}") for n in range(3)]
    page = client.get("/Users", params={"startIndex": 2, "count": 1}).json()
    assert page["startIndex"] == 2 and "nextCursor" not in page
    assert [u["id"] for u in page["Resources"]] == ids[1:2]
    assert "nextCursor" not in client.get("/Users").json()  # index is the default


def test_search_bodies_walk_users_groups_and_the_service_root(client: Client) -> None:
    users = [_user(client, f"p{n}") for n in range(3)]
    groups = [_group(client, f"grp{n}") for n in range(3)]

    def walk(path: str, **body: Any) -> list[str]:
        seen: list[str] = []
        cursor = ""
        while True:
            req = {"schemas": [SEARCH], "count": 2, "cursor": cursor, **body}
            r = client.post(path, json=req)
            assert r.status_code == 200, r.text
            seen += [x["id"] for x in r.json()["Resources"]]
            assert r.json()["totalResults"] == body.get("expect", len(users) + len(groups))
            if "nextCursor" not in r.json():
                return seen
            cursor = r.json()["nextCursor"]

    assert walk("/Users/.search", expect=3) == users
    assert walk("/Groups/.search", expect=3) == groups
    assert walk("/.search") == users + groups
    root = [u["id"] for page in _pages(client, "/", count=4) for u in page["Resources"]]
    assert root == users + groups
    # Case-insensitive SearchRequest names (RFC 7643 §2.1) include "cursor".
    r = client.post("/Users/.search", json={"schemas": [SEARCH], "CURSOR": "", "count": 1})
    assert r.status_code == 200 and "nextCursor" in r.json()


def test_group_walk_with_members_and_sort(client: Client) -> None:
    member = _user(client, "member")
    names = ["delta", "Alpha", "charlie", "bravo"]
    for name in names:
        gid = _group(client, name)
        patch = {"op": "add", "path": "members", "value": [{"value": member}]}
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [patch]}
        assert client.patch(f"/Groups/{gid}", json=body).status_code in (200, 204)
    pages = list(_pages(client, "/Groups", count=3, sortBy="displayName"))
    got = [g["displayName"] for p in pages for g in p["Resources"]]
    assert got == sorted(names, key=str.lower)
    assert all(g["members"][0]["value"] == member for p in pages for g in p["Resources"])


def test_page_size_limit_and_expired_cursor(tmp_path: Path) -> None:
    """A cursor past ``cursorTimeout`` is 400 expiredCursor (RFC 9865 §4):
    on a server whose clock the test moves, not a wait."""
    limited, stop = start_clocked_server(tmp_path, max_results=4, cursor_timeout=1)
    try:
        client = Client(limited, limited.tenant("limited"))
        ids = [_user(client, f"l{n}") for n in range(6)]
        spc = client.get("/ServiceProviderConfig").json()["pagination"]
        assert spc["maxPageSize"] == 4 and spc["cursorTimeout"] == 1
        first = client.get("/Users", params={"cursor": "", "count": 100}).json()
        assert [u["id"] for u in first["Resources"]] == ids[:4]
        limited.clock.advance(1)
        second = client.get("/Users", params={"cursor": first["nextCursor"], "count": 100})
        assert second.status_code == 200, second.text  # 1 s old: still within the timeout
        limited.clock.advance(1.5)
        r = client.get("/Users", params={"cursor": first["nextCursor"], "count": 100})
        assert r.status_code == 400, r.text
        assert r.json()["scimType"] == "expiredCursor"
    finally:
        limited.close_store()
        stop()


def test_instances_sharing_a_cursor_key_honour_each_others_cursors(tmp_path: Path) -> None:
    env = {"SCIMDOCK_CURSOR_KEY": "shared secret for the test"}
    one = start_server(_mk(tmp_path / "one"), env=env)
    two = None
    try:
        two = start_server(_mk(tmp_path / "two"), env=env, db=one.db)
        client = Client(one, one.tenant("shared"))
        ids = [_user(client, f"m{n}") for n in range(3)]
        nxt = client.get("/Users", params={"cursor": "", "count": 2}).json()["nextCursor"]
        other = Client(two, client.http.headers["Authorization"].split()[1])
        r = other.get("/Users", params={"cursor": nxt, "count": 2})
        assert r.status_code == 200, r.text
        assert [u["id"] for u in r.json()["Resources"]] == ids[2:]
    finally:
        stop_server(one)
        if two is not None:
            stop_server(two)


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
