"""Users (RFC 7643 §4.1), tombstones, purge and the sign-in lookup,
written once for every backend as transaction scripts (store.sqlscript).

``userName`` is unique per tenant by the partial unique index over the
key of each live row's name (store.tenant_schema: folded unless the tenant
compares names as given), not a read-then-write check: of two writers
creating one name at once, the second fails, a :class:`Conflict`. An
update reads the tenant's userName choice first, then its row, locked
where the backend locks rows (PostgreSQL ``FOR UPDATE``; SQLite's writer
holds the whole file), so concurrent updates of one user apply one after
the other.

A SCIM DELETE keeps the user's row with ``deleted`` set (a tombstone: 404
to SCIM, data kept; its memberships end at delete time). An operator can
restore it (same id, a new version; a ``userName`` taken meanwhile is a
409) or purge it: the row is DELETEd for good (the backend's ``_purge``
makes sure no copy of the bytes stays behind where it can).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from scimdock.core.audit import changed
from scimdock.core.query import ListQuery
from scimdock.core.schema import USER
from scimdock.store import sql_audit as audit
from scimdock.store import sql_extensions as extensions
from scimdock.store import sql_members as members
from scimdock.store.errors import Conflict, NotFound, check_version
from scimdock.store.records import Actor, Stamp, Tombstone, UserRecord, new_id, stamped
from scimdock.store.sql_pages import page
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlfold import folded_json
from scimdock.store.sqlscript import (
    Script,
    Violation,
    alone,
    many,
    meaning,
    one,
    rows,
    run,
    together,
)
from scimdock.store.tenant_schema import check_batch, user_name_key

USER_TYPE = "User"
_COLUMNS = "id, doc, created, last_modified, version"
_LIVE = f"SELECT {_COLUMNS} FROM users"
_DEAD = "SELECT id, user_name, deleted, doc FROM users"
#: What an update rewrites (:func:`store.sql_audit.rewritten`).
_ROW = ("users", "user_name user_name_key external_id active", "id")
_INSERT = (
    "INSERT INTO users(tenant_id, id, user_name, user_name_key, external_id, active, doc,"
    " doc_fold, created, last_modified, version)"
)


def create(
    d: Dialect, tenant_id: int, doc: dict[str, Any], actor: Actor, now: str
) -> Script[UserRecord]:
    user_id = new_id()
    name, key, *rest = _columns(d, doc, exact=True)
    rule = "SELECT user_name_case_exact FROM tenants WHERE id = ?" + (
        " FOR KEY SHARE" if d.locks else ""
    )
    # The tenant's userName rule read by the insert itself (one statement),
    # its row held against a switch where rows lock; no such tenant: its
    # foreign key refuses the row, as ever.
    insert = (
        f"{_INSERT} VALUES (?, ?, ?, CASE WHEN ({rule}) THEN ? ELSE ? END,"
        f" ?, ?, {d.json_in}, {d.json_in}, ?, ?, 1)"
    )
    params = (tenant_id, user_id, name, tenant_id, key, user_name_key(name, False), *rest, now)
    named = changed(None, doc)
    try:
        if d.log_numbers:  # PostgreSQL: the row and its audit line in one statement
            source = f"{insert} ON CONFLICT DO NOTHING RETURNING id"
            line = audit.Line(tenant_id, actor, "create", USER_TYPE, user_id, named, now)
            stmt = audit.with_line(source, (*params, now), line)
            if not (yield alone(*stmt)):  # a live user of the tenant has the name
                raise taken(doc)
            return UserRecord(user_id, doc, now, now, 1)
        yield run(insert, (*params, now))
    except Violation as refused:
        raise meaning(refused, unique=taken(doc)) from None
    yield from audit.record(d, tenant_id, actor, "create", USER_TYPE, user_id, named, at=now)
    return UserRecord(user_id, doc, now, now, 1)


#: A live user by id (a point read of one row: ``Store._one``).
BY_ID = f"{_LIVE} WHERE tenant_id = ? AND id = ? AND deleted IS NULL"


def get(d: Dialect, tenant_id: int, user_id: str, *, lock: bool = False) -> Script[UserRecord]:
    row = yield one(BY_ID + d.for_update() if lock else BY_ID, (tenant_id, user_id))
    return live(d, row, user_id)


def live(d: Dialect, row: tuple[Any, ...] | None, user_id: str) -> UserRecord:
    """The user of a :data:`BY_ID` row; :class:`NotFound` without one."""
    if row is None:
        raise NotFound(f"User {user_id} not found")
    return UserRecord(row[0], d.json_out(row[1]), row[2], row[3], row[4])


def update(
    d: Dialect,
    tenant_id: int,
    user_id: str,
    change: Callable[[UserRecord], dict[str, Any]],
    if_match: str | None,
    operation: str,
    actor: Actor,
    clock: Callable[[], str],
) -> Script[UserRecord]:
    # The tenant's row before the user's: the order a userName switch takes
    # them in (store.sql_extensions), so neither waits on the other; both
    # reads sent at once.
    tenant, row = yield together(
        extensions.exact_statement(d, tenant_id),
        one(BY_ID + d.for_update(), (tenant_id, user_id)),
    )
    exact = extensions.exact_of(tenant)
    current = live(d, row, user_id)
    check_version(if_match, current.version)
    doc = change(current)
    if doc == current.doc:
        # Nothing changed: no write, same version (RFC 7644 §3.14; Entra
        # re-sends unchanged PATCHes every cycle).
        return current
    now, version = clock(), current.version + 1
    columns = _columns(d, doc, exact)
    # A key the row keeps cannot break the unique index: the row is locked
    # and found, so the update needs no answer and goes with the commit.
    kept = columns[1] == user_name_key(str(current.doc["userName"]), exact)
    line = audit.Line(
        tenant_id, actor, operation, USER_TYPE, user_id, changed(current.doc, doc), now
    )
    params = (*columns, now, version, tenant_id, user_id)
    yield from audit.rewritten(d, kept, _ROW, params, line, taken(doc))
    return UserRecord(user_id, doc, current.created, now, version)


def delete(
    d: Dialect, tenant_id: int, user_id: str, if_match: str | None, actor: Actor, now: str
) -> Script[None]:
    current = yield from get(d, tenant_id, user_id, lock=True)
    check_version(if_match, current.version)
    yield run(
        "UPDATE users SET deleted = ? WHERE tenant_id = ? AND id = ?", (now, tenant_id, user_id)
    )
    yield from members.drop_resource(d, tenant_id, user_id, USER_TYPE, now)
    yield from audit.record(d, tenant_id, actor, "delete", USER_TYPE, user_id, at=now)


def listed(d: Dialect, tenant_id: int, query: ListQuery) -> Script[tuple[int, list[UserRecord]]]:
    """``(totalResults, page)``, each record with its keyset ``position``."""
    total, found, at = yield from page(d, "users", _COLUMNS, USER, tenant_id, query)
    loads = d.json_out
    records = [
        UserRecord(r[0], loads(r[1]), r[2], r[3], r[4], p) for r, p in zip(found, at, strict=True)
    ]
    return total, records


class BatchTaken(Conflict):
    """A userName of a batch is taken; :func:`first_taken` names it."""


def batch(
    d: Dialect,
    tenant_id: int,
    docs: list[dict[str, Any]],
    exact: bool,
    now: str,
    given: Sequence[Stamp | None] | None = None,
) -> list[tuple[Any, ...]]:
    """The rows :func:`create_many` inserts (built before the write, where
    a long batch holds no lock); a userName repeated in the batch is refused
    here. ``given``: per document, the id, ``created``, ``lastModified``
    and version to keep (a snapshot put back: docs/mock.md), else new ones."""
    check_batch(docs, exact)
    rows = []
    for doc, stamp in zip(docs, given or [None] * len(docs), strict=True):
        user_id, created, modified, version = stamped(stamp, now)
        rows.append((tenant_id, user_id, *_columns(d, doc, exact), created, modified, version))
    return rows


def create_many(
    d: Dialect,
    tenant_id: int,
    docs: list[dict[str, Any]],
    built: tuple[bool, list[tuple[Any, ...]]],
    actor: Actor,
    now: str,
    given: Sequence[Stamp | None] | None = None,
) -> Script[int]:
    """The rows of :func:`batch` (built for a userName choice, rebuilt if
    the tenant switched meanwhile) in one statement, and their audit lines
    in one more. :class:`BatchTaken` if a live user has one of the names,
    or any user of the tenant one of the ids."""
    exact, new = built
    if (yield from extensions.case_exact(d, tenant_id)) != exact:
        new = batch(d, tenant_id, docs, not exact, now, given)
    try:
        if d.array_params:
            yield run(
                f"{_INSERT} SELECT ?, r.* FROM unnest(?::text[], ?::text[], ?::text[],"
                " ?::text[], ?::boolean[], ?::jsonb[], ?::jsonb[], ?::text[], ?::text[],"
                " ?::integer[]) AS r(id, user_name, user_name_key, external_id, active, doc,"
                " doc_fold, created, last_modified, version)",
                (tenant_id, *(list(c) for c in zip(*(r[1:] for r in new), strict=True))),
            )
        else:
            yield many(f"{_INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new)
    except Violation as refused:
        raise meaning(
            refused, unique=BatchTaken("a userName or id of the batch is already taken")
        ) from None
    creates = [(row[1], changed(None, doc)) for row, doc in zip(new, docs, strict=True)]
    yield from audit.record_many(d, tenant_id, actor, "create", USER_TYPE, creates, at=now)
    return len(new)


def first_taken(
    d: Dialect, tenant_id: int, docs: list[dict[str, Any]], exact: bool
) -> Script[dict[str, Any] | None]:
    """The first document whose ``userName`` a live user already has."""
    for start in range(0, len(docs), 500):
        chunk = docs[start : start + 500]
        keys = [user_name_key(str(doc["userName"]), exact) for doc in chunk]
        found = yield rows(
            "SELECT user_name_key FROM users WHERE tenant_id = ? AND deleted IS NULL"
            f" AND user_name_key IN ({', '.join('?' * len(keys))})",
            [tenant_id, *keys],
        )
        held = {r[0] for r in found}
        for doc, key in zip(chunk, keys, strict=True):
            if key in held:
                return doc
    return None


# --- tombstones -------------------------------------------------------
def tombstones(d: Dialect, tenant_id: int) -> Script[list[Tombstone]]:
    found = yield rows(
        f"{_DEAD} WHERE tenant_id = ? AND deleted IS NOT NULL ORDER BY deleted, seq", (tenant_id,)
    )
    return [Tombstone(r[0], r[1], r[2], d.json_out(r[3])) for r in found]


def restore(d: Dialect, tenant_id: int, user_id: str, actor: Actor, now: str) -> Script[UserRecord]:
    """Group memberships ended at delete time and are not restored."""
    yield from extensions.case_exact(d, tenant_id)  # a userName switch waits, or goes first
    row = yield one(
        f"{_LIVE} WHERE tenant_id = ? AND id = ? AND deleted IS NOT NULL{d.for_update()}",
        (tenant_id, user_id),
    )
    if row is None:
        raise NotFound(f"No deleted User {user_id} in this tenant")
    doc, version = d.json_out(row[1]), int(row[4]) + 1
    try:
        yield run(
            "UPDATE users SET deleted = NULL, last_modified = ?, version = ?"
            " WHERE tenant_id = ? AND id = ?",
            (now, version, tenant_id, user_id),
        )
    except Violation as refused:
        raise meaning(
            refused,
            unique=Conflict(
                f"userName {doc['userName']!r} has been taken by another user"
                " since this one was deleted"
            ),
        ) from None
    yield from audit.record(d, tenant_id, actor, "restore", USER_TYPE, user_id, at=now)
    return UserRecord(row[0], doc, row[2], now, version)


def dead_before(d: Dialect, tenant_id: int, before: str) -> Script[list[str]]:
    """The ids of the tombstones deleted before ``before``, oldest first."""
    found = yield rows(
        "SELECT id FROM users WHERE tenant_id = ? AND deleted IS NOT NULL AND deleted < ?"
        " ORDER BY deleted, seq",
        (tenant_id, before),
    )
    return [r[0] for r in found]


def purge(d: Dialect, tenant_id: int, ids: list[str], actor: Actor, now: str) -> Script[list[str]]:
    """DELETE these tombstones (live users are left alone); the ids purged."""
    purged: list[str] = []
    for user_id in ids:
        if (
            yield run(
                "DELETE FROM users WHERE tenant_id = ? AND id = ? AND deleted IS NOT NULL",
                (tenant_id, user_id),
            )
        ):
            purged.append(user_id)
    gone = [(user_id, ()) for user_id in purged]
    yield from audit.record_many(d, tenant_id, actor, "purge", USER_TYPE, gone, at=now)
    return purged


def lookup(
    d: Dialect, tenant_id: int, user_id: str | None, user_name: str | None
) -> Script[UserRecord | Tombstone | None]:
    """A user by id or by ``userName``, tombstones included: the live
    user, else its tombstone (by name: the most recently deleted), else ``None``."""
    if user_name is None:
        column, value = "id", user_id
    else:
        exact = yield from extensions.case_exact(d, tenant_id, lock=False)
        column, value = "user_name_key", user_name_key(str(user_name), exact)
    live = yield one(
        f"{_LIVE} WHERE tenant_id = ? AND {column} = ? AND deleted IS NULL", (tenant_id, value)
    )
    if live is not None:
        return UserRecord(live[0], d.json_out(live[1]), live[2], live[3], live[4])
    dead = yield one(
        f"{_DEAD} WHERE tenant_id = ? AND deleted IS NOT NULL AND {column} = ?"
        " ORDER BY deleted DESC, seq DESC LIMIT 1",
        (tenant_id, value),
    )
    return None if dead is None else Tombstone(dead[0], dead[1], dead[2], d.json_out(dead[3]))


def _columns(
    d: Dialect, doc: dict[str, Any], exact: bool
) -> tuple[str, str, str | None, object, str, str]:
    """The indexed columns derived from a user document (the userName's
    key as the tenant compares it: ``exact``, store.tenant_schema), then
    the document and its folded form (store.sqlfold: what filters and
    sorts compare), as JSON text."""
    user_name = str(doc["userName"])
    active = doc.get("active")
    external_id = doc.get("externalId")
    return (
        user_name,
        user_name_key(user_name, exact),
        None if external_id is None else str(external_id),
        None if active is None else d.booleans[bool(active)],
        orjson.dumps(doc).decode(),
        folded_json(doc, USER),
    )


def taken(doc: dict[str, Any]) -> Conflict:
    return Conflict(f"userName {doc['userName']!r} is already taken in this tenant")
