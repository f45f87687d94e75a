"""Running a replay flow (:mod:`scimdock.check.replay`) step by step over
any HTTP sender: ``scimdock check`` sends through its guarded, paced
client (:mod:`scimdock.check.target`), the contract tests through a client
that checks every answer against openapi/scim.yaml.

A sender is ``send(who, method, path, kwargs) -> httpx.Response``, where
``who`` is the step's credentials: ``token`` (the tenant's), ``wrong`` (a
token of no key), ``none`` (no Authorization header) or ``admin`` (a step
of scimdock's admin API); ``kwargs`` are httpx's (``params``, ``headers``,
``json``). A sender may raise :class:`ReplayError` to fail the step.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from scimdock.check.matching import capture, check_answer, run_check
from scimdock.check.replay import Flow, ReplayError, loop_values, render

Send = Callable[[str, str, str, dict[str, Any]], httpx.Response]
#: Called for a step marked ``known_issue`` that failed: it decides (the
#: contract tests mark the test an expected failure).
KnownIssue = Callable[[dict[str, Any], ReplayError], None]
#: Called before each step with a request: ``None`` to run it, or a reason
#: to leave it out (``scimdock check`` leaves out the admin API's steps).
Gate = Callable[[dict[str, Any], dict[str, Any]], str | None]


def run_flow(
    flow: Flow,
    send: Send,
    variables: dict[str, Any],
    *,
    known_issue: KnownIssue | None = None,
    gate: Gate | None = None,
) -> None:
    """Every step of ``flow`` in order; :class:`ReplayError` at the first
    that does not get the answer it expects."""
    for number, step in enumerate(flow.steps, 1):
        if "check" in step:
            problems = run_check(step["check"], variables)
            if problems:
                raise _failure(flow, number, step, "check", problems)
            continue
        if gate is not None and gate(step, variables) is not None:
            continue
        who = step.get("auth") or ("admin" if step.get("api") == "admin" else "token")
        if "known_issue" not in step or known_issue is None:
            _run_loop(send, who, flow, number, step, variables)
            continue
        try:
            _run_loop(send, who, flow, number, step, variables)
        except ReplayError as exc:
            known_issue(step, exc)
            return
        raise ReplayError(
            f"{flow.label}, step {number} {step.get('name', '')!r} passes now: "
            "remove its 'known_issue' marker"
        )


def _run_loop(
    send: Send, who: str, flow: Flow, number: int, step: dict[str, Any], variables: dict[str, Any]
) -> None:
    as_name = str(step.get("as", "i"))
    for value in loop_values(step["repeat"]) if "repeat" in step else [None]:
        if value is not None:
            variables[as_name] = value
        _run_step(send, who, flow, number, step, variables)


def _run_step(
    send: Send, who: str, flow: Flow, number: int, step: dict[str, Any], variables: dict[str, Any]
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
        response = send(who, method, path, kwargs)
    except ReplayError as exc:
        raise _failure(flow, number, step, request, [str(exc)]) from None
    body = json_of(response)
    problems = check_answer(step, response.status_code, body, dict(response.headers), variables)
    if not problems:
        problems = capture(step, body, variables)
    if problems:
        raise _failure(flow, number, step, request, problems, response)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def json_of(response: httpx.Response) -> Any:
    """The response's JSON body; its text when it is not JSON; None when empty."""
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def _failure(
    flow: Flow,
    number: int,
    step: dict[str, Any],
    request: str,
    problems: list[str],
    response: httpx.Response | None = None,
) -> ReplayError:
    lines = [f"{flow.label} ({flow.name}), step {number} {step.get('name', '')!r}: {request}"]
    lines += [f"  - {p}" for p in problems]
    if response is not None:
        text = response.text if len(response.text) < 3000 else response.text[:3000] + "..."
        lines.append(f"  response {response.status_code}: {text}")
    return ReplayError("\n".join(lines))
