"""The mock's one request matcher (docs/mock.md, "Match, find and
verify"): the question "does this request match?" that fault rules and
stubs (scimdock.mock.rules.faultrules), verification (scimdock.mock.rules.verify) and journal queries
ask, answered here alone.

A matcher is a JSON object; every field given must hold:

- ``method``; ``path``, a glob of the path under the SCIM base URL,
  compared without case as the server routes it (RFC 7644 §3.2:
  ``/users`` is ``/Users``; ids are compared without case too);
- ``query`` and ``headers``: name to a text match (``equalTo``,
  ``contains``, ``matches`` a regular expression matched whole, or
  ``absent``; ``caseInsensitive`` for the first two); header names are
  without case (RFC 9110 §5.1), query values are decoded;
- ``resource``: attributes the body carries, by SCIM meaning (names
  without case, RFC 7643 §2.1; scimdock.mock.rules.scim_meaning); ``patch``: operations
  the PatchOp holds (RFC 7644 §3.5.2);
- ``jsonPointer``: parts of the body by JSON pointer (RFC 6901), each
  with one of ``equalTo`` (a JSON value), ``contains``, ``matches``,
  ``absent``;
- ``bulk``: operations a BulkRequest holds (RFC 7644 §3.7), each a
  matcher of ``method``, ``path``, ``resource``, ``patch`` and
  ``jsonPointer`` applied to the operation and its ``data``;
- ``status`` and ``applied``: the answer and whether the server carried
  the request out; journal entries only (a rule acts before they exist).

Requests are read as the journal shows them (scimdock.mock.journal): a dict of
``method``, ``path``, ``query`` and ``request`` (``headers``, ``body``),
and for entries ``status`` and ``applied``. Pure: no I/O.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any
from urllib.parse import parse_qsl

from scimdock.mock.rules.scim_meaning import op_text, patch_reasons, resource_reasons, show

_TEXT_MATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "equalTo": {"type": "string"},
        "contains": {"type": "string"},
        "matches": {"type": "string", "maxLength": 1024},
        "absent": {"const": True},
        "caseInsensitive": {"type": "boolean"},
    },
    "minProperties": 1,
}
_POINTER_MATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["pointer"],
    "properties": {
        "pointer": {"type": "string", "pattern": "^(/.*)?$", "maxLength": 1024},
        "equalTo": {},
        "contains": {"type": "string"},
        "matches": {"type": "string", "maxLength": 1024},
        "absent": {"const": True},
    },
    "minProperties": 2,
    "maxProperties": 2,
}
_PATCH_EXPECTATION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["op"],
    "properties": {
        "op": {
            "type": "string",
            "enum": [
                c(o) for o in ("add", "remove", "replace") for c in (str, str.title, str.upper)
            ],
        },
        "path": {"type": "string", "minLength": 1, "maxLength": 1024},
        "value": {},
    },
}
_BODY_FIELDS: dict[str, Any] = {
    "method": {"type": "string", "pattern": "^[A-Za-z]{1,16}$"},
    "path": {"type": "string", "minLength": 1, "maxLength": 1024},
    "resource": {"type": "object"},
    "patch": {"type": "array", "maxItems": 100, "items": _PATCH_EXPECTATION},
    "jsonPointer": {"type": "array", "maxItems": 100, "items": _POINTER_MATCH},
}
#: The fields a rule's matcher may hold (the JSON Schema's ``properties``).
REQUEST_FIELDS: dict[str, Any] = {
    **_BODY_FIELDS,
    "query": {"type": "object", "additionalProperties": _TEXT_MATCH},
    "headers": {"type": "object", "additionalProperties": _TEXT_MATCH},
    "bulk": {
        "type": "array",
        "maxItems": 100,
        "items": {"type": "object", "additionalProperties": False, "properties": _BODY_FIELDS},
    },
}
#: And those only a journal entry has (verify, journal queries).
ENTRY_FIELDS: dict[str, Any] = {
    "status": {"type": "integer", "minimum": 100, "maximum": 599},
    "applied": {"type": "boolean"},
}


def bad_pattern(spec: dict[str, Any]) -> str | None:
    """The first ``matches`` of ``spec`` that is not a regular expression, if any."""
    texts = [*(spec.get("query") or {}).values(), *(spec.get("headers") or {}).values()]
    texts += spec.get("jsonPointer") or []
    for item in spec.get("bulk") or []:
        texts += item.get("jsonPointer") or []
    for text in texts:
        if "matches" in text:
            try:
                re.compile(text["matches"])
            except re.error as exc:
                return f"{text['matches']!s} is not a regular expression ({exc})"
    return None


def matches(request: dict[str, Any], spec: dict[str, Any]) -> bool:
    return not why_not(request, spec)


def why_not(request: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Why ``request`` does not match ``spec``, in plain words; empty when it does."""
    reasons: list[str] = []
    method = spec.get("method")
    if method is not None and str(request["method"]).upper() != method.upper():
        reasons.append(f"the method is {request['method']}, not {method.upper()}")
    path = spec.get("path")
    if path is not None and not fnmatch.fnmatchcase(request["path"].lower(), path.lower()):
        reasons.append(f"the path {request['path']} is not {path}")
    if "status" in spec and request.get("status") != spec["status"]:
        reasons.append(f"the answer was {_status(request.get('status'))}, not {spec['status']}")
    if "applied" in spec and bool(request.get("applied")) != spec["applied"]:
        done = "carried it out" if request.get("applied") else "did not carry it out"
        reasons.append(f"the server {done}")
    if spec.get("query"):
        sent = dict(parse_qsl(request.get("query") or "", keep_blank_values=True))
        for name, want in spec["query"].items():
            reasons += _text_reasons(f"the query parameter {name}", sent.get(name), want)
    if spec.get("headers"):
        headers = {k.lower(): v for k, v in (request["request"].get("headers") or {}).items()}
        for name, want in spec["headers"].items():
            reasons += _text_reasons(f"the header {name}", headers.get(name.lower()), want)
    body = request["request"].get("body")
    reasons += _body_reasons(body, spec)
    if spec.get("bulk"):
        reasons += _bulk_reasons(body, spec["bulk"])
    return reasons


