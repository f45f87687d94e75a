"""Conformance notes of the mock's journal (docs/mock.md): which of the
deviations the lenient server tolerates (:data:`core.leniency.RULES`, the
one list) a request needed, and the per-client report of a journal.

The leniency code paths say what they applied (:func:`core.leniency.note`);
the few deviations no code path handles because they are simply accepted
(the media type, ``schemas`` left out, ``id``/``meta`` sent) are read off
the request here. Notes on the answers of a target behind the mock's
recording proxy, in the same shape, are scimdock.mock.rules.target_notes's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scimdock.core.leniency import RULES

_WRITES = frozenset({"POST", "PUT", "PATCH"})


def request_notes(
    method: str, headers: dict[str, str], body: Any, applied: list[str]
) -> list[dict[str, Any]]:
    """The notes of one request: each rule once, with how often it applied
    (``count``), in the order first met. ``headers``: lower-case names."""
    found = list(applied)
    if method in _WRITES and body is not None:
        kind = headers.get("content-type", "").lower()
        if kind.startswith("application/json"):
            found.append("media-type-json")  # RFC 7644 §3.8
        if isinstance(body, dict):
            keys = {k.lower() for k in body if isinstance(k, str)}
            if "schemas" not in keys:
                found.append("missing-schemas")  # RFC 7643 §3
            if method in ("POST", "PUT") and keys & {"id", "meta"}:
                found.append("client-sent-read-only")  # RFC 7643 §3.1
    return [{**RULES[rule].view(), "count": n} for rule, n in Counter(found).items()]


def client_of(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    client = entry.get("client") or {}
    return client.get("userAgent"), client.get("keyId")


def report(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Per client (User-Agent and key id), the rules its requests needed:
    for each, how many requests and the first one as an example."""
    clients: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for entry in entries:
        key = client_of(entry)
        client = clients.get(key)
        if client is None:
            client = clients[key] = {
                "userAgent": key[0],
                "keyId": key[1],
                "requests": 0,
                "rules": {},
            }
        client["requests"] += 1
        for note in entry.get("conformance") or ():
            rule = client["rules"].get(note["rule"])
            if rule is None:
                rule = client["rules"][note["rule"]] = {
                    **{k: v for k, v in note.items() if k != "count"},
                    "requests": 0,
                    "example": {
                        "seq": entry["seq"],
                        "requestId": entry.get("requestId"),
                        "method": entry["method"],
                        "path": entry["path"],
                    },
                }
            rule["requests"] += 1
    listed = []
    for client in clients.values():
        rules = sorted(client["rules"].values(), key=lambda r: (-r["requests"], r["rule"]))
        listed.append({**client, "rules": rules})
    return {"clients": listed}
