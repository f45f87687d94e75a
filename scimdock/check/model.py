"""What ``scimdock check`` finds: one :class:`Result` per check, with the
exchange that decided a failure and the source the check rests on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class CheckFailed(AssertionError):
    """The server's answer breaks the rule the check rests on."""


class Unsafe(CheckFailed):
    """A request the run will not send (not its own resource, ``--read-only``),
    or one that got no answer."""


class Skip(Exception):
    """The target does not offer what the check needs (the reason says what)."""


def expect(condition: object, message: str) -> None:
    """Fail the check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def member(obj: Any, name: str) -> Any:
    """A member of a JSON object by its name in any letter case (RFC 7643
    §2.1); None when ``obj`` is no object or has no such member."""
    if not isinstance(obj, dict):
        return None
    return next(
        (v for k, v in obj.items() if isinstance(k, str) and k.lower() == name.lower()), None
    )


@dataclass
class Exchange:
    """One request and its answer, credentials masked."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str

    def text(self) -> str:
        lines = [f"> {self.method} {self.url}"]
        lines += [f"> {k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body:
            lines.append(f"> {self.request_body}")
        if self.status is None:
            lines.append("< (no answer)")
            return "\n".join(lines)
        lines.append(f"< {self.status}")
        lines += [f"< {k}: {v}" for k, v in self.response_headers.items()]
        if self.response_body:
            lines.append(f"< {self.response_body}")
        return "\n".join(lines)


@dataclass
class Result:
    suite: str
    id: str
    title: str
    #: The RFC section or the identity provider's document the check rests on.
    source: str
    outcome: str = PASSED
    reason: str = ""
    seconds: float = 0.0
    exchange: Exchange | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("extra")
        return out
