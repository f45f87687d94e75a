"""SCIM keys (the ``api_keys`` table), written once for every backend as
transaction scripts (store.sqlscript).

A key is a key id and the SHA-256 of its secret (core.credentials). A
rotation replaces the hash; with a grace period the old hash stays in
``previous_hash`` until ``previous_valid_until``. Each change appends its
audit line (store.sql_audit) in the same transaction; a change that
changes nothing (revoking a revoked key, a label set to itself) writes and
records nothing. A change locks the key's row first where the backend
locks rows (PostgreSQL; SQLite's one writer holds the whole file).

Authentication (``get_key(..., last_use=False)``, once per SCIM request)
keeps the rows it read in a :class:`KeyCache` until the ``key_epoch`` row
moves: triggers bump it on every change to a key or a tenant, by anyone
(this process, the command line, another server process or instance;
SQLite's migration 5, PostgreSQL's step 5), so a revocation, an expiry or
a tenant's SCIM switched off takes effect from the next request on. The
epoch is read before the row, so a row is never older than the epoch it is
remembered under. One query per request, whatever happened meanwhile
(``PRAGMA data_version`` is no cheaper, and under writes it moves on
nearly every request; docs/performance.md#write-path).

A key's last use is kept in memory (store.key_use) and written in batches
by :func:`record_uses`, only forward in time (``last_used < new``,
re-checked on the newest row version when two writers write the same key
at once), so it never goes backwards.
"""

from __future__ import annotations

from typing import Any

from scimdock.store import sql_audit as audit
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.key_use import KeyUses
from scimdock.store.records import Actor, ApiKey
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script, Violation, many, meaning, one, rows, run

_SELECT = """
    SELECT k.key_id, k.tenant_id, t.name, t.scim_enabled, k.secret_hash, k.label,
           k.created, k.expires, k.revoked, k.last_used, k.last_used_from,
           k.previous_hash, k.previous_valid_until, t.schema_tag
    FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
"""
_BY_ID = _SELECT + " WHERE k.key_id = ?"
BY_ID = _BY_ID  #: a key's row by its id (``Store._one``)
EPOCH = "SELECT n FROM key_epoch"  #: the epoch of the remembered rows
_WHERE_KEY = " WHERE tenant_id = ? AND key_id = ?"
KEY = "ApiKey"
#: Most key rows remembered between changes (found keys only).
CACHED_KEYS = 1024


class KeyCache:
    """Key rows authentication read, valid while ``key_epoch`` stands still."""

    def __init__(self) -> None:
        self.rows: dict[str, ApiKey] = {}
        self.epoch = -1

    def at(self, epoch: int) -> dict[str, ApiKey]:
        """The rows, emptied first if the epoch has moved (or they are too many)."""
        if epoch != self.epoch or len(self.rows) >= CACHED_KEYS:
            self.epoch = epoch
            self.rows.clear()
        return self.rows


def get(d: Dialect, key_id: str) -> Script[ApiKey | None]:
    row = yield one(_BY_ID, (key_id,))
    return None if row is None else key_of(row)


def listed(d: Dialect, tenant_id: int) -> Script[list[ApiKey]]:
    found = yield rows(
        _SELECT + " WHERE k.tenant_id = ? ORDER BY k.created, k.key_id", (tenant_id,)
    )
    return [key_of(r) for r in found]


def add(
    d: Dialect,
    tenant_id: int,
    key_id: str,
    secret_hash: bytes,
    label: str,
    until: str | None,
    actor: Actor,
    now: str,
) -> Script[ApiKey]:
    yield from insert_credential(
        "INSERT INTO api_keys(tenant_id, key_id, secret_hash, label, created, expires)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (tenant_id, key_id, secret_hash, label, now, until),
        f"key {key_id!r}",
        tenant_id,
    )
    named = ["secret", *(["label"] if label else []), *(["expires"] if until else [])]
    yield from audit.record(d, tenant_id, actor, "create", KEY, key_id, named, at=now)
    return (yield from _existing(d, key_id))


def revoke(d: Dialect, key_id: str, actor: Actor, now: str) -> Script[ApiKey]:
    key = yield from _existing(d, key_id, lock=True)
    if key.revoked is not None:
        return key
    yield run(
        "UPDATE api_keys SET revoked = ?, previous_hash = NULL, previous_valid_until = NULL"
        + _WHERE_KEY,
        (now, key.tenant_id, key_id),
    )
    yield from audit.record(d, key.tenant_id, actor, "revoke", KEY, key_id, ["revoked"], at=now)
    return (yield from _existing(d, key_id))


