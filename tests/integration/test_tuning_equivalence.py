"""scimdock.tuning changes when Connexion's fixed work is done, never what
a client gets: the same requests to a server with Connexion as shipped
(``SCIMDOCK_TUNING=off``) and to the production server, over HTTP, on the
same database, must get the same status, headers and body — successes,
every kind of validation error, authentication failures, routing errors,
the served documents and the Swagger UI, and bodies JSON's grammar admits
but no SCIM message can hold (scimdock.core.body). Both servers validate
their responses too. The whole integration suite also runs against
untuned servers (``make test-untuned``)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import ROOT, Server, free_port, serving, start_server, stop_server, wait_until

pytestmark = pytest.mark.backend_independent(
    "the tuned and the stock Connexion and uvicorn, in front of the store"
)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """The production server and the origin of a stock one on its database."""
    tuned = start_server(tmp_path_factory.mktemp("tuned"), env={"SCIMDOCK_TUNING": "on"})
    port = free_port()
    log = tuned.home / "stock.log"
    env = {
        "SCIMDOCK_VALIDATE_RESPONSES": "1",
        "SCIMDOCK_ADMIN_TOKEN": tuned.operator_token,
        "SCIMDOCK_TUNING": "off",
    }
    stock = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scimdock",
            "--db",
            str(tuned.db),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: serving(origin), 30, "the stock server to start", process=stock, log=log)
        yield tuned, origin
    finally:
        stock.terminate()
        stock.wait(10)
        stop_server(tuned)
    assert "Traceback" not in log.read_text()


def _same(tuned: Server, stock: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Send one request to both; assert identical answers; return one."""
    # One request id for both, so that both echo the same one.
    headers = {"Host": "scim.test", "X-Request-ID": "equivalence", **kwargs.pop("headers", {})}
    answers = [
        httpx.request(method, origin + path, headers=headers, timeout=30, **kwargs)
        for origin in (tuned.origin, stock)
    ]
    a, b = answers
    assert (a.status_code, a.content) == (b.status_code, b.content), (method, path, a.text, b.text)
    strip = {"date", "server"}
    assert sorted((k, v) for k, v in a.headers.items() if k not in strip) == sorted(
        (k, v) for k, v in b.headers.items() if k not in strip
    ), (method, path)
    return a


