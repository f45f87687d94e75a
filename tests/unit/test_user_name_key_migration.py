"""Migration 8 (store/migrations.py): a database written before it keeps
every user findable and unique by its case-folded userName (now
``user_name_key``), its tenants fold userNames as before, a tenant that
already had extension schemas gets a schema tag other than 0 (0 means the
server's own types, which a request then uses without reading anything),
and a change of the tag empties the key rows authentication keeps."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scimdock.store.blocking import BlockingStore
from scimdock.store.errors import Conflict
from scimdock.store.migrations import MIGRATIONS, _statements
from scimdock.store.sqlfilter import register_functions
from scimdock.store.sqlite import SqliteStore
from tests.store_contract.support import user

URN = "urn:example:params:scim:schemas:Acme"


def _version_7(db: Path) -> None:
    with sqlite3.connect(db) as raw:
        register_functions(raw)  # migration 6 calls scim_fold_doc
        for script in (step.sqlite for step in MIGRATIONS[:7]):
            for statement in _statements(script):
                raw.execute(statement)
        raw.execute("PRAGMA user_version = 7")
        for tenant_id, name in ((1, "plain"), (2, "extended")):
            raw.execute(
                "INSERT INTO tenants(id, name, scim_enabled, created) VALUES (?, ?, 1, 'x')",
                (tenant_id, name),
            )
        raw.execute(
            "INSERT INTO schema_extensions(tenant_id, urn_fold, urn, resource_type, definition,"
            " created) VALUES (2, ?, ?, 'User', ?, 'x')",
            (URN.lower(), URN, f'{{"id": "{URN}"}}'),
        )
        raw.execute(
            "INSERT INTO users(tenant_id, id, user_name, user_name_fold, doc, doc_fold, created,"
            " last_modified) VALUES (1, 'u1', 'Alice', 'alice', '{\"userName\": \"Alice\"}',"
            " '{\"userName\": \"alice\"}', 'x', 'x')"
        )


def test_a_database_from_before_keeps_its_users_and_tags_extended_tenants(tmp_path: Path) -> None:
    db = tmp_path / "v7.db"
    _version_7(db)
    engine = BlockingStore(SqliteStore(db))
    try:
        plain, extended = engine.tenant_schema(1), engine.tenant_schema(2)
        assert (plain.tag, plain.user_name_case_exact, plain.extensions) == (0, False, [])
        assert extended.tag != 0 and [e.urn for e in extended.extensions] == [URN]
        found = engine.lookup_user(1, user_name="ALICE")
        assert found is not None and found.id == "u1"
        with pytest.raises(Conflict):
            engine.create(1, "User", user("aLICE"))

        engine.add_key(1, "k1", b"h" * 32, "")
        assert engine.get_key("k1", last_use=False).tenant_schema_tag == 0  # type: ignore[union-attr]
        engine.set_user_name_case_exact(1, True)
        moved = engine.get_key("k1", last_use=False)  # the trigger emptied the kept rows
        assert moved is not None and moved.tenant_schema_tag == engine.tenant_schema(1).tag != 0
        engine.create(1, "User", user("aLICE"))  # now a second user
    finally:
        engine.close()
