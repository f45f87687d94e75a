"""Shortcuts on the request path against the general code they stand for:
each must give what the general path gives, for every input shape."""

from __future__ import annotations

import dataclasses
import threading

import orjson
import pytest
from starlette.responses import Response

from scimdock.core.projection import returns_attribute
from scimdock.core.tenants import tenant_from_host
from scimdock.handlers.http import SCIM_JSON, scim
from scimdock.handlers.users import USERS, shows_groups
from scimdock.store import sql_members
from scimdock.store.sqldialect import POSTGRES, SQLITE
from scimdock.store.sqlite_engine import _PerThread
from scimdock.tuning.compat import CONNEXION_CONTEXT, extract_content_type
from scimdock.tuning.middleware import content_type
from scimdock.tuning.request import ScopeRequest, scope_and_context

BODY = {"schemas": ["urn:x"], "id": "1", "name": {"givenName": "Ann"}}


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, None),
        (200, {}),
        (200, {"ETag": 'W/"3"'}),
        (201, {"ETag": 'W/"1"', "Location": "https://h\xe9/scim/v1/Users/1"}),
        (304, {"ETag": 'W/"1"'}),
        (204, None),
        (100, None),
        (400, {"Content-Type": "application/json"}),
        (200, {"CONTENT-LENGTH": "3"}),
        (200, {"X-Other": "a", "content-type": "text/plain"}),
    ],
)
def test_a_scim_response_has_starlettes_headers_and_body(
    status: int, headers: dict[str, str] | None
) -> None:
    ours = scim(BODY, status, headers)
    theirs = Response(orjson.dumps(BODY), status, headers, media_type=SCIM_JSON)
    assert (ours.status_code, ours.body, ours.raw_headers) == (
        theirs.status_code,
        theirs.body,
        theirs.raw_headers,
    )


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"host", b"x"), (b"content-type", b"application/scim+json")],
        [(b"Content-Type", b"text/plain"), (b"content-type", b"application/json")],
        [(b"CONTENT-TYPE", b"a/b")],
        [("content-type", "a/b")],
        [(b"content-types", b"a/b"), (b"x", b"y")],
        [(b"content-typ\xe9", b"a/b")],
    ],
)
def test_the_content_type_is_read_as_connexion_reads_it(headers: list[tuple[bytes, bytes]]) -> None:
    assert content_type(headers) == extract_content_type(headers)


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
@pytest.mark.parametrize("ids", [["u1"], ["u1", "u2"]])
def test_one_users_direct_groups_statement_is_the_general_one(
    dialect: object, ids: list[str]
) -> None:
    where, params = next(sql_members.in_ids(dialect, "m.member_id", ids))  # type: ignore[arg-type]
    general = (sql_members._DIRECT_GROUPS.format(where=where), [7, *params])
    assert sql_members.direct_groups(dialect, 7, ids) == general  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "moment", [0.0, 1765164000.0, 1765164000.0005, 1765164000.9999, 1765164001.5]
)
def test_the_access_lines_time_is_the_one_datetime_writes(
    moment: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from scimdock.front import access

    monkeypatch.setattr(access.time, "time", lambda: moment)
    second = int(moment)
    whole = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")[:19]
    assert access.utc_now_ms() == f"{whole}.{int((moment - second) * 1000):03d}+00:00"


@pytest.mark.parametrize(
    "path",
    [
        "/scim/v1/Users/abc",
        "/scim/v1/users/abc",
        "/scim/v1/Users/.SEARCH",
        "/scim/v1/Users/.search",
        "/scim/v1/USERS",
        "/scim/v1/",
        "/scim/v1/Schemas/urn:x",
        "/admin/v1/users",
        "/scim/v1/Groups/ABC/x",
    ],
)
def test_endpoint_case_folds_what_the_general_walk_folds(path: str) -> None:
    from scimdock.front.paths import EndpointCase

    templates = ["/Users", "/Users/{id}", "/Users/.search", "/Groups/{id}", "/Schemas/{id}"]
    case = EndpointCase("/scim/v1", templates)
    scope = {"path": path, "raw_path": path.encode()}
    case.fold(scope)
    expected = path
    if path.startswith(case.root):
        parts = path[len(case.root) :].split("/")
        folded = [case.literals.get((at, p.lower()), p) for at, p in enumerate(parts)]
        expected = case.root + "/".join(folded)
    assert (scope["path"], scope["raw_path"]) == (expected, expected.encode())


def test_a_new_id_is_what_uuid4_makes_of_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import uuid

    from scimdock.store import records

    for _ in range(200):
        raw = os.urandom(16)
        monkeypatch.setattr(records.os, "urandom", lambda n, raw=raw: raw)
        assert records.new_id() == str(uuid.UUID(bytes=raw, version=4))


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("acme.example.com", "example.com"),
        ("ACME.Example.COM.:8443", "example.com"),
        ("example.com", "example.com"),
        ("[::1]", "example.com"),
        ("acme.example.com", ""),
        (None, "example.com"),
        ("a.b.example.com:1", "Example.com"),
    ],
)
def test_the_remembered_tenant_of_a_host_is_the_computed_one(host: str | None, domain: str) -> None:
    computed = tenant_from_host.__wrapped__(host, domain)
    assert tenant_from_host(host, domain) == computed
    assert tenant_from_host(host, domain) == computed  # asked again: remembered


def test_an_engines_per_thread_state_starts_at_the_defaults_its_readers_assumed() -> None:
    """Each name of ``_PerThread`` reads, in a thread that never set it, as
    ``getattr(threading.local(), name, default)`` with the default the
    engine and its group commit pass."""
    defaults = {"depth": 0, "reader": None, "deadline": None, "broken": False}
    seen: dict[str, object] = {}
    local, plain = _PerThread(), threading.local()
    local.depth = 3  # this thread's own: another thread does not see it
    worker = threading.Thread(
        target=lambda: seen.update(
            {name: (getattr(local, name), getattr(plain, name, d)) for name, d in defaults.items()}
        )
    )
    worker.start()
    worker.join()
    assert seen == {name: (d, d) for name, d in defaults.items()}


@pytest.mark.parametrize(
    "scope",
    [
        {"type": "http", "headers": []},
        {"type": "http", "headers": [], "extensions": {}},
        {"type": "http", "headers": [], "extensions": {CONNEXION_CONTEXT: {"k": 1}}},
    ],
)
def test_the_bearer_function_sees_the_scope_and_context_a_request_shows(
    scope: dict[str, object],
) -> None:
    light = scope_and_context(scope)
    request = ScopeRequest(dict(scope))  # the general path's, on a copy of the same scope
    assert light.scope is scope
    assert light.context == request.context
    assert light.context is scope["extensions"][CONNEXION_CONTEXT]  # type: ignore[index]


@pytest.mark.parametrize("returned", ["default", "always", "request", "never"])
def test_whether_a_users_groups_are_shown_by_default_is_the_general_answer(
    returned: str,
) -> None:
    base = USERS.rt
    attributes = tuple(
        dataclasses.replace(a, returned=returned) if a.name == "groups" else a
        for a in base.schema.attributes
    )
    rt = dataclasses.replace(base, schema=dataclasses.replace(base.schema, attributes=attributes))
    general = returns_attribute(rt, None, None, "groups")
    assert rt.derived(shows_groups) == general
    assert rt.derived(shows_groups) == general  # asked again: kept with the type
    assert general == (returned != "request" and returned != "never")
