"""The console's sign-in sessions: server-side, in memory, by a random id
(the cookie holds only that id, never the admin token), each with its own
CSRF token (OWASP Cross-Site Request Forgery Prevention Cheat Sheet,
"Synchronizer Token Pattern"), compared in constant time."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

#: Seconds a session lasts after its sign-in.
LIFETIME = 8 * 3600
#: Sessions kept at most (the oldest goes first).
MAX_SESSIONS = 1000


@dataclass
class Session:
    #: The admin API's token info of the token signed in with (no secret).
    principal: dict[str, Any]
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    started: float = field(default_factory=time.monotonic)
    #: A SCIM key just made, shown once on the next page.
    flash: str | None = None


class Sessions:
    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}

    def start(self, principal: dict[str, Any]) -> str:
        while len(self._by_id) >= MAX_SESSIONS:
            self._by_id.pop(next(iter(self._by_id)))
        sid = secrets.token_urlsafe(32)
        self._by_id[sid] = Session(principal)
        return sid

    def get(self, sid: str | None) -> Session | None:
        session = self._by_id.get(sid or "")
        if session is not None and time.monotonic() - session.started > LIFETIME:
            self._by_id.pop(sid or "", None)
            return None
        return session

    def end(self, sid: str | None) -> None:
        self._by_id.pop(sid or "", None)


def csrf_ok(session: Session, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(session.csrf.encode(), sent.encode())
