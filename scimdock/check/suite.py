"""A suite is a list of :class:`Check` run in order over one
:class:`Context`: the guarded target, what discovery found, and the helpers
that make the run's own users and groups."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import httpx

from scimdock.check.discovery import Discovery
from scimdock.check.model import FAILED, SKIPPED, CheckFailed, Result, Skip, expect, member
from scimdock.check.target import READ_ONLY, Target

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Context:
    target: Target
    found: Discovery
    _names: Any = field(default_factory=lambda: count(1))

    def name(self, what: str = "user") -> str:
        """A new name with the run's prefix (``scimdock-check-ab12cd-user-3``)."""
        return f"{self.target.prefix}{what}-{next(self._names)}"

    def new_user(self, **extra: Any) -> dict[str, Any]:
        body = {"schemas": [CORE], "userName": self.name(), **extra}
        response = self.target.request("POST", "/Users", json=body)
        expect(response.status_code == 201, f"POST /Users answered {response.status_code}, not 201")
        return json_object(response)

    def new_group(self, members: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        body = {
            "schemas": [GROUP],
            "displayName": self.name("group"),
            "members": [{"value": m} for m in members],
        }
        response = self.target.request("POST", "/Groups", json=body)
        expect(
            response.status_code == 201, f"POST /Groups answered {response.status_code}, not 201"
        )
        return json_object(response)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's body, which must be a JSON object."""
    try:
        body = response.json()
    except ValueError:
        raise CheckFailed(f"the {response.status_code} answer is not JSON") from None
    expect(isinstance(body, dict), f"the {response.status_code} answer is not a JSON object")
    return body  # type: ignore[no-any-return]


def scim_error(response: httpx.Response, status: int, scim_type: str | None = None) -> None:
    """The answer is the SCIM Error ``status`` (RFC 7644 §3.12): its schema,
    ``status`` as a string, and ``scimType`` when one is given."""
    expect(response.status_code == status, f"answered {response.status_code}, not {status}")
    body = json_object(response)
    expect(ERROR in (member(body, "schemas") or []), f"the error body lacks the schema {ERROR}")
    expect(
        member(body, "status") == str(status),
        f"the error's status is {member(body, 'status')!r}, not the string {str(status)!r}",
    )
    if scim_type is not None:
        got = member(body, "scimType")
        expect(got == scim_type, f"scimType is {got!r}, not {scim_type!r}")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    source: str
    needs: tuple[str, ...]
    run: Callable[[Context], None]


def check(
    registry: list[Check], id: str, title: str, source: str, *needs: str
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    """Register the decorated function as a check of ``registry``."""

    def register(func: Callable[[Context], None]) -> Callable[[Context], None]:
        registry.append(Check(id, title, source, needs, func))
        return func

    return register


def run_one(suite: str, item: Check, ctx: Context) -> Result:
    """One check: passed, failed (with the exchange that decided it) or
    skipped (with the reason); what it created is deleted after it."""
    result = Result(suite, item.id, item.title, item.source)
    reason = ctx.found.lacks(*item.needs)
    if reason is not None:
        result.outcome, result.reason = SKIPPED, reason
        return result
    return settle(result, ctx, lambda: item.run(ctx), "check")


def settle(result: Result, ctx: Context, body: Callable[[], None], what: str) -> Result:
    """Run ``body`` for ``result``: passed, failed (with the exchange that
    decided it: a :class:`CheckFailed`, or a replay's ``ReplayError``) or
    skipped (:class:`Skip`; a write under ``--read-only``); what it
    created is deleted after it."""
    started = time.monotonic()
    ctx.target.last = None
    try:
        body()
    except Skip as exc:
        result.outcome, result.reason = SKIPPED, str(exc)
    except AssertionError as exc:
        if ctx.target.read_only and READ_ONLY in str(exc):
            result.outcome, result.reason = SKIPPED, f"{READ_ONLY}: the {what} writes"
            return result
        result.outcome, result.reason = FAILED, ctx.target.mask(str(exc))
        result.exchange = ctx.target.last
    finally:
        left = ctx.target.cleanup()
        if left and result.outcome != FAILED:
            result.outcome, result.reason = FAILED, "could not delete: " + "; ".join(left)
            result.exchange = ctx.target.last
        result.seconds = round(time.monotonic() - started, 3)
    return result