def test_every_kind_of_answer_is_the_same_without_tuning(pair: tuple[Server, str]) -> None:
    tuned, stock = pair
    token = tuned.tenant("equivalence")
    auth = {"Authorization": f"Bearer {token}"}
    scim = {**auth, "Content-Type": "application/scim+json"}

    def same(method: str, path: str, **kw: Any) -> httpx.Response:
        return _same(tuned, stock, method, "/scim/v1" + path, **kw)

    created = httpx.post(
        f"{tuned.base}/Users",
        headers={**scim, "Host": "scim.test"},
        content=json.dumps(
            {
                "schemas": [USER],
                "userName": "ann@example.com",
                "emails": [{"value": "ann@example.com"}],
            }
        ),
    )
    assert created.status_code == 201, created.text
    uid, etag = created.json()["id"], created.headers["etag"]
    group = httpx.post(
        f"{tuned.base}/Groups",
        headers={**scim, "Host": "scim.test"},
        content=json.dumps({"displayName": "g", "members": [{"value": uid}]}),
    )
    gid = group.json()["id"]

    # reads, projections, conditional requests, queries
    assert same("GET", f"/Users/{uid}", headers=auth).status_code == 200
    same("GET", f"/Users/{uid}", headers=auth, params={"attributes": "userName,emails"})
    same("GET", f"/Users/{uid}", headers=auth, params={"excludedAttributes": "groups"})
    assert same("GET", f"/Users/{uid}", headers={**auth, "If-None-Match": etag}).status_code == 304
    assert same("GET", "/Users/no-such-id", headers=auth).status_code == 404
    same("GET", "/Users", headers=auth, params={"filter": 'userName eq "ann@example.com"'})
    same("GET", "/Users", headers=auth, params={"filter": "userName eq"})
    same("GET", "/Users", headers=auth, params={"count": "abc"})
    same("GET", "/Users", headers=auth, params={"startIndex": "0", "count": "1", "x": "y"})
    same("GET", "/Users", headers=auth, params=[("count", "1"), ("count", "2")])
    same("GET", "/Users", headers=auth, params={"sortBy": "userName", "sortOrder": "sideways"})
    same("GET", f"/Groups/{gid}", headers=auth)
    same("GET", f"/Groups/{gid}", headers=auth, params={"excludedAttributes": "members"})
    same(
        "POST",
        "/Users/.search",
        headers=scim,
        content=json.dumps({"schemas": [SEARCH], "filter": 'userName sw "a"', "count": 5}),
    )
    same("GET", "/ServiceProviderConfig")
    same("GET", "/Schemas", headers=auth)

    # bodies: syntax, schema, media type, encoding, conflicts, preconditions
    for body in (
        "{",
        "",
        "NaN",
        "[1, 2]",
        '{"userName": 7}',
        '{"schemas": ["x"]}',
        '{"schemas": ["%s"], "userName": "ann@example.com"}' % USER,
    ):
        same("POST", "/Users", headers=scim, content=body)
    same("POST", "/Users", headers={**auth, "Content-Type": "text/plain"}, content="x")
    same("POST", "/Users", headers={**auth, "Content-Type": "application/json"}, content="{")
    same("POST", "/Users", headers=auth, content=b"\xff\xfe")
    # a charset parameter: both read the body the same way (a user of that
    # name exists already, so a different reading would be a 201 on one side)
    cafe = json.dumps({"schemas": [USER], "userName": "caf\u00e9@example.com"}, ensure_ascii=False)
    assert (
        httpx.post(
            f"{tuned.base}/Users", headers={**scim, "Host": "scim.test"}, content=cafe.encode()
        ).status_code
        == 201
    )
    for charset, encoding in (
        ("latin-1", "latin-1"),
        ("latin-1", "utf-8"),
        ("utf-16", "utf-16"),
        ("no-such-charset", "utf-8"),
    ):
        same(
            "POST",
            "/Users",
            content=cafe.encode(encoding),
            headers={**auth, "Content-Type": f"application/scim+json; charset={charset}"},
        )
    same(
        "PATCH",
        f"/Users/{uid}",
        headers=scim,
        content=json.dumps({"schemas": [PATCH_OP], "Operations": [{"op": "jump"}]}),
    )
    deactivate = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    same(
        "PATCH",
        f"/Users/{uid}",
        headers={**scim, "If-Match": 'W/"0"'},
        content=json.dumps(deactivate),
    )
    same(
        "PUT",
        f"/Users/{uid}",
        headers={**scim, "If-Match": 'W/"0"'},
        content=json.dumps({"schemas": [USER], "userName": "ann@example.com"}),
    )
    same("DELETE", "/Users/no-such-id", headers=auth)

    # authentication
    same("GET", "/Users")
    same("GET", "/Users", headers={"Authorization": "Bearer"})
    same("GET", "/Users", headers={"Authorization": "Bearer !!!"})
    same("GET", "/Users", headers={"Authorization": "Token abc"})
    key_id = base64.b64decode(token).decode().split(":", 1)[0]
    wrong = base64.b64encode(f"{key_id}:nope".encode()).decode()
    same("GET", "/Users", headers={"Authorization": f"Bearer {wrong}"})
    same("GET", "/Users", headers={"Authorization": f"Basic {wrong}"})
    assert same("GET", "/Users", headers={"Authorization": f"Basic {token}"}).status_code == 200
    # the same on a resource's own route, which the tuned front takes directly
    # (scimdock.tuning.lane) and whose bearer token goes straight to its check
    for authorization in ("Bearer", f"Bearer {wrong}", "Bearer !!!", "bearer  " + token, ""):
        same("GET", f"/Users/{uid}", headers={"Authorization": authorization})
    assert same("GET", f"/Users/{uid}", headers={"Authorization": f"BEARER {token}"}).is_success
    assert same("GET", f"/Users/{uid}", headers={"Authorization": f"Basic {token}"}).is_success
    assert same("GET", f"/Groups/{gid}", headers={**auth, "Host": "other.test"}).is_success
    same("POST", "/Users", headers={"Authorization": f"Bearer {wrong}"}, content="{}")
    # a read with a media type: validated as any request with one
    same("GET", f"/Users/{uid}", headers={**auth, "Content-Type": "text/plain"})
    same("GET", f"/Users/{uid}", headers={**auth, "Content-Type": "application/scim+json"})
    same("DELETE", "/Users/no-such-id", headers={**auth, "Content-Type": "text/plain"})

    # routing, the served documents, the Swagger UI
    same("GET", "/Nope", headers=auth)
    same("DELETE", "/Users", headers=auth)
    same("GET", "/Users/", headers=auth)
    for path in (
        "/openapi.json",
        "/openapi.yaml",
        "/ui/",
        "/ui",
        "/ui/index.html",
        "/openapi.json/",
        "/ui/swagger-ui.css",
    ):
        same("GET", path, follow_redirects=False)
    _same(tuned, stock, "GET", "/admin/v1/openapi.json")
    _same(tuned, stock, "GET", "/admin/v1/tenants")
    _same(
        tuned,
        stock,
        "GET",
        "/admin/v1/tenants/equivalence",
        headers={"Authorization": f"Bearer {tuned.operator_token}"},
    )

    # a write through one server reads back the same through both
    r = httpx.patch(
        f"{tuned.base}/Users/{uid}",
        headers={**scim, "Host": "scim.test"},
        content=json.dumps(deactivate),
    )
    assert r.status_code == 200, r.text
    assert same("GET", f"/Users/{uid}", headers=auth).json()["active"] is False


