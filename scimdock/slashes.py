"""Repeated slashes in a request path are one slash, and an API's base
path without its trailing slash is its root.

An administrator who pastes the base URL with a trailing slash
(``https://acme.example.com/scim/v1/``) makes a client that appends
``/Users`` ask for ``/scim/v1//Users``. RFC 3986 §6.2.3 leaves such paths
distinct, so no router folds them; scimdock has no resource whose path
needs an empty segment, so it folds them before routing and the setup
works on the first try. The base URL itself, ``/scim/v1``, is the service
root (RFC 7644 §3.2, §3.4.2) as ``/scim/v1/`` is: it is routed there
rather than redirected (Starlette's mount would answer a redirect, which
some clients do not follow for a POST). A small ASGI middleware:
Starlette offers none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from scimdock.core import leniency

_RUNS = re.compile(r"/{2,}")
_RAW_RUNS = re.compile(rb"/{2,}")


class CollapseSlashes:
    """``roots``: base paths (``/scim/v1``) routed as ``/scim/v1/``."""

    def __init__(self, app: ASGIApp, roots: Iterable[str] = ()) -> None:
        self.app = app
        self.roots = frozenset(roots)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if "//" in path:
                scope = {**scope, "path": _RUNS.sub("/", path)}
                if scope.get("raw_path"):
                    scope["raw_path"] = _RAW_RUNS.sub(b"/", scope["raw_path"])
            elif path in self.roots:
                scope = {**scope, "path": path + "/"}
                if scope.get("raw_path"):
                    scope["raw_path"] = scope["raw_path"] + b"/"
        await self.app(scope, receive, send)


class FoldEndpoints:
    """The lenient server's endpoints in any letter case (``/users``,
    ``/GROUPS/{id}``, ``/Users/.SEARCH``): each path segment that spells,
    in another case, the literal segment the API's document has at that
    position (under ``root``) is rewritten to the document's spelling
    before routing. RFC 3986 §6.2.2.1 makes only the scheme and host
    case-insensitive, so ``--strict`` does not install this; ids, being
    no literal segments, keep their case."""

    def __init__(self, app: ASGIApp, root: str, templates: Iterable[str]) -> None:
        self.app = app
        self.root = root.rstrip("/") + "/"
        literals: dict[tuple[int, str], str] = {}
        for template in templates:
            for at, part in enumerate(template.strip("/").split("/")):
                if part and not part.startswith("{"):
                    literals[(at, part.lower())] = part
        self.literals = literals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.root):
            path = scope["path"]
            parts = path[len(self.root) :].split("/")
            folded = [self.literals.get((at, p.lower()), p) for at, p in enumerate(parts)]
            if folded != parts:
                leniency.note("endpoint-case")
                new = self.root + "/".join(folded)
                scope = {**scope, "path": new}
                if scope.get("raw_path"):
                    # Only ASCII letters change case here, so the raw path
                    # changes in the same places.
                    raw = scope["raw_path"].decode("latin-1")
                    query = raw.find("?")
                    head = raw if query < 0 else raw[:query]
                    if head.lower() == new.lower():
                        scope["raw_path"] = (new + ("" if query < 0 else raw[query:])).encode(
                            "latin-1"
                        )
        await self.app(scope, receive, send)
