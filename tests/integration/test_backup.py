"""``scimdock backup``: an online copy of a SQLite database taken while the
server writes to it (docs/deployment.md, "Online backups"); the copy opens
as a database that holds every user acknowledged before the backup began."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from conftest import Client, cli, start_server, stop_server
from scimdock.store.blocking import BlockingStore
from scimdock.store.sqlite import SqliteStore

#: SQLite's own file: runs in the SQLite run only.
pytestmark = pytest.mark.sqlite_only
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_a_backup_taken_under_writes_holds_every_acknowledged_user(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    try:
        scim = Client(srv, srv.tenant("backed"))
        before = [
            scim.post("/Users", json={"schemas": [USER], "userName": f"b{n}"}) for n in range(30)
        ]
        assert all(r.status_code == 201 for r in before)
        stop = threading.Event()
        written: list[int] = []

        def keep_writing() -> None:
            n = 0
            while not stop.is_set():
                r = scim.post("/Users", json={"schemas": [USER], "userName": f"during{n}"})
                written.append(r.status_code)
                n += 1

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            copy = tmp_path / "copy.db"
            out = cli(srv.db, "backup", str(copy), "--json")
        finally:
            stop.set()
            writer.join(30)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["pages"] > 0
        assert written and set(written) == {201}
    finally:
        stop_server(srv)
    engine = BlockingStore(SqliteStore(copy))
    try:
        tenant = engine.get_tenant("backed")
        assert tenant is not None
        names = {engine.get(tenant.id, "User", r.json()["id"]).doc["userName"] for r in before}
        assert names == {f"b{n}" for n in range(30)}
    finally:
        engine.close()


def test_backup_refuses_an_existing_target_and_a_server_database(tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    assert cli(db, "tenant", "create", "x").returncode == 0
    taken = tmp_path / "taken.db"
    taken.write_text("keep me")
    refused = cli(db, "backup", str(taken))
    assert refused.returncode == 1 and "exists already" in refused.stderr
    assert taken.read_text() == "keep me"
    pg = cli("postgresql://nobody@127.0.0.1:1/none", "backup", str(tmp_path / "x.db"))
    assert pg.returncode == 2 and "pg_dump" in pg.stderr
    assert not (tmp_path / "x.db").exists()
