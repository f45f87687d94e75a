"""Identity-provider request replays against the live server.

Every ``scimdock/check/replays/<idp>/*.yaml`` is one flow that Microsoft Entra ID or Okta
really performs, paraphrased from the document each file cites (its
``source:``). A flow runs step by step in a fresh tenant of the session
server, through :class:`conftest.Client`, so every answer is also checked
against openapi/scim.yaml. The format is described in
``scimdock/check/replay.py``; adding a flow is adding a YAML file (``scimdock
check`` runs the same flows against any server, docs/check.md).

Each flow runs twice: on the session server and, in a tenant of its own, on
a server with Connexion and uvicorn as shipped (``SCIMDOCK_TUNING=off``) on
the same database. Both runs must pass the flow's checks, and their
transcripts (status, headers, body of every answer, with the ids, times,
origin and tenant each run made its own put in order of appearance) must be
identical: scimdock.tuning decides no answer (docs/architecture.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import scimdock.check
from conftest import Client, Server, start_server, stop_server
from scimdock.check.flows import run_flow
from scimdock.check.matching import check_answer, get_all, run_check, same_json, same_multiset
from scimdock.check.replay import (
    CONSTANTS,
    Flow,
    ReplayError,
    load_flow,
    loop_values,
    render,
    variables_of,
)
from scimdock.check.target import PREFIX

REPLAYS = Path(scimdock.check.__file__).resolve().parent / "replays"
FILES = sorted(REPLAYS.glob("*/*.yaml"))
#: base64("nokey:nosecret"): well-formed, but no such key exists.
WRONG_TOKEN = "bm9rZXk6bm9zZWNyZXQ="


def test_the_corpus_is_there_and_every_flow_cites_its_source() -> None:
    assert {f.parent.name for f in FILES} >= {"entra", "okta"}, FILES
    for file in FILES:
        flow = load_flow(file)
        for source in flow.sources:
            assert source.get("section") or source.get("url"), (
                f"{flow.label}: cite the section or the URL of {source['title']!r}"
            )


@pytest.fixture(scope="module")
def stock(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second instance on the session server's database, untuned."""
    srv = start_server(
        tmp_path_factory.mktemp("stock"), env={"SCIMDOCK_TUNING": "off"}, db=server.db
    )
    yield srv
    stop_server(srv)


@pytest.mark.parametrize("file", FILES, ids=[f"{f.parent.name}/{f.stem}" for f in FILES])
def test_replay(file: Path, server: Server, stock: Server, tenant_name: str) -> None:
    flow = load_flow(file)
    tuned = _run_flow(flow, server, f"{tenant_name}t")
    untuned = _run_flow(flow, stock, f"{tenant_name}u")
    for number, (a, b) in enumerate(zip(tuned, untuned, strict=True), 1):
        assert a == b, f"{flow.label}: answer {number} differs without tuning"


class Transcript(Client):
    """A :class:`conftest.Client` that keeps every exchange, normalized
    (:func:`_normalize`), for the tuned/untuned comparison."""

    def __init__(self, server: Server, token: str | None, tenant: str, **kw: Any) -> None:
        super().__init__(server, token, **kw)
        self.tenant = tenant
        self.seen: list[tuple[Any, ...]] = []
        self.ids: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = super().request(method, path, **kwargs)
        headers = sorted(
            (k, self.normalize(v)) for k, v in response.headers.items() if k not in _OWN_HEADERS
        )
        body = self.normalize(response.text)
        self.seen.append(
            (method, self.normalize(path), response.status_code, headers, _ordered(body))
        )
        return response

    def normalize(self, text: str) -> str:
        text = text.replace(self.server.origin, "<origin>").replace(self.tenant, "<tenant>")
        text = _TIME.sub("<time>", text)
        return _ID.sub(lambda m: self.ids.setdefault(m.group(0), f"<id{len(self.ids)}>"), text)


#: Headers that differ between two servers by nature (the length follows the body).
_OWN_HEADERS = {"date", "server", "x-request-id", "content-length"}
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
#: Resource ids (UUIDs) and key ids a run made.
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|sk_[0-9a-f]+")


#: Lists the store orders by resource id, which each run draws at random.
_BY_ID = {"members", "groups", "Resources"}


