"""Tenants' extension schemas (core.extensions, RFC 7643 §7): registered
per tenant, listed oldest first, removed by case-insensitive URN, each
change audited; filters and sorts over a tenant's extension attributes
run in the database; removing an extension leaves the stored values."""

from __future__ import annotations

import pytest

from scimdock.core.extensions import definition, parse_definition, with_extensions
from scimdock.core.resource import normalize_resource
from scimdock.core.schema import USER
from scimdock.store.base import Store
from scimdock.store.errors import Conflict, NotFound

from .support import ADMIN, lines, query

URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
SCHEMA = parse_definition(
    {
        "id": URN,
        "attributes": [
            {"name": "badge", "type": "string"},
            {"name": "level", "type": "integer"},
            {"name": "tags", "type": "string", "multiValued": True},
        ],
    }
)
ACME_USER = with_extensions(USER, [(SCHEMA, False)])


def acme_user(name: str, badge: str, level: int) -> dict[str, object]:
    body = {"userName": name, URN: {"badge": badge, "level": level, "tags": [badge.lower()]}}
    return normalize_resource(body, ACME_USER)


class ExtensionContract:
    async def test_add_list_remove(self, store: Store, tenant: int) -> None:
        other = (await store.create_tenant("other")).id
        added = await store.add_schema_extension(
            tenant, URN, "User", definition(SCHEMA), required=True, actor=ADMIN
        )
        assert (added.urn, added.resource_type, added.required) == (URN, "User", True)
        second = "urn:example:params:scim:schemas:Group"
        await store.add_schema_extension(tenant, second, "Group", {"id": second})
        listed = await store.list_schema_extensions(tenant)
        assert [(e.urn, e.resource_type, e.required) for e in listed] == [
            (URN, "User", True),
            (second, "Group", False),
        ]
        assert listed[0].definition == definition(SCHEMA)
        assert await store.list_schema_extensions(other) == []

        with pytest.raises(Conflict):
            await store.add_schema_extension(tenant, URN.upper(), "User", {"id": URN})
        removed = await store.remove_schema_extension(tenant, URN.lower(), actor=ADMIN)
        assert removed.urn == URN
        with pytest.raises(NotFound):
            await store.remove_schema_extension(tenant, URN)
        with pytest.raises(NotFound):
            await store.remove_schema_extension(other, second)
        assert [e.urn for e in await store.list_schema_extensions(tenant)] == [second]
        log = [line[:3] for line in await lines(store, tenant)]
        assert ("create", "Schema", URN) in log and ("delete", "Schema", URN) in log

    async def test_filter_and_sort_on_extension_attributes(self, store: Store, tenant: int) -> None:
        for name, badge, level in (("a@x", "B-2", 3), ("b@x", "b-1", 1), ("c@x", "C-3", 2)):
            await store.create(tenant, "User", acme_user(name, badge, level))
        plain = await store.create(tenant, "User", normalize_resource({"userName": "d@x"}, USER))

        def names(found: tuple[int, list[object]]) -> list[str]:
            return [r.doc["userName"] for r in found[1]]  # type: ignore[attr-defined]

        q = query(ACME_USER, filter=f'{URN}:badge eq "b-2"')
        assert names(await store.search(tenant, "User", q)) == ["a@x"]  # caseExact false
        q = query(ACME_USER, filter=f"{URN}:level gt 1", sort_by=f"{URN}:level")
        assert names(await store.search(tenant, "User", q)) == ["c@x", "a@x"]
        q = query(ACME_USER, filter=f'{URN}:tags co "c-"')
        assert names(await store.search(tenant, "User", q)) == ["c@x"]
        q = query(ACME_USER, filter=f"not ({URN}:badge pr)")
        assert names(await store.search(tenant, "User", q)) == ["d@x"]
        q = query(
            ACME_USER, filter=f"{URN}:badge pr", sort_by=f"{URN}:badge", sort_order="descending"
        )
        assert names(await store.search(tenant, "User", q)) == ["c@x", "a@x", "b@x"]
        # Unregistering does not touch the documents.
        await store.add_schema_extension(tenant, URN, "User", definition(SCHEMA))
        await store.remove_schema_extension(tenant, URN)
        total, found = await store.search(tenant, "User", query())
        assert total == 4 and sum(URN in r.doc for r in found) == 3
        assert (await store.get(tenant, "User", plain.id)).doc == {"userName": "d@x"}
