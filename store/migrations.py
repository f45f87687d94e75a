"""Schema migrations of both stores, one ordered list, applied in order at
start-up.

Entry N is the same step on SQLite and on PostgreSQL: a
:class:`Migration` holds the step's SQLite script and its PostgreSQL
script (store/pg_schema.py). SQLite runs each entry in one transaction and
records how many have run in ``PRAGMA user_version``; PostgreSQL records
the count in its ``schema_version`` table (store/pg_migrate.py). Never
edit a released migration: append a new one.

Layout of a resource row: the indexed columns a filter or sort can use
(``userName``'s uniqueness key, ``externalId``, ``active``, timestamps) beside
``doc``, the JSON document of every other attribute. ``seq`` is the
insertion order and the stable default sort. Every index leads with
``tenant_id`` so no query ever walks another tenant's rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from scimdock.store import pg_schema, shared_ddl


@dataclass(frozen=True)
class Migration:
    """One schema step: its SQLite script (statements split by
    :func:`_statements`) and its PostgreSQL script (run as one
    multi-statement text)."""

    sqlite: str
    postgresql: str


#: 6: ``doc_fold``, the resource's document with its caseExact=false strings
#: folded (store.sqlfold), which filters and sorts compare in SQL alone.
#: The rows already stored get theirs here, from ``scim_fold_doc``, the
#: SQL function every connection of the store has (store.sqlfold.register).
FOLDED_DOCS = """
    ALTER TABLE users ADD COLUMN doc_fold TEXT;
    ALTER TABLE groups ADD COLUMN doc_fold TEXT;
    UPDATE users SET doc_fold = scim_fold_doc('User', doc);
    UPDATE groups SET doc_fold = scim_fold_doc('Group', doc);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        sqlite="""
    CREATE TABLE tenants (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        scim_enabled  INTEGER NOT NULL DEFAULT 0,
        created       TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        key_id        TEXT PRIMARY KEY,
        tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
        secret_hash   BLOB NOT NULL,
        label         TEXT NOT NULL DEFAULT '',
        created       TEXT NOT NULL,
        expires       TEXT,
        revoked       TEXT,
        last_used     TEXT,
        last_used_from TEXT
    );
    CREATE INDEX api_keys_tenant ON api_keys(tenant_id);
"""
        + shared_ddl.sqlite("users", "user_name", active=True)
        + "    ",
        postgresql=pg_schema.STEP_1,
    ),
    # 2: Groups (RFC 7643 §4.2). The document holds every attribute but
    # ``members``, which are rows of ``members``: one per (group, member),
    # so adding or removing k members touches k rows whatever the size of
    # the group. ``group_seq`` is the group's ``seq``; ``member_id`` the id
    # of a user or group of the same tenant; ``display`` the member's
    # ``display`` if the client gave one (RFC 7643 §2.4: immutable), else
    # NULL and derived when read. ``members_member`` answers "which groups
    # is this resource in" (deletes, a user's ``groups``); ``members_nested``
    # (partial: group members only) walks the nesting of groups without
    # reading their user members.
    Migration(
        sqlite="\n"
        + shared_ddl.sqlite("groups", "display_name")
        + """    CREATE TABLE members (
        tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
        group_seq   INTEGER NOT NULL REFERENCES groups(seq),
        member_id   TEXT NOT NULL,
        member_type TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
        display     TEXT,
        PRIMARY KEY (tenant_id, group_seq, member_id)
    ) WITHOUT ROWID;
    CREATE INDEX members_member ON members(tenant_id, member_id, member_type);
    CREATE INDEX members_nested ON members(tenant_id, group_seq) WHERE member_type = 'Group';
    """,
        postgresql=pg_schema.STEP_2,
    ),
    # Live rows in insertion order: counting a tenant and reading a page of
    # an unfiltered list walk this index instead of sorting every row
    # (docs/performance-history.md#live-indexes).
    Migration(
        sqlite="""
    CREATE INDEX users_live ON users(tenant_id, seq) WHERE deleted IS NULL;
    CREATE INDEX groups_live ON groups(tenant_id, seq) WHERE deleted IS NULL;
    """,
        postgresql=pg_schema.STEP_3,
    ),
    # 4: Administration (docs/admin.md). ``admin_tokens``: hashed admin
    # credentials, ``tenant_id`` NULL for an operator token. ``audit``: the
    # append-only log of every change, one row per change written in the
    # change's own transaction; ``tenant_id`` 0 is the operator log (operator
    # tokens, tenant deletions). It has no foreign key so that a tenant's
    # log can outlive the tenant; the triggers refuse any UPDATE, and any
    # DELETE while the row's tenant exists (a forced tenant delete removes
    # the tenant row first, then its log). ``attributes`` is a JSON array of
    # attribute names, never values. ``api_keys`` gains the previous secret's
    # hash and its end of validity (rotation with a grace period). Tombstones
    # are read by deletion time: ``users_deleted`` (partial, tombstones only).
    # ``tenant_id_seq`` holds the highest tenant id ever given, so an id is
    # never reused, not even after a forced delete removed every row of it.
    Migration(
        sqlite="\n"
        + shared_ddl.administration(postgresql=False)
        + """    CREATE INDEX audit_tenant_at ON audit(tenant_id, at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        WHEN OLD.tenant_id = 0 OR EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    ALTER TABLE api_keys ADD COLUMN previous_hash BLOB;
    ALTER TABLE api_keys ADD COLUMN previous_valid_until TEXT;
    CREATE INDEX users_deleted ON users(tenant_id, deleted) WHERE deleted IS NOT NULL;
    """,
        postgresql=pg_schema.STEP_4,
    ),
    # 5: ``key_epoch`` counts the changes to what authentication reads of a
    # key and its tenant (store.sql_keys keeps those rows until it moves).
    # A key's last use is left out: it changes on every flush and
    # authentication never reads it. ``UPDATE OF`` fires whenever a listed
    # column is set, changed or not, which errs on the safe side.
    Migration(
        sqlite="""
    CREATE TABLE key_epoch (n INTEGER NOT NULL);
    INSERT INTO key_epoch VALUES (0);
    CREATE TRIGGER key_epoch_key_insert AFTER INSERT ON api_keys
    BEGIN UPDATE key_epoch SET n = n + 1; END;
    CREATE TRIGGER key_epoch_key_delete AFTER DELETE ON api_keys
    BEGIN UPDATE key_epoch SET n = n + 1; END;
    CREATE TRIGGER key_epoch_key_update AFTER UPDATE OF key_id, tenant_id, secret_hash, label,
        created, expires, revoked, previous_hash, previous_valid_until ON api_keys
    BEGIN UPDATE key_epoch SET n = n + 1; END;
    CREATE TRIGGER key_epoch_tenant_update AFTER UPDATE OF id, name, scim_enabled ON tenants
    BEGIN UPDATE key_epoch SET n = n + 1; END;
    CREATE TRIGGER key_epoch_tenant_delete AFTER DELETE ON tenants
    BEGIN UPDATE key_epoch SET n = n + 1; END;
    """,
        postgresql=pg_schema.STEP_5,
    ),
    Migration(sqlite=FOLDED_DOCS, postgresql=pg_schema.STEP_6),
    # 7: each tenant's extension schemas (core.extensions, RFC 7643 §7),
    # keyed by the case-folded URN; they go with their tenant.
    Migration(
        sqlite="""
    CREATE TABLE schema_extensions (
        seq           INTEGER PRIMARY KEY,
        tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        urn_fold      TEXT NOT NULL,
        urn           TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        required      INTEGER NOT NULL DEFAULT 0,
        definition    TEXT NOT NULL,
        created       TEXT NOT NULL,
        UNIQUE (tenant_id, urn_fold)
    );
    """,
        postgresql="""
CREATE TABLE schema_extensions (
    seq           bigserial,
    tenant_id     bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    urn_fold      text COLLATE "C" NOT NULL,
    urn           text NOT NULL,
    resource_type text NOT NULL,
    required      boolean NOT NULL DEFAULT false,
    definition    jsonb NOT NULL,
    created       text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, urn_fold)
);
""",
    ),
    # 8: how a tenant's userNames are told apart. ``user_name_fold`` becomes
    # ``user_name_key``, the text the unique index compares: the case-folded
    # userName (RFC 7643 §4.1.1: caseExact false), or the userName as given
    # where the tenant's ``user_name_case_exact`` is set (a behaviour
    # profile, scimdock.mock.rules.profile). ``schema_tag`` moves with every change to
    # what the tenant's resource types are (its extensions, that choice);
    # 0 is the server's own types. Authentication reads it with the key
    # (``key_epoch`` now fires on it too), so a request knows whether the
    # types it has built are current without reading them.
    Migration(
        sqlite="""
    ALTER TABLE users RENAME COLUMN user_name_fold TO user_name_key;
    ALTER TABLE tenants ADD COLUMN user_name_case_exact INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tenants ADD COLUMN schema_tag INTEGER NOT NULL DEFAULT 0;
    UPDATE tenants SET schema_tag = 1 WHERE id IN (SELECT tenant_id FROM schema_extensions);
    DROP TRIGGER key_epoch_tenant_update;
    CREATE TRIGGER key_epoch_tenant_update
        AFTER UPDATE OF id, name, scim_enabled, schema_tag ON tenants
    BEGIN UPDATE key_epoch SET n = n + 1; END;
    """,
        postgresql="""
ALTER TABLE users RENAME COLUMN user_name_fold TO user_name_key;
ALTER TABLE tenants ADD COLUMN user_name_case_exact boolean NOT NULL DEFAULT false;
ALTER TABLE tenants ADD COLUMN schema_tag bigint NOT NULL DEFAULT 0;
UPDATE tenants SET schema_tag = 1 WHERE id IN (SELECT tenant_id FROM schema_extensions);
DROP TRIGGER key_epoch_tenant_update ON tenants;
CREATE TRIGGER key_epoch_tenant_update
    AFTER UPDATE OF id, name, scim_enabled, schema_tag ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION key_epoch_bump();
""",
    ),
    # 9: the limits' counters shared by every process on the database
    # (store.counters). UNLOGGED: no write-ahead log, so a take costs no
    # disk flush; after a crash the table is empty, which only resets the
    # windows. SQLite keeps them in a side file (store.sqlite_counters),
    # away from the database's write lock: nothing to add to its schema.
    Migration(
        sqlite="",
        postgresql="""
CREATE UNLOGGED TABLE limit_counts (
    name  text COLLATE "C" NOT NULL,
    part  bigint NOT NULL,
    hits  bigint NOT NULL,
    taken bigint NOT NULL,
    until bigint NOT NULL,
    PRIMARY KEY (name, part)
);
""",
    ),
    # 10: a bump of ``key_epoch`` also notifies the new epoch (delivered when
    # its transaction commits), so a PostgreSQL server process watches the
    # epoch instead of reading it on every request (store.pg_epoch). SQLite
    # reads it per request: nothing to add.
    Migration(sqlite="", postgresql=pg_schema.STEP_10),
)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every SQLite migration not yet applied; return the schema version."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(step.sqlite):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit early).

    A piece ends a statement only when SQLite says the text so far is
    complete (:func:`sqlite3.complete_statement`), so a trigger body's
    inner ``;`` does not split it.
    """
    out: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip().rstrip(";").strip())
            pending = ""
    if pending.strip(" \n;"):
        out.append(pending.strip().rstrip(";").strip())
    return out
