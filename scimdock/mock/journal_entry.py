"""A journal entry of the mock (docs/mock.md, "Read the journal"): what
one SCIM exchange was, as the journal shows it, built from what
scimdock.mock.journal kept of it (the raw headers, bodies and status) when the
journal is first read.

Credentials are masked: ``Authorization`` keeps its scheme, cookies and
any header or query parameter naming a token, secret, key or password
lose their value, and every ``password`` of a body is masked (RFC 7643
§4.1.1 makes it write-only). Bodies are JSON when they parse.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

import orjson
from starlette.types import Scope

from scimdock.core import credentials
from scimdock.mock.rules import conformance

#: Bytes of each body kept in an entry; the rest is cut (``bodyTruncated``).
BODY_CAP = 256 * 1024
MASK = "****"
_SECRET_NAME = re.compile(r"token|secret|key|password|passwd|cookie|session|auth", re.I)
_ID_PATH = re.compile(r"^/(Users|Groups)/([^/]+)")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def credential(value: str | None) -> tuple[str, str] | None:
    """``(key id, secret)`` of a Bearer token or Basic pair (RFC 7617)."""
    if not value or " " not in value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.decode_token(rest.strip())
    if scheme.lower() == "basic":
        try:
            user, sep, password = (
                base64.b64decode(rest.strip(), validate=True).decode().partition(":")
            )
        except ValueError:
            return None
        return (user, password) if sep else None
    return None


def noted_entry(
    request_id: str,
    scope: Scope,
    path: str,
    at: datetime,
    duration: float,
    request_body: bytes,
    response: dict[str, Any],
    fault: dict[str, Any] | None,
    own: dict[str, Any],
    applied: list[Any],
) -> dict[str, Any]:
    """The entry of request ``request_id``, with its conformance notes (``applied``: the leniency
    rules the server applied, scimdock.mock.rules.conformance). ``own``: the status (and, behind a fault, the body) of the server's
    own answer (``applied``: it carried the request out), which a fault
    may have kept from the client; the ids it names are the entry's too
    (the user a create made, though its answer was lost)."""
    request_headers = _headers(scope["headers"])
    response_headers = _headers(response["headers"])
    sent = _body(bytes(response["body"]))
    received = _body(request_body)
    query = scope.get("query_string", b"").decode("latin-1")
    host = request_headers.get("host", "")
    url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
    entry = {
        "requestId": request_id,
        "time": at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "durationMs": duration,
        "method": scope["method"],
        "path": path,
        "query": _mask_query(query),
        "url": url + (f"?{_mask_query(query)}" if query else ""),
        "status": response["status"] or None,
        "resourceIds": _resource_ids(path, received, sent, _body(bytes(own.get("body", b"")))),
        "fault": fault,
        "applied": own["status"] is not None and 200 <= own["status"] < 300,
        "appliedStatus": own["status"],
        "client": {
            "userAgent": request_headers.get("user-agent"),
            "keyId": (credential(header(scope, b"authorization")) or (None, None))[0],
        },
        "request": {
            "headers": request_headers,
            **received,
            "bodyTruncated": len(request_body) >= BODY_CAP,
        },
        "response": {
            "headers": response_headers,
            **sent,
            "bodyTruncated": len(response["body"]) >= BODY_CAP,
        },
    }
    entry["conformance"] = conformance.request_notes(
        entry["method"], request_headers, entry["request"].get("body"), applied
    )
    proxied = (scope.get("extensions") or {}).get("scimdock.mock.proxy")
    if proxied is not None:  # the recording proxy's notes on the target's answer
        entry["proxy"] = {k: v for k, v in proxied.items() if k != "notes"}
        entry["conformance"] += proxied.get("notes") or []
    return entry


def request_view(scope: Scope, path: str, body: bytearray) -> dict[str, Any]:
    """The request as a rule's matcher reads it (scimdock.mock.rules.matcher): as the
    journal will show it."""
    return {
        "method": scope["method"],
        "path": path,
        "query": _mask_query(scope.get("query_string", b"").decode("latin-1")),
        "request": {"headers": _headers(scope["headers"]), **_body(bytes(body))},
    }


def _headers(raw: Any) -> dict[str, str]:
    """Lower-case names; repeated ones joined (RFC 9110 §5.3); credentials masked."""
    found: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        if name == "authorization":
            scheme = text.strip().partition(" ")[0]
            text = f"{scheme} {MASK}" if scheme else MASK
        elif name != "x-request-id" and _SECRET_NAME.search(name):
            text = MASK
        found[name] = f"{found[name]}, {text}" if name in found else text
    return found


def _mask_query(query: str) -> str:
    def masked(part: str) -> str:
        name, sep, _ = part.partition("=")
        return f"{name}={MASK}" if sep and _SECRET_NAME.search(name) else part

    return "&".join(masked(p) for p in query.split("&")) if query else ""


def _body(raw: bytes) -> dict[str, Any]:
    """``{"body": JSON}`` when it parses, else ``{"bodyText": text}``; empty: ``{"body": None}``."""
    if not raw:
        return {"body": None}
    try:
        return {"body": _mask_passwords(orjson.loads(raw))}
    except orjson.JSONDecodeError:
        return {"bodyText": raw.decode("utf-8", "replace")}


def _mask_passwords(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if k.lower() == "password" and v is not None else _mask_passwords(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_passwords(v) for v in value]
    return value


def _resource_ids(
    path: str, received: dict[str, Any], sent: dict[str, Any], served: dict[str, Any]
) -> list[str]:
    """The resource of the path, the one created (as sent, or as the server
    answered behind a fault), and members named in the body."""
    ids: list[str] = []
    match = _ID_PATH.match(path)
    if match:
        ids.append(match.group(2))
    for body in (sent.get("body"), served.get("body")):
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            ids.append(body["id"])
    for value in _member_values(received.get("body")):
        ids.append(value)
    return list(dict.fromkeys(ids))


def _member_values(body: Any) -> list[str]:
    """``members[].value`` of a Group body or of a PatchOp's values (RFC 7644 §3.5.2)."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    values = [body.get("members")]
    for op in body.get("Operations") or []:
        if isinstance(op, dict):
            value = op.get("value")
            values.append(value if isinstance(value, list) else None)
            if isinstance(value, dict):
                values.append(value.get("members"))
    for members in values:
        for member in members if isinstance(members, list) else ():
            if isinstance(member, dict) and isinstance(member.get("value"), str):
                found.append(member["value"])
    return found
