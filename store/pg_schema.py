"""The PostgreSQL text of each schema step of :mod:`store.migrations`
(entry N there runs ``STEP_N`` here), applied by :mod:`store.pg_migrate`.

The tables and columns are SQLite's, with PostgreSQL types: ``doc`` and an
audit line's ``attributes`` are ``jsonb``, ``active`` and ``scim_enabled``
``boolean``, hashes ``bytea``. Timestamps stay text in the store's one
fixed-width UTC form (core.clock), so string order is time order; text the
store compares or sorts is ``COLLATE "C"`` (code-point order, as SQLite and
the filter evaluator compare). Every key and index of a tenant's rows leads
with ``tenant_id``, and every unique key holds it, as a distributed table
sharded by ``tenant_id`` needs (Citus co-location).

``scim_fold(text)`` is the database's case-insensitive form of a document
value (RFC 7643 §2.3.1 ``caseExact`` false): ``NFC(lower(NFD(x)))`` with
ICU's root-locale ``lower`` (``COLLATE "und-x-icu"``, whatever the
database's own locale). Python's :func:`core.identity.fold` uses full case
folding, which differs from ``lower`` for a few characters (``ß`` folds to
``ss``): the columns the store folds itself (``user_name_key``,
``display_name_fold``) hold Python's fold; a filter on any other string
folds both sides with ``scim_fold``, so a value always matches itself. It
needs a UTF-8 database and a server built with ICU (PostgreSQL's packages
for Debian, Red Hat and the official container images are).
"""

from __future__ import annotations

from scimdock.store import shared_ddl

STEP_1 = """
CREATE FUNCTION scim_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT normalize(lower(normalize($1, NFD) COLLATE "und-x-icu"), NFC) $$;
CREATE TABLE tenants (
    id            bigint PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    scim_enabled  boolean NOT NULL DEFAULT false,
    created       text COLLATE "C" NOT NULL
);
CREATE TABLE api_keys (
    key_id         text PRIMARY KEY,
    tenant_id      bigint NOT NULL REFERENCES tenants(id),
    secret_hash    bytea NOT NULL,
    label          text NOT NULL DEFAULT '',
    created        text COLLATE "C" NOT NULL,
    expires        text COLLATE "C",
    revoked        text COLLATE "C",
    last_used      text COLLATE "C",
    last_used_from text
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);
""" + shared_ddl.postgresql("users", "user_name", active=True)

#: Groups and their member rows; ``members`` references its group by
#: (tenant, seq), so a membership row never leaves its tenant's shard.
STEP_2 = (
    "\n"
    + shared_ddl.postgresql("groups", "display_name")
    + """CREATE TABLE members (
    tenant_id   bigint NOT NULL,
    group_seq   bigint NOT NULL,
    member_id   text COLLATE "C" NOT NULL,
    member_type text NOT NULL CHECK (member_type IN ('User', 'Group')),
    display     text,
    PRIMARY KEY (tenant_id, group_seq, member_id),
    FOREIGN KEY (tenant_id, group_seq) REFERENCES groups(tenant_id, seq)
);
CREATE INDEX members_member ON members(tenant_id, member_id, member_type);
CREATE INDEX members_nested ON members(tenant_id, group_seq) WHERE member_type = 'Group';
"""
)

STEP_3 = """
CREATE INDEX users_live ON users(tenant_id, seq) WHERE deleted IS NULL;
CREATE INDEX groups_live ON groups(tenant_id, seq) WHERE deleted IS NULL;
"""

#: Administration, as SQLite's step 4; and, PostgreSQL only, ``audit_seq``:
#: each log's last line number. A write takes the next number of its
#: tenant's log with ``UPDATE ... RETURNING`` in its own transaction, so a
#: log's numbers are gapless and in commit order however many instances
#: write (the row lock holds the next writer of that log until commit); a
#: rolled-back write gives its number back. ``last_at`` is the date of
#: that line: a line is dated no earlier than the one before it (a writer
#: that read the clock first but took the lock second takes the later
#: date), so a log read in date order is in ``seq`` order. ``seq`` of an audit line is
#: therefore per log, unique with ``tenant_id``.
STEP_4 = (
    "\n"
    + shared_ddl.administration(postgresql=True)
    + """CREATE INDEX audit_tenant_at ON audit(tenant_id, at, seq);
CREATE TABLE audit_seq (
    tenant_id bigint PRIMARY KEY,
    last      bigint NOT NULL,
    last_at   text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR OLD.tenant_id = 0
       OR EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id) THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
ALTER TABLE api_keys ADD COLUMN previous_hash bytea;
ALTER TABLE api_keys ADD COLUMN previous_valid_until text COLLATE "C";
CREATE INDEX users_deleted ON users(tenant_id, deleted) WHERE deleted IS NOT NULL;
"""
)

#: ``key_epoch`` as SQLite's step 5, bumped by statement-level triggers
#: (one bump per statement that may change what authentication reads).
STEP_5 = """
CREATE TABLE key_epoch (n bigint NOT NULL);
INSERT INTO key_epoch VALUES (0);
CREATE FUNCTION key_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE key_epoch SET n = n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER key_epoch_key_insert_delete AFTER INSERT OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION key_epoch_bump();
CREATE TRIGGER key_epoch_key_update AFTER UPDATE OF key_id, tenant_id, secret_hash, label,
    created, expires, revoked, previous_hash, previous_valid_until ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION key_epoch_bump();
CREATE TRIGGER key_epoch_tenant_update AFTER UPDATE OF id, name, scim_enabled ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION key_epoch_bump();
CREATE TRIGGER key_epoch_tenant_delete AFTER DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION key_epoch_bump();
"""

#: ``doc_fold`` as SQLite's step 6: each resource's document with its
#: caseExact=false strings folded in Python (store.sqlfold), which filters
#: and sorts compare (store.sqlfilter, store.sqlsort). Rows stored before this step get
#: theirs from :func:`store.pg_migrate.fill_folded`, in the same transaction.
STEP_6 = """
ALTER TABLE users ADD COLUMN doc_fold jsonb;
ALTER TABLE groups ADD COLUMN doc_fold jsonb;
"""

#: Step 10: ``key_epoch_bump`` also sends the new epoch on the channel
#: store.pg_epoch listens on (its ``CHANNEL``).
STEP_10 = """
CREATE OR REPLACE FUNCTION key_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    UPDATE key_epoch SET n = n + 1 RETURNING n INTO moved;
    PERFORM pg_notify('scimdock_key_epoch', moved::text);
    RETURN NULL;
END $$;
"""
