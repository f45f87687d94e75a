"""The one door of ``scimdock check`` to the server under test: an httpx
client that keeps the run safe and keeps what it sent for the report.

- **Own names only.** A user or group it creates must have a ``userName``
  or ``displayName`` that starts with the run's prefix (``scimdock-check-``
  and a random part), else the request is refused before it is sent.
- **Own resources only.** A PUT, PATCH or DELETE of ``/Users/{id}`` or
  ``/Groups/{id}`` goes out only for an id this run created, or one a GET
  has just shown to be no resource (404): a request about a missing id.
- **Deletes what it created**, newest first (:meth:`Target.cleanup`).
- ``read_only``: only GET and ``POST .../.search`` go out.
- ``rate``: at most that many requests a second.
- The last exchange is kept, credentials masked, for the report.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from scimdock.check.model import Exchange, Unsafe
from scimdock.check.model import member as _field

PREFIX = "scimdock-check-"
READ_ONLY = "--read-only"
#: The token ``wrong`` sends: base64 of ``nokey:nosecret``, a key nobody has.
WRONG_TOKEN = "bm9rZXk6bm9zZWNyZXQ="
_RESOURCE = re.compile(r"^/?(Users|Groups)/([^/?#]+)", re.I)
_LOCATION = re.compile(r"/(Users|Groups)/([^/?#]+)/?$", re.I)
_COLLECTION = re.compile(r"^/?(Users|Groups)/?(\?.*)?$", re.I)
_NAME = {"users": "username", "groups": "displayname"}
_BODY_LIMIT = 4000


def run_prefix() -> str:
    """This run's prefix: names of two runs never collide."""
    return f"{PREFIX}{secrets.token_hex(3)}-"


