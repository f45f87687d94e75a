"""The group workload of ``make bench``: PATCH add one member, in Entra's
form, on a group of ``settings.GROUP_MEMBERS`` (10,000) members — scimdock
beside scim2-server, one connection (the peer takes seconds per PATCH at
this size; more connections would only queue).

Each server gets its own group and a pool of users in no group; the
warm-up and every measured run take their own slice of the pool, so each
PATCH adds a user who is not a member yet. scimdock's users are
bulk-loaded through the store into a tenant of their own before the server
starts (the 1,000-user tenant of the other workloads stays as it is); the
peer's are POSTed (in memory, there is no other way in) just before the
workload, after the list workload, whose figures they would change. The
groups themselves are POSTed over HTTP.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

from bench import seed, servers
from bench import settings as S
from bench.servers import Server

TENANT = "benchgroups"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def pool_sizes() -> dict[str, int]:
    """Users per slice: one slice per measured round and one for the warm-up.
    scimdock adds ~500 members/s with one connection and an fsync each
    (the 15:49 run needed more than 600 per second of run); the peer adds
    one every few seconds at 10,000 members."""
    return {"scimdock": max(7500, int(1500 * S.SECONDS)), "scim2-server": 40}


def load_scimdock(db: Path) -> tuple[str, list[str]]:
    """Before the server starts: tenant ``benchgroups`` with the group's
    members and the pool, bulk-loaded; its token and the users' ids."""
    token = servers.tenant_token(db, TENANT)
    users = S.GROUP_MEMBERS + pool_sizes()["scimdock"] * (S.ROUNDS + 1)
    seed.bulk_load(db, TENANT, 1, users + 1)
    return token, seed.sample_ids(db, TENANT, users)


def create_group(server: Server, auth: str, members: list[str]) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    body = {
        "schemas": [GROUP],
        "displayName": f"bench {len(members):,}",
        "members": [{"value": m} for m in members],
    }
    try:
        conn.request(
            "POST",
            f"{server.base}/Groups",
            body=json.dumps(body),
            headers={"Authorization": auth, "Content-Type": "application/scim+json"},
        )
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 201:
        raise RuntimeError(f"{server.name}: creating the group: {resp.status} {data[:300]!r}")
    return str(json.loads(data)["id"])


def prepare(
    running: dict[str, Server], scimdock_users: tuple[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """Per server: the Authorization to use, the group's id, and the slices
    of the pool (``slices[0]`` for the warm-up)."""
    out = {}
    for name, server in running.items():
        if name == "scimdock":
            token, ids = scimdock_users
            auth = f"Bearer {token}"
        else:
            auth = server.auth
            n = S.GROUP_MEMBERS + pool_sizes()[name] * (S.ROUNDS + 1)
            ids = seed.post_users(server.port, server.base, auth, 100_001, 100_001 + n)
        members, pool = ids[: S.GROUP_MEMBERS], ids[S.GROUP_MEMBERS :]
        size = pool_sizes()[name]
        out[name] = {
            "auth": auth,
            "group": create_group(server, auth, members),
            "slices": [pool[i * size : (i + 1) * size] for i in range(S.ROUNDS + 1)],
        }
    return out
