"""What every part of the store contract shares: the fixture hook a backend
provides, a fresh store per test on a :class:`ManualClock`, and small
builders for documents, queries and group changes.

Every test talks to the store through the awaited interface of
:class:`scimdock.store.base.Store` only, so that one suite holds every
backend to the same behaviour.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from scimdock.core.clock import Clock, ManualClock
from scimdock.core.membership import GroupChange
from scimdock.core.query import ListQuery, build_query
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import GROUP, USER, ResourceType
from scimdock.store.base import OPERATOR_LOG, Actor, AuditEntry, GroupRecord, Store

#: ``(clock, query budget in seconds or None for none) -> a new, empty store``.
StoreFactory = Callable[[Clock, "float | None"], Store]

START = "2025-01-31T12:00:00.000000Z"
#: A budget no list over a few thousand rows can meet.
TINY_BUDGET = 1e-6
KEY = Actor("scim-key", "sk_contract", "192.0.2.10")
ADMIN = Actor("admin-token", "sat_contract", "203.0.113.9")


class ContractBase:
    """Fixtures of the contract. A backend overrides :meth:`store_factory`."""

    #: Every test is a coroutine, run by anyio's pytest plugin (inherited
    #: by the backend's subclass, where the tests are collected).
    pytestmark = [pytest.mark.anyio]

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        """Return a callable that opens a new, empty store on ``clock`` with
        the given query budget (``None``: unbounded). Each call must give a
        store of its own: nothing written to one is seen by another."""
        raise NotImplementedError("a backend's contract subclass provides store_factory")

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The store's clock: it moves only when a test moves it."""
        return ManualClock(START)

    @pytest.fixture
    async def store(self, store_factory: StoreFactory, clock: ManualClock) -> AsyncIterator[Store]:
        opened = store_factory(clock, None)
        try:
            yield opened
        finally:
            await opened.close()

    @pytest.fixture
    async def tight_store(
        self, store_factory: StoreFactory, clock: ManualClock
    ) -> AsyncIterator[Store]:
        """A store whose lists and searches may run :data:`TINY_BUDGET` seconds."""
        opened = store_factory(clock, TINY_BUDGET)
        try:
            yield opened
        finally:
            await opened.close()

    @pytest.fixture
    async def tenant(self, store: Store) -> int:
        return (await store.create_tenant("acme")).id


def user(user_name: str, **extra: Any) -> dict[str, Any]:
    """A user document as the handlers store it (core.resource)."""
    return normalize_resource({"userName": user_name, **extra}, USER)


def group(display_name: str, **extra: Any) -> dict[str, Any]:
    doc = normalize_resource({"displayName": display_name, **extra}, GROUP)
    doc.pop("members", None)
    return doc


def query(
    rt: ResourceType = USER,
    *,
    filter: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
    start_index: int | None = None,
    count: int | None = None,
) -> ListQuery:
    """A list query built from request parameters, as the handlers build it
    (RFC 7644 §3.4.2)."""
    built, _page = build_query(
        rt,
        filter=filter,
        sort_by=sort_by,
        sort_order=sort_order,
        start_index=start_index,
        count=count,
        max_results=1000,
    )
    return built


def set_doc(**changes: Any) -> Callable[[Any], dict[str, Any]]:
    """A User's ``Store.update`` change: the current document with these attributes set."""
    return lambda current: {**current.doc, **changes}


def group_change(*actions: Any, **changes: Any) -> Callable[[GroupRecord], GroupChange]:
    """A Group's ``Store.update`` change: the document with ``changes``, then ``actions``."""
    return lambda current: GroupChange({**current.doc, **changes}, tuple(actions))


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


async def log(store: Store, tenant_id: int) -> list[AuditEntry]:
    """The whole audit log of a tenant (:data:`OPERATOR_LOG`: the operator's)."""
    total, entries = await store.audit_log(tenant_id, count=10_000)
    assert total == len(entries)
    return entries


async def lines(store: Store, tenant_id: int) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """``(operation, resource type, resource id, attributes)`` of each line."""
    return [
        (e.operation, e.resource_type, e.resource_id, e.attributes)
        for e in await log(store, tenant_id)
    ]


__all__ = ["OPERATOR_LOG"]
