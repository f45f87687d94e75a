"""A writer that keeps creating users through a running scimdock, for the
tests that take its database away under it (a killed PostgreSQL, a
failover): what it was told was kept, and when."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from conftest import Client

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass
class Writer:
    """A thread creating users through ``client`` one after the other until
    left (a context manager): the id and time (``monotonic()``) of each one
    acknowledged (201), and the time of each refusal, which must be a SCIM
    Error 503 (the client checks every answer against the document)."""

    client: Client
    prefix: str = "w"
    acknowledged: list[tuple[str, float]] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)
    #: What stopped the thread early (an answer that was neither), raised on leaving.
    failure: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            self._write()
        except BaseException as exc:  # raised again by __exit__, in the test's thread
            self.failure = exc

    def _write(self) -> None:
        n = 0
        while not self._stop.is_set():
            body = {"schemas": [USER], "userName": f"{self.prefix}{n}"}
            r = self.client.post("/Users", json=body)
            n += 1
            if r.status_code == 201:
                self.acknowledged.append((r.json()["id"], time.monotonic()))
            else:
                assert r.status_code == 503, r.text
                self.refused.append(time.monotonic())

    def after(self, moment: float) -> list[float]:
        """When each user acknowledged after ``moment`` was."""
        return [at for _, at in self.acknowledged if at > moment]

    def lost(self, kept: set[str]) -> list[str]:
        """The acknowledged users not in ``kept`` (ids read from the database)."""
        return [user for user, _ in self.acknowledged if user not in kept]

    def __enter__(self) -> Writer:
        self._thread = threading.Thread(target=self._run, name="writer")
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
        if self.failure is not None and kind is None:
            raise self.failure