def update(
    d: Dialect,
    key_id: str,
    label: str | None,
    until: str | None,
    clear_expiry: bool,
    actor: Actor,
    now: str,
) -> Script[ApiKey]:
    key = yield from _existing(d, key_id, lock=True)
    new_label = key.label if label is None else label
    new_expires = None if clear_expiry else (key.expires if until is None else until)
    named = [
        name
        for name, old, new in (
            ("label", key.label, new_label),
            ("expires", key.expires, new_expires),
        )
        if old != new
    ]
    if not named:
        return key
    yield run(
        "UPDATE api_keys SET label = ?, expires = ?" + _WHERE_KEY,
        (new_label, new_expires, key.tenant_id, key_id),
    )
    yield from audit.record(d, key.tenant_id, actor, "update", KEY, key_id, named, at=now)
    return (yield from _existing(d, key_id))


def rotate(
    d: Dialect, key_id: str, secret_hash: bytes, until: str | None, actor: Actor, now: str
) -> Script[ApiKey]:
    """:class:`Conflict` for a revoked key: a revocation is final."""
    key = yield from _existing(d, key_id, lock=True)
    if key.revoked is not None:
        raise Conflict(f"key {key_id!r} is revoked: create a new key instead")
    previous = key.secret_hash if until is not None and until > now else None
    yield run(
        "UPDATE api_keys SET secret_hash = ?, previous_hash = ?, previous_valid_until = ?"
        + _WHERE_KEY,
        (secret_hash, previous, until if previous is not None else None, key.tenant_id, key_id),
    )
    named = ["secret", *(["previousValidUntil"] if previous is not None else [])]
    yield from audit.record(d, key.tenant_id, actor, "rotate", KEY, key_id, named, at=now)
    return (yield from _existing(d, key_id))


def record_uses(d: Dialect, uses: dict[str, tuple[str, str | None]]) -> Script[None]:
    """One statement for the batch; an older use never overwrites a newer
    one. Not audited: a use changes nothing the client owns."""
    if not uses:
        return
    if not d.array_params:
        yield many(
            "UPDATE api_keys SET last_used = ?, last_used_from = ?"
            " WHERE key_id = ? AND (last_used IS NULL OR last_used < ?)",
            [(at, address, key_id, at) for key_id, (at, address) in uses.items()],
        )
        return
    yield run(
        "UPDATE api_keys AS k SET last_used = u.at, last_used_from = u.address"
        " FROM unnest(?::text[], ?::text[], ?::text[]) AS u(key_id, at, address)"
        " WHERE k.key_id = u.key_id AND (k.last_used IS NULL OR k.last_used < u.at)",
        (list(uses), [at for at, _ in uses.values()], [address for _, address in uses.values()]),
    )


def flush(d: Dialect, uses: KeyUses) -> Script[None]:
    """Write the uses noted since the last flush; on failure they are kept
    for the next."""
    taken = uses.take()
    try:
        yield from record_uses(d, taken)
    except BaseException:
        uses.restore(taken)
        raise


def insert_credential(
    sql: str, params: tuple[object, ...], what: str, tenant_id: int | None
) -> Script[None]:
    """Insert a credential's row (a key, an admin token): :class:`Conflict`
    if its id is taken, :class:`NotFound` if its tenant is unknown."""
    try:
        yield run(sql, params)
    except Violation as refused:
        raise meaning(
            refused,
            unique=Conflict(f"{what} already exists"),
            foreign=NotFound(f"no tenant with id {tenant_id}"),
        ) from None


def _existing(d: Dialect, key_id: str, *, lock: bool = False) -> Script[ApiKey]:
    row = yield one(_BY_ID + (d.for_update("k") if lock else ""), (key_id,))
    if row is None:
        raise NotFound(f"no key {key_id!r}")
    return key_of(row)


def key_of(row: tuple[Any, ...]) -> ApiKey:
    return ApiKey(
        row[0],
        int(row[1]),
        row[2],
        bool(row[3]),
        bytes(row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        None if row[11] is None else bytes(row[11]),
        row[12],
        int(row[13]),
    )
