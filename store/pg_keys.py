"""SCIM keys in PostgreSQL (the ``api_keys`` table), as
:mod:`store.sqlite_keys`: a change that changes nothing records nothing;
every change appends its audit line in the same transaction.

Authentication (``get_key(..., last_use=False)``) keeps the rows it read
until the ``key_epoch`` row moves: statement triggers bump it on every
change to a key or a tenant (store/pg_schema.py, step 5), whichever
instance made it, so a key revoked through one instance is refused by
every other on its next request. A key's last use is written by
:meth:`PgKeyTables.record_key_use` only forward in time (``last_used <
new``, re-checked on the newest row version when two instances write the
same key at once), so it never goes backwards.
"""

from __future__ import annotations

from typing import Any

from psycopg import errors

from scimdock.core import clock
from scimdock.store import pg_audit as audit
from scimdock.store.base import CLI_ACTOR, Actor, ApiKey
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.key_use import KeyUses
from scimdock.store.pg_host import Conn, PgHost, every, one

_SELECT = """
    SELECT k.key_id, k.tenant_id, t.name, t.scim_enabled, k.secret_hash, k.label,
           k.created, k.expires, k.revoked, k.last_used, k.last_used_from,
           k.previous_hash, k.previous_valid_until, t.schema_tag
    FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
"""
KEY = "ApiKey"
#: Most key rows remembered between changes (found keys only).
CACHED_KEYS = 1024


class PgKeyTables(PgHost):
    _uses: KeyUses
    _key_cache: dict[str, ApiKey]
    _key_cache_epoch: int

    async def add_key(
        self,
        tenant_id: int,
        key_id: str,
        secret_hash: bytes,
        label: str,
        *,
        expires: str | None = None,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        until = None if expires is None else clock.parse(expires)
        async with self._write() as conn:
            now = self.clock.now()
            try:
                await conn.execute(
                    "INSERT INTO api_keys(tenant_id, key_id, secret_hash, label, created, expires)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    (tenant_id, key_id, secret_hash, label, now, until),
                )
            except errors.UniqueViolation:
                raise Conflict(f"key {key_id!r} already exists") from None
            except errors.ForeignKeyViolation:
                raise NotFound(f"no tenant with id {tenant_id}") from None
            named = ["secret", *(["label"] if label else []), *(["expires"] if until else [])]
            await audit.record(conn, tenant_id, actor, "create", KEY, key_id, named, at=now)
            return await _existing(conn, key_id)

    async def get_key(self, key_id: str, *, last_use: bool = True) -> ApiKey | None:
        async with self._read() as conn:
            cache = None if last_use else await self._current_key_cache(conn)
            key = None if cache is None else cache.get(key_id)
            if key is None:
                row = await one(conn, _SELECT + " WHERE k.key_id = %s", (key_id,))
                if row is None:
                    return None
                key = _key(row)
                if cache is not None:
                    cache[key_id] = key
        return self._uses.merged(key) if last_use else key

    async def _current_key_cache(self, conn: Conn) -> dict[str, ApiKey]:
        """The remembered rows, emptied when ``key_epoch`` has moved. The
        epoch is read before the rows, so a row is never older than the
        epoch it is remembered under."""
        row = await one(conn, "SELECT n FROM key_epoch")
        epoch = int(row[0]) if row else -1
        if epoch != self._key_cache_epoch or len(self._key_cache) >= CACHED_KEYS:
            self._key_cache_epoch = epoch
            self._key_cache.clear()
        return self._key_cache

    async def list_keys(self, tenant_id: int) -> list[ApiKey]:
        async with self._read() as conn:
            rows = await every(
                conn, _SELECT + " WHERE k.tenant_id = %s ORDER BY k.created, k.key_id", (tenant_id,)
            )
        return [self._uses.merged(_key(r)) for r in rows]

    async def revoke_key(self, key_id: str, *, actor: Actor = CLI_ACTOR) -> ApiKey:
        async with self._write() as conn:
            key = await _existing(conn, key_id, lock=True)
            if key.revoked is None:
                now = self.clock.now()
                await conn.execute(
                    "UPDATE api_keys SET revoked = %s, previous_hash = NULL,"
                    " previous_valid_until = NULL WHERE tenant_id = %s AND key_id = %s",
                    (now, key.tenant_id, key_id),
                )
                await audit.record(
                    conn, key.tenant_id, actor, "revoke", KEY, key_id, ["revoked"], at=now
                )
                key = await _existing(conn, key_id)
        return self._uses.merged(key)

    async def update_key(
        self,
        key_id: str,
        *,
        label: str | None = None,
        expires: str | None = None,
        clear_expiry: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        until = None if expires is None else clock.parse(expires)
        async with self._write() as conn:
            key = await _existing(conn, key_id, lock=True)
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
            if named:
                await conn.execute(
                    "UPDATE api_keys SET label = %s, expires = %s"
                    " WHERE tenant_id = %s AND key_id = %s",
                    (new_label, new_expires, key.tenant_id, key_id),
                )
                await audit.record(
                    conn, key.tenant_id, actor, "update", KEY, key_id, named, at=self.clock.now()
                )
                key = await _existing(conn, key_id)
        return self._uses.merged(key)

    async def rotate_key(
        self,
        key_id: str,
        secret_hash: bytes,
        grace_until: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        until = None if grace_until is None else clock.parse(grace_until)
        async with self._write() as conn:
            key = await _existing(conn, key_id, lock=True)
            if key.revoked is not None:
                raise Conflict(f"key {key_id!r} is revoked: create a new key instead")
            now = self.clock.now()
            previous = key.secret_hash if until is not None and until > now else None
            await conn.execute(
                "UPDATE api_keys SET secret_hash = %s, previous_hash = %s,"
                " previous_valid_until = %s WHERE tenant_id = %s AND key_id = %s",
                (
                    secret_hash,
                    previous,
                    until if previous is not None else None,
                    key.tenant_id,
                    key_id,
                ),
            )
            named = ["secret", *(["previousValidUntil"] if previous is not None else [])]
            await audit.record(conn, key.tenant_id, actor, "rotate", KEY, key_id, named, at=now)
            key = await _existing(conn, key_id)
        return self._uses.merged(key)

    async def record_key_use(self, uses: dict[str, tuple[str, str | None]]) -> None:
        """One statement for the batch; an older use never overwrites a
        newer one, whichever instance wrote it. Not audited."""
        if not uses:
            return
        async with self._write() as conn:
            await conn.execute(
                "UPDATE api_keys AS k SET last_used = u.at, last_used_from = u.address"
                " FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(key_id, at, address)"
                " WHERE k.key_id = u.key_id AND (k.last_used IS NULL OR k.last_used < u.at)",
                (
                    list(uses),
                    [at for at, _ in uses.values()],
                    [address for _, address in uses.values()],
                ),
            )

    def note_key_use(self, key_id: str, address: str | None) -> None:
        self._uses.note(key_id, self.clock.now(), address)

    async def flush_key_uses(self) -> None:
        uses = self._uses.take()
        try:
            await self.record_key_use(uses)
        except BaseException:
            self._uses.restore(uses)  # kept for the next flush
            raise


async def _existing(conn: Conn, key_id: str, *, lock: bool = False) -> ApiKey:
    row = await one(
        conn, _SELECT + f" WHERE k.key_id = %s{' FOR UPDATE OF k' if lock else ''}", (key_id,)
    )
    if row is None:
        raise NotFound(f"no key {key_id!r}")
    return _key(row)


def _key(row: tuple[Any, ...]) -> ApiKey:
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
