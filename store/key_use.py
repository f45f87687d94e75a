"""Last use of each SCIM key, kept in memory between flushes.

Recording "last used at, from where" on every request would cost one disk
write (an fsync with ``synchronous=FULL``) per SCIM call. Instead the store
notes each use here and writes all of them at once when the HTTP layer asks
(handlers.security: at most every :data:`FLUSH_SECONDS`) and at close.
Until then, reads in this process merge the pending uses, so a key list
served by this process is never behind.
"""

from __future__ import annotations

import dataclasses
import threading

from scimdock.store.records import ApiKey

#: The longest a use stays in memory only (docs/configuration.md).
FLUSH_SECONDS = 5.0

Uses = dict[str, tuple[str, str | None]]


class KeyUses:
    """``key id -> (last used at, address)`` not yet written."""

    def __init__(self) -> None:
        self._pending: Uses = {}
        self._lock = threading.Lock()

    def note(self, key_id: str, at: str, address: str | None) -> None:
        with self._lock:
            self._pending[key_id] = (at, address)

    @property
    def pending(self) -> bool:
        """Whether any use waits to be written."""
        return bool(self._pending)

    def take(self) -> Uses:
        """Everything pending, emptying the buffer."""
        with self._lock:
            taken, self._pending = self._pending, {}
            return taken

    def restore(self, uses: Uses) -> None:
        """Put back uses a failed flush did not write (newer notes win)."""
        with self._lock:
            for key_id, use in uses.items():
                if key_id not in self._pending or self._pending[key_id][0] < use[0]:
                    self._pending[key_id] = use

    def merged(self, key: ApiKey) -> ApiKey:
        """``key`` with its pending use, if newer than the stored one."""
        use = self._pending.get(key.key_id)
        if use is None or (key.last_used is not None and key.last_used >= use[0]):
            return key
        return dataclasses.replace(key, last_used=use[0], last_used_from=use[1])