def _status(status: Any) -> str:
    return "none (no answer sent)" if status is None else str(status)


def _text_reasons(what: str, got: str | None, want: dict[str, Any] | str) -> list[str]:
    if isinstance(want, str):
        want = {"equalTo": want}
    if want.get("absent"):
        return [] if got is None else [f"{what} is present ({show(got)})"]
    if got is None:
        return [f"{what} is absent"]
    fold = str.lower if want.get("caseInsensitive") else str
    if "equalTo" in want and fold(got) != fold(want["equalTo"]):
        return [f"{what} is {show(got)}, not {show(want['equalTo'])}"]
    if "contains" in want and fold(want["contains"]) not in fold(got):
        return [f"{what} is {show(got)}, without {show(want['contains'])}"]
    if "matches" in want and not re.fullmatch(want["matches"], got):
        return [f"{what} is {show(got)}, which does not match {want['matches']}"]
    return []


def _body_reasons(body: Any, spec: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    if spec.get("patch"):
        reasons += patch_reasons(body, spec["patch"])
    if spec.get("resource"):
        reasons += resource_reasons(body, spec["resource"])
    for want in spec.get("jsonPointer") or ():
        reasons += _pointer_reasons(body, want)
    return reasons


def _pointer_reasons(body: Any, want: dict[str, Any]) -> list[str]:
    pointer = want["pointer"]
    found, got = resolve(body, pointer)
    what = f"the body at {pointer or '(the whole body)'}"
    if want.get("absent"):
        return [f"{what} is present ({show(got)})"] if found else []
    if not found:
        return [f"{what} is absent"]
    if "equalTo" in want:
        if got != want["equalTo"]:
            return [f"{what} is {show(got)}, not {show(want['equalTo'])}"]
        return []
    text = got if isinstance(got, str) else show(got)
    if "contains" in want and want["contains"] not in text:
        return [f"{what} is {show(got)}, without {show(want['contains'])}"]
    if "matches" in want and not re.fullmatch(want["matches"], text):
        return [f"{what} is {show(got)}, which does not match {want['matches']}"]
    return []


def resolve(document: Any, pointer: str) -> tuple[bool, Any]:
    """RFC 6901: whether ``pointer`` names a value of ``document``, and the value."""
    if pointer == "":
        return document is not None, document
    here = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(here, dict) and token in here:
            here = here[token]
        elif isinstance(here, list) and token.isdigit() and int(token) < len(here):
            here = here[int(token)]
        else:
            return False, None
    return True, here


def _bulk_reasons(body: Any, expected: list[dict[str, Any]]) -> list[str]:
    ops = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(ops, list):
        return ["the body is not a BulkRequest (no Operations)"]
    views = [
        {
            "method": op.get("method", ""),
            "path": str(op.get("path", "")),
            "request": {"body": op.get("data")},
        }
        for op in ops
        if isinstance(op, dict)
    ]
    return [
        f"no bulk operation is {describe(want)}"
        for want in expected
        if not any(not why_not(view, want) for view in views)
    ]


def describe(spec: dict[str, Any]) -> str:
    """A matcher in a few words: ``POST /Users with userName "ann"``."""
    method = str(spec["method"]).upper() if "method" in spec else "any request"
    words = [method, str(spec.get("path", "to any path"))]
    parts = [f"{k} {show(v)}" for k, v in (spec.get("resource") or {}).items()]
    parts += [op_text(op) for op in spec.get("patch") or ()]
    parts += [f"{k} {_text_want(v)}" for k, v in (spec.get("query") or {}).items()]
    parts += [f"header {k} {_text_want(v)}" for k, v in (spec.get("headers") or {}).items()]
    parts += [f"{p['pointer']} {_text_want(p)}" for p in spec.get("jsonPointer") or ()]
    parts += [f"bulk {describe(b)}" for b in spec.get("bulk") or ()]
    text = " ".join(words) + (" with " + ", ".join(parts) if parts else "")
    if "status" in spec:
        text += f", answered {spec['status']}"
    if "applied" in spec:
        text += ", carried out" if spec["applied"] else ", not carried out"
    return text


def _text_want(want: dict[str, Any] | str) -> str:
    if isinstance(want, str):
        return f"= {show(want)}"
    for key, word in (("equalTo", "="), ("contains", "containing"), ("matches", "matching")):
        if key in want:
            return f"{word} {show(want[key])}"
    return "absent"
