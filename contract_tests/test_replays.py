"""Identity-provider request replays against the live server.

Every ``replays/<idp>/*.yaml`` is one flow that Microsoft Entra ID or Okta
really performs, paraphrased from the document each file cites (its
``source:``). A flow runs step by step in a fresh tenant of the session
server, through :class:`conftest.Client`, so every answer is also checked
against openapi/scim.yaml. The format is described in ``replay.py``; adding
a flow is adding a YAML file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Client, Server
from contract_tests.replay import (
    CONSTANTS,
    Flow,
    ReplayError,
    capture,
    check_answer,
    get_all,
    load_flow,
    loop_values,
    render,
    run_check,
    same_json,
    same_multiset,
)

REPLAYS = Path(__file__).resolve().parent / "replays"
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


@pytest.mark.parametrize("file", FILES, ids=[f"{f.parent.name}/{f.stem}" for f in FILES])
def test_replay(file: Path, server: Server, tenant_name: str) -> None:
    flow = load_flow(file)
    client = Client(server, server.tenant(tenant_name))
    wrong = Client(server, WRONG_TOKEN)
    anonymous = Client(server, None)
    admin = Client(server, server.operator_token, admin=True)
    variables: dict[str, Any] = {"tenant": tenant_name, **flow.vars}
    for number, step in enumerate(flow.steps, 1):
        if "check" in step:
            _fail_if(run_check(step["check"], variables), flow, number, step, "check")
            continue
        chosen = {"none": anonymous, "wrong": wrong}.get(step.get("auth", ""), client)
        if step.get("api") == "admin":
            chosen = admin
        if "known_issue" not in step:
            _run_loop(chosen, flow, number, step, variables)
            continue
        try:
            _run_loop(chosen, flow, number, step, variables)
        except ReplayError as exc:
            pytest.xfail(f"known issue: {step['known_issue']}\n{exc}")
        raise ReplayError(
            f"{flow.label}, step {number} {step.get('name', '')!r} passes now: "
            "remove its 'known_issue' marker"
        )


def _run_loop(
    client: Client, flow: Flow, number: int, step: dict[str, Any], variables: dict[str, Any]
) -> None:
    as_name = str(step.get("as", "i"))
    for value in loop_values(step["repeat"]) if "repeat" in step else [None]:
        if value is not None:
            variables[as_name] = value
        _run_step(client, flow, number, step, variables)


def _run_step(
    client: Client, flow: Flow, number: int, step: dict[str, Any], variables: dict[str, Any]
) -> None:
    method = str(step["method"]).upper()
    path = render(step["path"], variables)
    kwargs: dict[str, Any] = {}
    if step.get("query"):
        kwargs["params"] = {k: _param(v) for k, v in render(step["query"], variables).items()}
    headers = {str(k): str(v) for k, v in (render(step.get("headers") or {}, variables)).items()}
    if headers:
        kwargs["headers"] = headers
    if "body" in step:
        kwargs["json"] = render(step["body"], variables)
    request = f"{method} {path}" + (f" {kwargs['params']}" if "params" in kwargs else "")
    try:
        response = client.request(method, path, **kwargs)
    except AssertionError as exc:  # the OpenAPI check of conftest.Client
        _fail(flow, number, step, request, [f"the response breaks openapi/scim.yaml: {exc}"])
    body = _json(response)
    problems = check_answer(step, response.status_code, body, dict(response.headers), variables)
    if not problems:
        problems = capture(step, body, variables)
    if problems:
        _fail(flow, number, step, request, problems, response)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text


def _fail_if(
    problems: list[str], flow: Flow, number: int, step: dict[str, Any], request: str
) -> None:
    if problems:
        _fail(flow, number, step, request, problems)


def _fail(
    flow: Flow,
    number: int,
    step: dict[str, Any],
    request: str,
    problems: list[str],
    response: httpx.Response | None = None,
) -> None:
    lines = [f"{flow.label} ({flow.name}), step {number} {step.get('name', '')!r}: {request}"]
    lines += [f"  - {p}" for p in problems]
    if response is not None:
        text = response.text if len(response.text) < 3000 else response.text[:3000] + "..."
        lines.append(f"  response {response.status_code}: {text}")
    raise ReplayError("\n".join(lines))


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