class Target:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        rate: float = 50.0,
        read_only: bool = False,
        prefix: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.read_only = read_only
        self.prefix = prefix or run_prefix()
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)
        self.created: list[tuple[str, str]] = []
        self.missing: set[str] = set()
        self.last: Exchange | None = None
        self.sent = 0
        self._next_at = 0.0

    def close(self) -> None:
        self.http.close()

    def request(
        self, method: str, path: str, *, auth: str = "token", **kwargs: Any
    ) -> httpx.Response:
        """Send one request (``auth``: ``token``, ``wrong`` or ``none``)."""
        method = method.upper()
        self._guard(method, path, kwargs.get("json"))
        headers = dict(kwargs.pop("headers", None) or {})
        if auth == "token":
            headers.setdefault("Authorization", f"Bearer {self.token}")
        elif auth == "wrong":
            headers["Authorization"] = f"Bearer {WRONG_TOKEN}"
        if "json" in kwargs:
            headers.setdefault("Content-Type", "application/scim+json")
        response = self._send(method, path, headers, kwargs)
        self._note_created(method, path, response)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def _send(
        self, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> httpx.Response:
        self._pace()
        try:
            response = self.http.request(method, path.lstrip("/"), headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.last = self._exchange(method, path, headers, kwargs, None)
            raise Unsafe(f"no answer to {method} {path}: {exc}") from None
        self.last = self._exchange(method, path, headers, kwargs, response)
        return response

    def _pace(self) -> None:
        """Wait until the next request may go: the ``--rate`` cap is a
        delay between requests by design."""
        now = time.monotonic()
        if self._next_at > now:
            time.sleep(self._next_at - now)
        self._next_at = max(now, self._next_at) + self.interval
        self.sent += 1

    # --- safety ----------------------------------------------------------------

    def _guard(self, method: str, path: str, body: Any) -> None:
        if method in ("GET", "HEAD"):
            return
        search = method == "POST" and urlsplit(path).path.rstrip("/").endswith(".search")
        if search:
            return
        if self.read_only:
            raise Unsafe(f"{READ_ONLY}: {method} {path} not sent")
        if method == "POST" and _COLLECTION.match(path):
            self._own_name(path, body)
            return
        if method == "POST" and urlsplit(path).path.strip("/").lower() == "bulk":
            self._guard_bulk(body)
            return
        found = _RESOURCE.match(path)
        if found is not None and not self._owns(found.group(1), found.group(2)):
            raise Unsafe(f"{method} {path}: not a resource this run created; not sent")

    def _own_name(self, path: str, body: Any) -> None:
        kind = _COLLECTION.match(path).group(1).lower()  # type: ignore[union-attr]
        name = _field(body, _NAME[kind])
        # userName and displayName compare in any case (RFC 7643 §4.1.1, §4.2).
        if not isinstance(name, str) or not name.lower().startswith(self.prefix.lower()):
            raise Unsafe(
                f"POST {path}: {_NAME[kind]} {name!r} does not start with {self.prefix!r}; not sent"
            )

    def _guard_bulk(self, body: Any) -> None:
        for op in _field(body, "operations") or []:
            method = str(_field(op, "method") or "").upper()
            path = str(_field(op, "path") or "")
            if method == "POST":
                self._own_name(path, _field(op, "data"))
                continue
            found = _RESOURCE.match(path)
            if found is not None and not found.group(2).startswith("bulkId:"):
                if not self._owns(found.group(1), found.group(2)):
                    raise Unsafe(f"Bulk {method} {path}: not a resource this run created")

    def _owns(self, endpoint: str, rid: str) -> bool:
        """Whether the run made ``rid``, or it is no resource at all (a GET
        answers 404: a write to it touches nothing)."""
        key = (endpoint.capitalize(), rid)
        if key in self.created or rid in self.missing:
            return True
        saved = self.last
        probe = self._send("GET", f"/{key[0]}/{rid}", {"Authorization": f"Bearer {self.token}"}, {})
        self.last = saved
        if probe.status_code == 404:
            self.missing.add(rid)
            return True
        return False

    def _note_created(self, method: str, path: str, response: httpx.Response) -> None:
        if method != "POST":
            return
        if response.status_code == 201 and _COLLECTION.match(path):
            rid = _json_field(response, "id")
            if isinstance(rid, str):
                endpoint = _COLLECTION.match(path).group(1).capitalize()  # type: ignore[union-attr]
                self.created.append((endpoint, rid))
        elif response.status_code == 200 and urlsplit(path).path.strip("/").lower() == "bulk":
            for op in _json_field(response, "Operations") or []:
                found = _LOCATION.search(urlsplit(str(_field(op, "location") or "")).path)
                if str(_field(op, "status")) == "201" and found is not None:
                    self.created.append((found.group(1).capitalize(), found.group(2)))

    def cleanup(self) -> list[str]:
        """Delete what the run created, newest first; what could not be deleted."""
        problems = []
        while self.created:
            endpoint, rid = self.created.pop()
            try:
                response = self._send("DELETE", f"/{endpoint}/{rid}", self._auth(), {})
            except Unsafe as exc:
                problems.append(str(exc))
                continue
            if response.status_code not in (200, 204, 404):
                problems.append(f"DELETE /{endpoint}/{rid}: {response.status_code}")
        return problems

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # --- the report's copy -------------------------------------------------------

    def mask(self, text: str) -> str:
        """``text`` without the token (a server may echo it)."""
        return text.replace(self.token, "****") if self.token else text

    def _exchange(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        kwargs: dict[str, Any],
        response: httpx.Response | None,
    ) -> Exchange:
        sent = {k: (_masked(v) if k.lower() == "authorization" else v) for k, v in headers.items()}
        body = ""
        if "json" in kwargs:
            body = json.dumps(kwargs["json"], ensure_ascii=False)
        url = str(response.request.url) if response is not None else f"{self.base_url}{path}"
        return Exchange(
            method=method,
            url=self.mask(url),
            request_headers=sent,
            request_body=self.mask(body[:_BODY_LIMIT]),
            status=response.status_code if response is not None else None,
            response_headers=dict(response.headers) if response is not None else {},
            response_body=self.mask(response.text[:_BODY_LIMIT]) if response is not None else "",
        )


def _masked(value: str) -> str:
    scheme, _, _ = value.partition(" ")
    return f"{scheme} ****"


def _json_field(response: httpx.Response, name: str) -> Any:
    try:
        return _field(response.json(), name)
    except ValueError:
        return None
