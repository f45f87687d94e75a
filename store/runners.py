"""How a backend runs the transaction scripts every store operation is
written as (store.sqlscript, ``store/sql_*.py``): the runners a backend
provides, and what every operation reads (the clock, the dialect).

:class:`Runners` is the root of :class:`~scimdock.store.base.Store`: the
administrative operations (store.administration) and the resource
operations (store.base) are each written once over these methods, for
every backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, TypeVar

from scimdock.core.clock import Clock
from scimdock.store import sql_keys as keys
from scimdock.store.counters import Counters
from scimdock.store.key_use import KeyUses
from scimdock.store.sql_keys import KeyCache
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script

T = TypeVar("T")


class Runners(ABC):
    """A backend: its connections, where each runner runs, and a driver."""

    #: Where this store's "now" comes from (core.clock).
    clock: Clock
    #: The SQL of this backend where backends differ (store.sqldialect).
    dialect: Dialect
    #: Key uses noted in memory, not yet written (store.key_use).
    _uses: KeyUses
    #: The key rows authentication remembers (``None``: none remembered).
    _key_cache: KeyCache | None
    #: The limits' counters, shared by every process on the database
    #: (store.counters, handlers.throttle).
    counters: Counters

    # --- how a backend runs a transaction script (store.sqlscript) ----
    @abstractmethod
    async def _point(self, script: Script[T]) -> T:
        """A read of a few rows by an index (a key, one resource by id):
        committed data. Not meant to meet the query budget; PostgreSQL
        bounds it by the budget all the same (its pooled connections carry
        the budget as ``statement_timeout``, store.postgres), so a read that
        must finish whatever the budget is a :meth:`_scan` with
        ``budget=False``."""

    @abstractmethod
    async def _scan(self, script: Script[T], *, budget: bool = True) -> T:
        """A read of many rows (a list, a search), within the query
        budget (:class:`~scimdock.store.errors.OverBudget` past it)."""

    @abstractmethod
    async def _admin(self, script: Script[T]) -> T:
        """An administrative write: one transaction, committed on return."""

    @abstractmethod
    async def _change(self, script: Script[T]) -> T:
        """A SCIM write: one transaction, durable on return."""

    @abstractmethod
    async def _one(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        """The first row of one statement (``?`` placeholders), a point
        read: :meth:`_point` without a script, for the reads of every request."""

    @abstractmethod
    async def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        """Every row of one statement, a point read."""

    async def _key_epoch(self) -> int:
        """The ``key_epoch`` as of now (store.sql_keys), read from the database."""
        epoch = await self._one(keys.EPOCH, ())
        return int(epoch[0]) if epoch else -1

    async def _purge(self, script: Script[list[str]]) -> list[str]:
        """A write that deletes rows for good: :meth:`_admin`, unless the
        backend must do more to leave no copy of the bytes behind."""
        return await self._admin(script)

    def _now(self) -> str:
        return self.clock.now()
