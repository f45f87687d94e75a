"""Migration 6 (store/migrations.py FOLDED_DOCS): a database written before
``doc_fold`` existed gets it for every row, and case-insensitive filters
(RFC 7643 §2.2 caseExact=false, folded as scimdock.core.identity.fold)
find those rows in SQL alone (store.sqlfold)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from scimdock.core.filter import parse_filter, resolve_filter
from scimdock.core.query import ListQuery
from scimdock.core.schema import GROUP, USER
from scimdock.store.blocking import BlockingStore
from scimdock.store.migrations import MIGRATIONS, _statements
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlfold import folded_doc, folded_json
from scimdock.store.sqlite import SqliteStore

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
OLD_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
    "userName": "Ärger@Example.com",
    "title": "Straße-Meister",
    "emails": [{"value": "Bob@EXAMPLE.com", "type": "Work", "primary": True}],
    "externalId": "CaseKept",
    ENT: {"department": "ÉTUDES", "manager": {"value": "M-1"}},
}
OLD_GROUP = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"}


def _version_5(db: Path) -> None:
    with sqlite3.connect(db) as raw:
        for script in (step.sqlite for step in MIGRATIONS[:5]):
            for statement in _statements(script):
                raw.execute(statement)
        raw.execute("PRAGMA user_version = 5")
        raw.execute("INSERT INTO tenants(id, name, scim_enabled, created) VALUES (1, 't', 1, 'x')")
        raw.execute(
            "INSERT INTO users(tenant_id, id, user_name, user_name_fold, external_id, active,"
            " doc, created, last_modified) VALUES (1, 'u1', ?, ?, 'CaseKept', NULL, ?, 'x', 'x')",
            (OLD_USER["userName"], "ärger@example.com", json.dumps(OLD_USER)),
        )
        raw.execute(
            "INSERT INTO groups(tenant_id, id, display_name, display_name_fold, doc, created,"
            " last_modified) VALUES (1, 'g1', 'Ops', 'ops', ?, 'x', 'x')",
            (json.dumps(OLD_GROUP),),
        )


def test_rows_stored_before_the_migration_get_their_folded_document(tmp_path: Path) -> None:
    db = tmp_path / "v5.db"
    _version_5(db)
    engine = BlockingStore(SqliteStore(db))
    try:
        with sqlite3.connect(db) as raw:
            (user_fold,) = raw.execute("SELECT doc_fold FROM users").fetchone()
            (group_fold,) = raw.execute("SELECT doc_fold FROM groups").fetchone()
        assert json.loads(user_fold) == folded_doc(OLD_USER, USER)
        assert json.loads(group_fold) == json.loads(folded_json(OLD_GROUP, GROUP))
        folded = json.loads(user_fold)
        assert folded["title"] == "strasse-meister"
        assert folded["emails"] == [{"value": "bob@example.com", "type": "work", "primary": True}]
        assert folded[ENT] == {"department": "études", "manager": {"value": "m-1"}}
        assert folded["externalId"] == "CaseKept"  # caseExact: as stored
        for text in (
            'title eq "STRASSE-meister"',
            'emails[value co "BOB@" and type eq "WORK"]',
            f'{ENT}:department sw "Étu"',
        ):
            rt_filter = resolve_filter(parse_filter(text), USER)
            assert "scim_fold" not in compile_filter(rt_filter, USER)[0]
            total, users = engine.search(1, "User", ListQuery(filter=rt_filter))
            assert (total, [u.id for u in users]) == (1, ["u1"]), text
        missed = resolve_filter(parse_filter('externalId eq "casekept"'), USER)
        assert engine.search(1, "User", ListQuery(filter=missed))[0] == 0
    finally:
        engine.close()
