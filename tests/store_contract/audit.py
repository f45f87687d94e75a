"""The audit log: one line per write, in the write's transaction, with who
asked, from where, and the names (never the values) of what changed."""

from __future__ import annotations

import pytest

from scimdock.core.clock import ManualClock
from scimdock.store.base import Store
from scimdock.store.errors import Conflict

from .support import KEY, START, ContractBase, log, set_doc, user

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class AuditContract(ContractBase):
    async def test_each_write_appends_one_line(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        clock.advance(1)
        ann = await store.create(
            tenant, "User", user("ann@x", name={"givenName": "Ann"}, nickName="s3cret-Value")
        )
        clock.advance(1)
        await store.update(
            tenant,
            "User",
            ann.id,
            set_doc(name={"givenName": "Anne"}, **{ENTERPRISE: {"department": "R&D"}}),
            operation="patch",
            actor=KEY,
        )
        clock.advance(1)
        await store.delete(tenant, "User", ann.id, actor=KEY)
        entries = await log(store, tenant)
        assert [
            (e.at, e.tenant_id, e.operation, e.resource_type, e.resource_id, e.attributes)
            for e in entries
        ] == [
            (START, tenant, "create", "Tenant", "acme", ("name",)),
            (
                "2025-01-31T12:00:01.000000Z",
                tenant,
                "create",
                "User",
                ann.id,
                ("name", "nickName", "userName"),
            ),
            (
                "2025-01-31T12:00:02.000000Z",
                tenant,
                "patch",
                "User",
                ann.id,
                ("name.givenName", f"{ENTERPRISE}:department"),  # sorted
            ),
            ("2025-01-31T12:00:03.000000Z", tenant, "delete", "User", ann.id, ()),
        ]
        assert (entries[1].actor_kind, entries[1].actor_id, entries[1].address) == (
            "cli",
            "cli",
            None,
        )
        assert (entries[2].actor_kind, entries[2].actor_id, entries[2].address) == (
            "scim-key",
            "sk_contract",
            "192.0.2.10",
        )
        assert len({e.seq for e in entries}) == 4
        assert "s3cret" not in repr(entries)  # names only, never a value

    async def test_a_failed_write_appends_nothing(self, store: Store, tenant: int) -> None:
        await store.create(tenant, "User", user("ann@x"))
        before = await log(store, tenant)
        with pytest.raises(Conflict):
            await store.create(tenant, "User", user("ANN@x"))
        await store.create(tenant, "Group", {"displayName": "g"})
        with pytest.raises(Conflict):
            await store.create(tenant, "Group", {"displayName": "G"})
        after = await log(store, tenant)
        assert after[: len(before)] == before
        assert [(e.operation, e.resource_type) for e in after[len(before) :]] == [
            ("create", "Group")
        ]

    async def test_paging_and_time_window(
        self, store: Store, tenant: int, clock: ManualClock
    ) -> None:
        for n in range(5):
            clock.advance(60)
            await store.create(tenant, "User", user(f"u{n}@x"))
        total, page = await store.audit_log(tenant, offset=1, count=2)
        assert total == 6 and [e.at for e in page] == [
            "2025-01-31T12:01:00.000000Z",
            "2025-01-31T12:02:00.000000Z",
        ]
        total, page = await store.audit_log(
            tenant, since="2025-01-31T12:02:00Z", until="2025-01-31T13:04:00+01:00"
        )  # since inclusive, until exclusive
        assert total == 2 and [e.at[11:16] for e in page] == ["12:02", "12:03"]
        total, page = await store.audit_log(tenant, since="2025-01-31T12:02:00Z", offset=2, count=5)
        assert total == 4 and [e.at[11:16] for e in page] == ["12:04", "12:05"]
        assert await store.audit_log(tenant, offset=10) == (6, [])
        assert await store.audit_log(tenant, count=0) == (6, [])
        every = (await store.audit_log(tenant))[1]
        assert [e.seq for e in every] == sorted(e.seq for e in every)  # oldest first
        with pytest.raises(ValueError):
            await store.audit_log(tenant, since="yesterday")
