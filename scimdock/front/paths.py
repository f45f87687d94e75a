"""Stage 4 of the front: the request path as the router expects it.

**Slashes.** Repeated slashes in a request path are one slash, and an
API's base path without its trailing slash is its root. An administrator
who pastes the base URL with a trailing slash
(``https://acme.example.com/scim/v1/``) makes a client that appends
``/Users`` ask for ``/scim/v1//Users``. RFC 3986 §6.2.3 leaves such paths
distinct, so no router folds them; scimdock has no resource whose path
needs an empty segment, so it folds them before routing and the setup
works on the first try. The base URL itself, ``/scim/v1``, is the service
root (RFC 7644 §3.2, §3.4.2) as ``/scim/v1/`` is: it is routed there
rather than redirected (Starlette's mount would answer a redirect, which
some clients do not follow for a POST). Starlette offers neither.

**Endpoint case** (:class:`EndpointCase`, lenient server only): the
endpoints in any letter case (``/users``, ``/GROUPS/{id}``,
``/Users/.SEARCH``): each path segment that spells, in another case, the
literal segment the API's document has at that position (under the root)
is rewritten to the document's spelling. RFC 3986 §6.2.2.1 makes only the
scheme and host case-insensitive, so ``--strict`` leaves it out; ids,
being no literal segments, keep their case.

Each rewrites ``path`` and ``raw_path`` in the scope, which the front owns
at this point (the access line keeps the path as sent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scimdock.core import leniency

_RUNS = re.compile(r"/{2,}")
_RAW_RUNS = re.compile(rb"/{2,}")


def collapse_slashes(scope: Any, roots: frozenset[str]) -> None:
    """Runs of slashes as one; a root in ``roots`` (``/scim/v1``) as ``/scim/v1/``."""
    path = scope["path"]
    if "//" in path:
        scope["path"] = _RUNS.sub("/", path)
        if scope.get("raw_path"):
            scope["raw_path"] = _RAW_RUNS.sub(b"/", scope["raw_path"])
    elif path in roots:
        scope["path"] = path + "/"
        if scope.get("raw_path"):
            scope["raw_path"] = scope["raw_path"] + b"/"


class EndpointCase:
    """The literal segments of ``templates`` (an API's paths) under ``root``."""

    def __init__(self, root: str, templates: Iterable[str]) -> None:
        self.root = root.rstrip("/") + "/"
        literals: dict[tuple[int, str], str] = {}
        for template in templates:
            for at, part in enumerate(template.strip("/").split("/")):
                if part and not part.startswith("{"):
                    literals[(at, part.lower())] = part
        self.literals = literals

    def fold(self, scope: Any) -> None:
        """Each literal segment of the path in the document's spelling."""
        path = scope["path"]
        if not path.startswith(self.root):
            return
        parts = path[len(self.root) :].split("/")
        literals = self.literals
        for at, part in enumerate(parts):
            canonical = literals.get((at, part.lower()))
            if canonical is not None and canonical != part:
                break
        else:
            return  # every literal segment as the document spells it (most requests)
        folded = [literals.get((at, p.lower()), p) for at, p in enumerate(parts)]
        leniency.note("endpoint-case")
        new = self.root + "/".join(folded)
        scope["path"] = new
        if scope.get("raw_path"):
            # Only ASCII letters change case here, so the raw path changes
            # in the same places.
            raw = scope["raw_path"].decode("latin-1")
            query = raw.find("?")
            head = raw if query < 0 else raw[:query]
            if head.lower() == new.lower():
                scope["raw_path"] = (new + ("" if query < 0 else raw[query:])).encode("latin-1")
