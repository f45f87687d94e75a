"""Schema migrations for the SQLite store, applied in order at start-up.

Each entry is one transaction; ``PRAGMA user_version`` records how many have
run. Never edit a released migration: append a new one.

Layout of a resource row: the indexed columns a filter or sort can use
(case-folded ``userName``, ``externalId``, ``active``, timestamps) beside
``doc``, the JSON document of every other attribute. ``seq`` is the
insertion order and the stable default sort. Every index leads with
``tenant_id`` so no query ever walks another tenant's rows.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    """
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
    CREATE TABLE users (
        seq            INTEGER PRIMARY KEY,
        tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
        id             TEXT NOT NULL,
        user_name      TEXT NOT NULL,
        user_name_fold TEXT NOT NULL,
        external_id    TEXT,
        active         INTEGER,
        doc            TEXT NOT NULL,
        created        TEXT NOT NULL,
        last_modified  TEXT NOT NULL,
        version        INTEGER NOT NULL DEFAULT 1,
        deleted        TEXT
    );
    CREATE UNIQUE INDEX users_id ON users(tenant_id, id);
    CREATE UNIQUE INDEX users_user_name ON users(tenant_id, user_name_fold)
        WHERE deleted IS NULL;
    CREATE INDEX users_external_id ON users(tenant_id, external_id);
    CREATE INDEX users_active ON users(tenant_id, active);
    CREATE INDEX users_last_modified ON users(tenant_id, last_modified);
    """,
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
    """
    CREATE TABLE groups (
        seq               INTEGER PRIMARY KEY,
        tenant_id         INTEGER NOT NULL REFERENCES tenants(id),
        id                TEXT NOT NULL,
        display_name      TEXT NOT NULL,
        display_name_fold TEXT NOT NULL,
        external_id       TEXT,
        doc               TEXT NOT NULL,
        created           TEXT NOT NULL,
        last_modified     TEXT NOT NULL,
        version           INTEGER NOT NULL DEFAULT 1,
        deleted           TEXT
    );
    CREATE UNIQUE INDEX groups_id ON groups(tenant_id, id);
    CREATE UNIQUE INDEX groups_display_name ON groups(tenant_id, display_name_fold)
        WHERE deleted IS NULL;
    CREATE INDEX groups_external_id ON groups(tenant_id, external_id);
    CREATE INDEX groups_last_modified ON groups(tenant_id, last_modified);
    CREATE TABLE members (
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
    # Live rows in insertion order: counting a tenant and reading a page of
    # an unfiltered list walk this index instead of sorting every row
    # (docs/performance.md, finding 1).
    """
    CREATE INDEX users_live ON users(tenant_id, seq) WHERE deleted IS NULL;
    CREATE INDEX groups_live ON groups(tenant_id, seq) WHERE deleted IS NULL;
    """,
)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration not yet applied; return the schema version."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit early)."""
    return [s.strip() for s in script.split(";") if s.strip()]