#: Bodies JSON's grammar (or Python's parser) admits and a SCIM message
#: cannot hold, and what each is (RFC 7644 §3.12; scimdock.core.body).
UNKEEPABLE = [
    ('{"schemas": ["%s"], "userName": "\\ud800"}' % USER, "invalidSyntax"),
    ('{"schemas": ["\\udfff"], "userName": "lone@example.com"}', "invalidSyntax"),
    ('{"schemas": ["%s"], "userName": "k@example.com", "\\ud800": 1}' % USER, "invalidSyntax"),
    ('{"schemas": ["%s"], "userName": "n@example.com", "x": NaN}' % USER, "invalidSyntax"),
    ('{"schemas": ["%s"], "userName": "i@example.com", "x": -Infinity}' % USER, "invalidSyntax"),
    ('{"schemas": ["%s"], "userName": "b@example.com", "x": %d}' % (USER, 2**70), "invalidValue"),
    (
        '{"schemas": ["%s"], "userName": "d@example.com", "x": %s}' % (USER, "9" * 5000),
        "invalidSyntax",
    ),
    (
        '{"schemas": ["%s"], "userName": "e@example.com", "x": %s}' % (USER, "[" * 300 + "]" * 300),
        "invalidSyntax",
    ),
    (
        '{"schemas": ["%s"], "userName": "f@example.com", "x": %s}'
        % (USER, "[" * 5000 + "]" * 5000),
        "invalidSyntax",
    ),
]


@pytest.mark.parametrize(
    ("body", "scim_type"),
    UNKEEPABLE,
    ids=[
        "surrogate",
        "surrogate-schemas",
        "surrogate-name",
        "nan",
        "infinity",
        "int-beyond-64-bits",
        "5000-digits",
        "depth-300",
        "depth-5000",
    ],
)
def test_a_body_no_scim_message_can_hold_is_the_same_400_without_tuning(
    pair: tuple[Server, str], body: str, scim_type: str
) -> None:
    tuned, stock = pair
    token = tuned.tenant(f"unkeepable-{uuid.uuid4().hex[:12]}")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    for method, path in (("POST", "/Users"), ("POST", "/Groups"), ("POST", "/.search")):
        payload = body if path != "/Groups" else body.replace('"userName"', '"displayName"')
        answer = _same(
            tuned,
            stock,
            method,
            "/scim/v1" + path,
            headers=headers,
            content=payload.replace(USER, _schema(path)).encode("utf-8", "surrogatepass"),
        )
        assert answer.status_code == 400, answer.text
        if path == "/Users":  # the others' schemas refuse an unknown member first
            assert answer.json()["scimType"] == scim_type, answer.text


def test_duplicate_member_names_keep_the_last_without_tuning(pair: tuple[Server, str]) -> None:
    """RFC 8259 §4 leaves duplicate names to the parser: both keep the last."""
    tuned, stock = pair
    token = tuned.tenant("duplicates")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    for server, name in ((tuned.origin, "tuned"), (stock, "stock")):
        body = (
            '{"schemas": ["%s"], "userName": "first@example.com", "userName": "%s@example.com"}'
            % (USER, name)
        )
        created = httpx.post(f"{server}/scim/v1/Users", headers=headers, content=body)
        assert created.status_code == 201, created.text
        assert created.json()["userName"] == f"{name}@example.com"


def _schema(path: str) -> str:
    return {
        "/Users": USER,
        "/Groups": "urn:ietf:params:scim:schemas:core:2.0:Group",
        "/.search": SEARCH,
    }[path]
