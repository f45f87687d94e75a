"""The recording proxy's target and what was recorded of it (openapi/admin.yaml,
tag Mock; docs/mock.md, "Recording proxy"): ``GET
.../proxy/recording`` answers the snapshot and the guessed profile so far,
``POST`` writes them to the ``--record`` folder as ``snapshot.json`` and
``profile.json`` (as ``scimdock mock`` also does when it stops). The
forwarding itself is scimdock.mock.proxy's."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.responses import Response

from scimdock.core.errors import Conflict, NotFound
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import ok
from scimdock.handlers.context import RequestContext
from scimdock.mock.rules.recording import Exchange, Recording

#: Seconds the target may take, unless ``--proxy-timeout`` says otherwise.
DEFAULT_TIMEOUT = 30.0
_DISCOVERY = ("/ServiceProviderConfig", "/Schemas")


@dataclass
class Target:
    """The service provider behind the mock: its base URL and token, how
    long it may take, the tenant whose clients it serves (the mock's), the
    folder its recording is saved to, and the recording."""

    url: str
    token: str = field(repr=False)
    tenant: int
    timeout: float = DEFAULT_TIMEOUT
    folder: Path | None = None
    recording: Recording = field(default_factory=Recording)
    _client: httpx.AsyncClient | None = field(default=None, repr=False)
    _lock: asyncio.Lock | None = field(default=None, repr=False)
    _discovered: bool = False

    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # made on the server's own event loop
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        return self._client

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "accept": "application/scim+json"}

    async def discover(self) -> None:
        """Read /ServiceProviderConfig and /Schemas into the recording, once
        the target answers (until then, on each request: a target that
        was down at first is read when it is up)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._discovered:
                self._discovered = await self.read(_DISCOVERY[0])
                if self._discovered:
                    await self.read(_DISCOVERY[1])

    async def read(self, path: str) -> bool:
        """GET ``path`` of the target into the recording; whether it answered."""
        try:
            answer = await self.client().get(self.url + path, headers=self.auth())
        except httpx.HTTPError:
            return False
        headers = {k.lower(): v for k, v in answer.headers.items()}
        self.recording.observe(
            Exchange("GET", path, {}, None, answer.status_code, headers, parsed(answer.content))
        )
        return True

    def view(self) -> dict[str, Any]:
        profile, why = self.recording.profile(f"recorded from {self.url}")
        return {
            "target": self.url,
            "requests": self.recording.requests,
            "folder": None if self.folder is None else str(self.folder),
            "snapshot": self.recording.snapshot(),
            "profile": profile.view(),
            "evidence": why,
        }

    def save(self) -> list[str]:
        """``snapshot.json`` and ``profile.json`` in the folder, each written
        whole (a temporary file renamed over it)."""
        if self.folder is None:
            return []
        view = self.view()
        self.folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for name, doc in (("snapshot.json", view["snapshot"]), ("profile.json", view["profile"])):
            path = self.folder / name
            partial = path.with_name(f".{name}.partial")
            partial.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
            os.replace(partial, path)
            saved.append(str(path))
        return saved


def parsed(raw: bytes) -> Any:
    """A body's JSON, or ``None`` when empty or not JSON."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


_target: Target | None = None


def install(target: Target | None) -> None:
    global _target
    _target = target


def installed() -> Target | None:
    return _target


async def _proxied(ctx: RequestContext, tenant: str) -> Target:
    """The target of ``tenant``, or 404: the mock proxies only its own tenant."""
    found = await auth.tenant(ctx, tenant)
    if _target is None or _target.tenant != found.id:
        raise NotFound(f"Tenant {tenant!r} is not proxied: start 'scimdock mock --proxy URL'")
    return _target


async def get_proxy_recording(ctx: RequestContext, tenant: str) -> Response:
    return ok((await _proxied(ctx, tenant)).view())


async def save_proxy_recording(ctx: RequestContext, tenant: str) -> Response:
    target = await _proxied(ctx, tenant)
    if target.folder is None:
        raise Conflict("No folder to save to: start the mock with --record DIR")
    saved = await asyncio.to_thread(target.save)
    return ok({**target.view(), "saved": saved})
