"""The ``entra`` and ``okta`` suites: the identity providers' request flows
of ``replays/<idp>/*.yaml`` (each cites the provider's document it
paraphrases), replayed in order with the provider's expectations.

What a flow needs comes from what it sends: PATCH, a filter, ETags, Bulk,
an extension schema registered through scimdock's admin API (the target
must already list it in /Schemas), or, when the flow counts every user
and group (``needs: [empty]``), a tenant with none. A flow the target
cannot serve is skipped with that reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from scimdock.check.flows import run_flow
from scimdock.check.model import Result, Skip, member
from scimdock.check.replay import Flow, load_flow, render, variables_of
from scimdock.check.suite import Context, settle

REPLAYS = Path(__file__).resolve().parent / "replays"


def flows(idp: str) -> list[Flow]:
    return [load_flow(f) for f in sorted((REPLAYS / idp).glob("*.yaml"))]


def needs(flow: Flow) -> list[str]:
    """The features ``flow`` uses, read from its steps."""
    text = json.dumps(flow.steps)
    found = list(flow.needs)
    if any(str(s.get("method", "")).upper() == "PATCH" for s in flow.steps):
        found.append("patch")
    if "filter" in text:
        found.append("filter")
    if "meta.version" in text or "If-Match" in text or "If-None-Match" in text:
        found.append("etag")
    if "/Groups" in text:
        found.append("Group")
    return found


def source_of(flow: Flow) -> str:
    return "; ".join(
        f"{s.get('title')}{', ' + s['section'] if s.get('section') else ''} <{s.get('url', '')}>"
        for s in flow.sources
    )


def run_idp(idp: str, ctx: Context) -> list[Result]:
    return [_run(idp, flow, ctx) for flow in flows(idp)]


def _run(idp: str, flow: Flow, ctx: Context) -> Result:
    result = Result(idp, f"{idp}.{flow.file.stem}", flow.name, source_of(flow))

    def body() -> None:
        _ready(flow, ctx)
        variables = variables_of(flow, "", ctx.target.prefix)
        run_flow(flow, _sender(ctx), variables, gate=_gate(ctx))

    return settle(result, ctx, body, "flow")


def _ready(flow: Flow, ctx: Context) -> None:
    reason = ctx.found.lacks(*[n for n in needs(flow) if n != "empty"])
    if reason is not None:
        raise Skip(reason)
    if "empty" in flow.needs:
        for endpoint in ("/Users", "/Groups"):
            total = member(_body(ctx.target.get(f"{endpoint}?count=0")), "totalResults")
            if total != 0:
                raise Skip(f"the flow counts every resource, and {endpoint} holds {total!r}")


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _sender(ctx: Context) -> Any:
    def send(who: str, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        return ctx.target.request(method, path, auth=who, **kwargs)

    return send


def _gate(ctx: Context) -> Any:
    def gate(step: dict[str, Any], variables: dict[str, Any]) -> str | None:
        """A step marked ``own`` (scimdock's choice, not the provider's or
        the RFC's) is left out. A step of scimdock's admin API registers an
        extension schema: left out when the target lists that schema
        already, else the flow cannot run here."""
        if "own" in step:
            return str(step["own"])
        if step.get("api") != "admin":
            return None
        schema = render(member(member(step.get("body"), "schema"), "id"), variables)
        if schema in ctx.found.schema_ids:
            return f"{schema} is listed"
        raise Skip(f"the flow needs the extension schema {schema}, which /Schemas does not list")

    return gate
