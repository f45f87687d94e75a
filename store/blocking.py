"""Any :class:`~scimdock.store.base.Store`, called synchronously: for code
that runs outside an event loop (the command line, test fixtures, seeding
scripts) and wants ``store.create_tenant(name)`` to return the tenant.

Each awaited method runs to completion on the adapter's own event loop,
one per adapter, created with it and closed with the store
(:meth:`BlockingStore.close`). What is not a coroutine method
(``clock``, ``note_key_use``, ``path``) is the wrapped store's own. Not
for use inside a running event loop: there the store is awaited directly.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from scimdock.store.base import Store


class BlockingStore:
    """``store``'s methods, each run to completion before it returns."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loop = asyncio.new_event_loop()
        self._methods: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.store, name)
        if not inspect.iscoroutinefunction(value):
            return value
        blocking = self._methods.get(name)
        if blocking is None:
            blocking = self._methods[name] = self._blocking(value)
        return blocking

    def _blocking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def run(*args: Any, **kwargs: Any) -> Any:
            if self._loop.is_closed():
                raise RuntimeError(f"{method.__name__}: this store is closed")
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # no loop running here: the one case we serve
                return self._loop.run_until_complete(method(*args, **kwargs))
            raise RuntimeError(f"{method.__name__}: inside an event loop, await the store itself")

        return run

    @property
    def closed(self) -> bool:
        return self._loop.is_closed()

    def close(self) -> None:
        """Close the store (what it still holds in memory is written), then
        the loop; a second call does nothing."""
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self.store.close())
        finally:
            try:
                self._loop.run_until_complete(self._loop.shutdown_default_executor())
            finally:
                self._loop.close()

    def __enter__(self) -> BlockingStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
