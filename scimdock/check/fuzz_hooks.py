"""schemathesis hooks of ``scimdock check --suite fuzz`` (loaded in the
schemathesis process through ``SCHEMATHESIS_HOOKS``): the run's safety
rules of :mod:`scimdock.check.target`, applied to generated requests.

- A ``userName`` or ``displayName`` the fuzzer sends starts with the run's
  prefix (schemathesis revalidates a case a hook edits, so a case stays
  positive or negative as sent).
- A PUT, PATCH or DELETE names only an id the run created; any other id
  is replaced with a new random UUID, a resource nobody has.
- Every resource created is written to ``SCIMDOCK_CHECK_CREATED`` (one
  ``endpoint id`` a line) for ``scimdock check`` to delete afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import schemathesis

PREFIX = os.environ.get("SCIMDOCK_CHECK_PREFIX", "scimdock-check-")
CREATED = os.environ.get("SCIMDOCK_CHECK_CREATED", os.devnull)
_NAMES = {"username", "displayname"}
_KINDS = re.compile(r"/(Users|Groups)(?:/[^/]*)?$", re.I)
_MAX = 512
_mine: set[str] = set()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if isinstance(case.body, dict):
        for key, value in list(case.body.items()):
            if isinstance(key, str) and key.lower() in _NAMES and isinstance(value, str):
                if not value.startswith(PREFIX):
                    case.body[key] = (PREFIX + value)[:_MAX]
    params = case.path_parameters or {}
    if case.method.upper() in ("PUT", "PATCH", "DELETE") and "id" in params:
        if params["id"] not in _mine:
            params["id"] = str(uuid.uuid4())


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if case.method.upper() != "POST" or response.status_code != 201:
        return
    kind = _KINDS.search(case.path or "")
    try:
        body = response.json()
    except ValueError:
        return
    rid = body.get("id") if isinstance(body, dict) else None
    if kind is not None and isinstance(rid, str):
        _mine.add(rid)
        with open(CREATED, "a", encoding="utf-8") as log:
            log.write(f"{kind.group(1).capitalize()} {rid}\n")
