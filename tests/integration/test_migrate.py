"""``scimdock migrate --from sqlite:///PATH --to postgresql://...``: every
table copied and verified, and a server on the copy serves the same
tenants, keys, users, groups, tombstones and audit log
(docs/deployment.md, "From SQLite to PostgreSQL")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Client, cli, start_server, stop_server
from tests import database
from tests.postgres_cluster import PostgresCluster

#: A SQLite source and a PostgreSQL target in one test: runs once, in the SQLite run.
pytestmark = pytest.mark.sqlite_only
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BADGE = "urn:example:params:scim:schemas:Badge"


def _fill(tmp: Path) -> tuple[Path, str, dict[str, object]]:
    """A SQLite database with a bit of everything; its token and what it holds."""
    (tmp / "sqlite").mkdir()
    srv = start_server(tmp / "sqlite")
    try:
        token = srv.tenant("moving")
        srv.tenant("other")
        scim = Client(srv, token)
        extension = {"id": BADGE, "attributes": [{"name": "badge", "type": "string"}]}
        operator = Client(srv, srv.operator_token, admin=True)
        assert operator.post(
            "/tenants/moving/schemas", json={"schema": extension, "resourceType": "User"}
        ).is_success
        badged = {
            "schemas": [USER, BADGE],
            "userName": "badged@example.com",
            BADGE: {"badge": "B-7"},
        }
        assert scim.post("/Users", json=badged).status_code == 201
        ids = [
            scim.post("/Users", json={"schemas": [USER], "userName": f"u{n}@example.com"}).json()[
                "id"
            ]
            for n in range(5)
        ]
        off = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
        assert scim.patch(f"/Users/{ids[1]}", json=off).status_code == 200
        assert scim.delete(f"/Users/{ids[4]}").status_code == 204  # a tombstone
        inner = scim.post(
            "/Groups",
            json={"schemas": [GROUP], "displayName": "inner", "members": [{"value": ids[0]}]},
        ).json()
        outer = scim.post(
            "/Groups",
            json={
                "schemas": [GROUP],
                "displayName": "outer",
                "members": [{"value": ids[2]}, {"value": inner["id"]}],
            },
        ).json()
        audit = Client(srv, srv.operator_token, admin=True).get(
            "/tenants/moving/audit", params={"count": 1000}
        )
        held = {
            "ids": ids,
            "outer": outer["id"],
            "audit": [(e["operation"], e["resourceId"]) for e in audit.json()["Resources"]],
        }
    finally:
        stop_server(srv)
    return Path(srv.db), token, held


def test_everything_is_copied_verified_and_served_from_postgresql(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    db, token, held = _fill(tmp_path)
    url = postgres_cluster.new_database()
    out = cli(db, "migrate", "--from", f"sqlite:///{db}", "--to", url, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    tables = {t["table"]: t for t in report["tables"]}
    assert all(t["verified"] for t in tables.values())
    assert tables["tenants"]["rows"] == 2 and tables["users"]["rows"] == 6
    assert tables["schema_extensions"]["rows"] == 1
    assert tables["members"]["rows"] == 3 and tables["groups"]["rows"] == 2
    for table in ("tenants", "users", "groups", "members", "api_keys", "schema_extensions"):
        [(n,)] = database.query(url, f"SELECT count(*) FROM {table}")
        assert n == tables[table]["rows"]

    (tmp_path / "pg").mkdir()
    srv = start_server(tmp_path / "pg", db=url)
    try:
        scim = Client(srv, token)  # the same key, hashed, copied
        ids = held["ids"]
        assert isinstance(ids, list)
        listed = scim.get("/Users").json()
        assert listed["totalResults"] == 5  # the tombstone stays out of SCIM
        assert scim.get(f"/Schemas/{BADGE}").status_code == 200  # the extension came along
        badged = scim.get("/Users", params={"filter": f'{BADGE}:badge eq "b-7"'}).json()
        assert [u["userName"] for u in badged["Resources"]] == ["badged@example.com"]
        assert scim.get(f"/Users/{ids[1]}").json()["active"] is False
        assert scim.get(f"/Users/{ids[4]}").status_code == 404
        outer = scim.get(f"/Groups/{held['outer']}").json()
        assert {m["value"] for m in outer["members"]} >= {ids[2]}
        groups = scim.get(f"/Users/{ids[0]}").json()["groups"]
        assert {g["display"] for g in groups} == {"inner", "outer"}  # nested, derived
        admin = Client(srv, srv.operator_token, admin=True)
        tombs = admin.get("/tenants/moving/tombstones").json()["Resources"]
        assert [t["id"] for t in tombs] == [ids[4]]
        audit = admin.get("/tenants/moving/audit", params={"count": 1000}).json()["Resources"]
        assert [(e["operation"], e["resourceId"]) for e in audit] == held["audit"]
        assert [e["seq"] for e in audit] == list(range(1, len(audit) + 1))  # one log, renumbered
        made = scim.post("/Users", json={"schemas": [USER], "userName": "new@example.com"})
        assert made.status_code == 201  # the counters moved past the copied rows
        assert (
            scim.post("/Users", json={"schemas": [USER], "userName": "U0@example.com"}).status_code
            == 409
        )
        again = admin.get("/tenants/moving/audit", params={"count": 1000}).json()["Resources"]
        assert again[-1]["seq"] == len(audit) + 1
    finally:
        stop_server(srv)


def test_a_target_that_holds_data_is_refused_and_left_alone(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    db, _token, _held = _fill(tmp_path)
    url = postgres_cluster.new_database()
    assert cli(db, "migrate", "--from", str(db), "--to", url).returncode == 0
    before = database.dump(url)
    refused = cli(db, "migrate", "--from", str(db), "--to", url)
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert database.dump(url) == before
    wrong = cli(db, "migrate", "--from", url, "--to", str(db))
    assert wrong.returncode == 2 and "PostgreSQL" in wrong.stderr
