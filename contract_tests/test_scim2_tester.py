"""python-scim's scim2-tester against the live server: every check it has
for discovery and for each resource type the server advertises.

It is someone else's suite; the server is never special-cased for it.
"""

from __future__ import annotations

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from conftest import Server

#: Outcomes that are not a miss: RFC MUST/SHOULD met, or an optional feature.
GOOD = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def test_scim2_tester_finds_nothing_wrong(server: Server, tenant_name: str) -> None:
    token = server.tenant(tenant_name)
    http = httpx2.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    results = check_server(SyncSCIMClient(http))
    tested = {getattr(r, "resource_type", None) for r in results}
    assert {"User", "Group"} <= tested, tested
    assert len(results) > 100, len(results)
    misses = [f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status not in GOOD]
    assert misses == [], "\n".join(misses)
