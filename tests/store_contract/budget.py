"""A list the store cannot finish within its time budget fails with
:class:`OverBudget` (RFC 7644 §3.12 ``tooMany``) instead of holding a
connection: the backend gives a store with a tiny budget."""

from __future__ import annotations

import pytest

from scimdock.store.base import Store
from scimdock.store.errors import OverBudget

from .support import ContractBase, query, user

ROWS = 3000
#: Substring searches on several attributes: every row's document is read.
EXPENSIVE = 'userName co "zz" or displayName co "qq" or emails.value co "xx" or title ew "yy"'


class BudgetContract(ContractBase):
    async def test_an_expensive_list_is_over_budget(self, tight_store: Store) -> None:
        tenant = (await tight_store.create_tenant("acme")).id
        docs = [user(f"u{n}@example.com", displayName=f"U {n}", title="t") for n in range(ROWS)]
        assert await tight_store.create_users(tenant, docs) == ROWS
        with pytest.raises(OverBudget):
            await tight_store.search(tenant, "User", query(filter=EXPENSIVE))

    async def test_the_same_list_within_budget(self, store: Store, tenant: int) -> None:
        await store.create_users(tenant, [user("azz@x"), user("b@x", title="ayy")])
        total, page = await store.search(
            tenant, "User", query(filter=EXPENSIVE, sort_by="userName")
        )
        assert (total, [r.doc["userName"] for r in page]) == (2, ["azz@x", "b@x"])
