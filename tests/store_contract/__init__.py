"""The contract every :class:`scimdock.store.base.Store` backend passes.

A backend's test module subclasses :class:`StoreContract` and overrides one
fixture, ``store_factory``: a callable that opens a new, empty store on a
given clock and query budget (see ``tests/unit/test_store_contract_sqlite.py``).
The suite then runs every test below against it, through the awaited
interface only, with anyio's pytest plugin on asyncio; the backend passes
or fails as a whole. Each part is a class of its own module (tenants, keys,
users and tombstones, keyset pages, groups and nesting, audit log, isolation, budget, readiness,
extensions, userName case, the limits' shared counters).
"""

from __future__ import annotations

from .audit import AuditContract
from .budget import BudgetContract
from .counters import CounterContract
from .extensions import ExtensionContract
from .groups import GroupContract, NestingContract
from .isolation import IsolationContract
from .keys import KeyContract
from .keyset import KeysetContract
from .readiness import ReadinessContract
from .reset import ResetContract
from .support import TINY_BUDGET, StoreFactory
from .tenants import AdminTokenContract, TenantContract
from .user_names import UserNameCaseContract
from .users import TombstoneContract, UserContract

__all__ = ["TINY_BUDGET", "StoreContract", "StoreFactory"]


class StoreContract(
    TenantContract,
    AdminTokenContract,
    KeyContract,
    UserContract,
    KeysetContract,
    TombstoneContract,
    GroupContract,
    NestingContract,
    AuditContract,
    IsolationContract,
    BudgetContract,
    ReadinessContract,
    ResetContract,
    ExtensionContract,
    UserNameCaseContract,
    CounterContract,
):
    """Every rule of the store interface; subclass it and provide ``store_factory``."""