def _ordered(body: str) -> str:
    """``body`` with the lists of :data:`_BY_ID` in one order (by their
    normalized text), so that two runs compare: whatever else differs,
    byte for byte."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError:
        return body

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [walk(v) for v in value]
            return sorted(items, key=json.dumps) if key in _BY_ID else items
        return value

    return json.dumps(walk(doc), ensure_ascii=False, separators=(",", ":"))


def _run_flow(flow: Flow, server: Server, tenant: str) -> list[tuple[Any, ...]]:
    """Run ``flow`` in a new tenant of ``server``; its normalized transcript."""
    token = server.tenant(tenant)
    clients = {
        "token": Transcript(server, token, tenant),
        "wrong": Transcript(server, WRONG_TOKEN, tenant),
        "none": Transcript(server, None, tenant),
        "admin": Transcript(server, server.operator_token, tenant, admin=True),
    }
    client = clients["token"]
    for other in clients.values():
        other.seen, other.ids = client.seen, client.ids  # one transcript, in order

    def send(who: str, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        try:
            return clients[who].request(method, path, **kwargs)
        except AssertionError as exc:  # the OpenAPI check of conftest.Client
            raise ReplayError(f"the response breaks openapi/scim.yaml: {exc}") from None

    def known_issue(step: dict[str, Any], exc: ReplayError) -> None:
        pytest.xfail(f"known issue: {step['known_issue']}\n{exc}")

    run_flow(flow, send, variables_of(flow, tenant, PREFIX), known_issue=known_issue)
    return client.seen


# --- the replay language itself ------------------------------------------------


def test_paths_templates_and_matchers_of_the_replay_language() -> None:
    ent = CONSTANTS["ENT"]
    body = {
        "emails": [{"value": "a"}, {"value": "b"}],
        ent: {"manager": {"value": "m"}},
        "totalResults": 2,
        "active": True,
    }
    assert get_all(body, f"{ent}.manager.value") == ["m"]
    assert get_all(body, "emails[*].value") == ["a", "b"]
    assert get_all(body, "emails[1].value") == ["b"] and get_all(body, "emails[5].value") == []
    assert get_all(body, "urn:nothing.value") == []
    assert render("{{n}}", {"n": 101}) == 101  # a whole template keeps its type
    assert (
        render("/Users?startIndex={{n}}&x={{b}}", {"n": 101, "b": False})
        == "/Users?startIndex=101&x=false"
    )
    with pytest.raises(ReplayError, match="unknown variable"):
        render("{{nope}}", {})
    step = {
        "status": 200,
        "expect": {"totalResults": "2", "active": 1},
        "absent": ["emails"],
        "present": ["meta"],
        "length": {"emails": 3},
    }
    problems = check_answer(step, 200, body, {}, {})
    assert len(problems) == 5, problems  # "2" is not 2, 1 is not true, and the other three
    assert check_answer({"status": 201}, 200, body, {}, {}) == ["status: expected 201, got 200"]
    assert same_json({"a": [1, {"p": True}]}, {"a": [1.0, {"p": True}]})
    assert not same_json({"p": 1}, {"p": True}) and not same_json(["1"], [1])
    members = {"members": [{"value": "a"}, {"value": "b"}]}
    assert (
        check_answer(
            {"status": 200, "unordered": {"members[*].value": ["b", "a"]}}, 200, members, {}, {}
        )
        == []
    )
    for wrong in (["a"], ["a", "b", "b"], ["a", "c"], "a"):
        assert (
            check_answer(
                {"status": 200, "unordered": {"members[*].value": wrong}}, 200, members, {}, {}
            )
            != []
        ), wrong
    assert (
        check_answer({"status": 200, "unordered": {"members[*].value": []}}, 200, {}, {}, {}) == []
    )  # SCIM omits an empty list
    assert not same_multiset([True], [1]) and same_multiset([1, {"p": True}], [{"p": True}, 1])
    assert loop_values({"from": 1, "to": 150, "step": 100}) == [1, 101]
    assert run_check({"same": ["a", "b"]}, {"a": [1, 2, 2], "b": [1, 2]}) != []
    assert run_check({"same": ["a", "b"], "count": {"a": 2}}, {"a": [2, 1], "b": [1, 2]}) == []
