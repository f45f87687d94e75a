"""The administrative operations of :class:`~scimdock.store.base.Store`:
tenants, API keys, admin tokens, schema extensions, tombstones and purge,
the sign-in lookup and the audit log (docs/admin.md), each a transaction
script (``store/sql_*.py``) handed to one of the runners of
:class:`~scimdock.store.runners.Runners`.

Every method that changes something takes the ``actor`` who asked and
appends one audit line in the same transaction (store.sql_audit).
"""

from __future__ import annotations

from typing import Any

from scimdock.core.clock import parse
from scimdock.store import sql_audit
from scimdock.store import sql_extensions as extensions
from scimdock.store import sql_keys as keys
from scimdock.store import sql_tenants as tenants
from scimdock.store import sql_users as users
from scimdock.store.errors import NotFound
from scimdock.store.records import (
    CLI_ACTOR,
    Actor,
    AdminToken,
    ApiKey,
    AuditEntry,
    SchemaExtension,
    Tenant,
    TenantSchema,
    Tombstone,
    UserRecord,
)
from scimdock.store.runners import Runners


class Administration(Runners):
    """Everything but the SCIM resources themselves (store.base)."""

    # --- tenants (store.sql_tenants) ---------------------------------
    async def create_tenant(self, name: str, *, actor: Actor = CLI_ACTOR) -> Tenant:
        return await self._admin(tenants.create(self.dialect, name, actor, self._now()))

    async def get_tenant(self, name: str) -> Tenant | None:
        return await self._point(tenants.where(self.dialect, "name", name))

    async def list_tenants(self) -> list[Tenant]:
        return await self._scan(tenants.listed(self.dialect), budget=False)

    async def set_scim_enabled(
        self, name: str, enabled: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        script = tenants.set_scim_enabled(self.dialect, name, enabled, actor, self._now())
        return await self._admin(script)

    # --- credentials (store.sql_keys) --------------------------------
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
        until = None if expires is None else parse(expires)
        key = await self._admin(
            keys.add(self.dialect, tenant_id, key_id, secret_hash, label, until, actor, self._now())
        )
        return self._uses.merged(key)

    async def get_key(self, key_id: str, *, last_use: bool = True) -> ApiKey | None:
        """The key, with its last use noted in memory. ``last_use=False``
        (authentication, which never reads the last use): a row that may
        be remembered between requests, whose last use may be behind."""
        cache = None if last_use else self._key_cache
        if cache is None:
            key = await self._point(keys.get(self.dialect, key_id))
            return self._uses.merged(key) if key is not None and last_use else key
        # Once per SCIM request: the epoch (a point read, unless the backend
        # watches it: store.pg_epoch), then the row only when it is not
        # remembered under that epoch (store.sql_keys).
        remembered = cache.at(await self._key_epoch())
        key = remembered.get(key_id)
        if key is None:
            row = await self._one(keys.BY_ID, (key_id,))
            if row is None:
                return None
            key = remembered[key_id] = keys.key_of(row)
        return key

    async def list_keys(self, tenant_id: int) -> list[ApiKey]:
        found = await self._scan(keys.listed(self.dialect, tenant_id), budget=False)
        return [self._uses.merged(key) for key in found]

    async def revoke_key(self, key_id: str, *, actor: Actor = CLI_ACTOR) -> ApiKey:
        key = await self._admin(keys.revoke(self.dialect, key_id, actor, self._now()))
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
        """Change a key's label and/or expiry (ISO 8601 UTC); :class:`NotFound` if unknown."""
        until = None if expires is None else parse(expires)
        script = keys.update(self.dialect, key_id, label, until, clear_expiry, actor, self._now())
        return self._uses.merged(await self._admin(script))

    async def rotate_key(
        self,
        key_id: str,
        secret_hash: bytes,
        grace_until: str | None = None,
        *,
        actor: Actor = CLI_ACTOR,
    ) -> ApiKey:
        """Give the key a new secret. With ``grace_until`` the old secret stays
        valid until then; without, it is refused from the next request on."""
        until = None if grace_until is None else parse(grace_until)
        script = keys.rotate(self.dialect, key_id, secret_hash, until, actor, self._now())
        return self._uses.merged(await self._admin(script))

    async def record_key_use(self, uses: dict[str, tuple[str, str | None]]) -> None:
        """Persist ``key id -> (last used at, from address)`` (batched by the caller)."""
        if uses:
            await self._admin(keys.record_uses(self.dialect, uses))

    def note_key_use(self, key_id: str, address: str | None) -> None:
        """Remember, in memory only, that a key was just used from ``address``.
        :meth:`get_key` and :meth:`list_keys` show it at once; it reaches the
        database at the next :meth:`flush_key_uses` (and at :meth:`close`)."""
        self._uses.note(key_id, self._now(), address)

    async def flush_key_uses(self) -> None:
        """Persist the uses noted since the last flush, in one write."""
        if self._uses.pending:
            await self._change(keys.flush(self.dialect, self._uses))

    # --- admin tokens (store.sql_tenants) ----------------------------
    async def add_admin_token(
        self,
        token_id: str,
        secret_hash: bytes,
        tenant_id: int | None,
        label: str = "",
        *,
        actor: Actor = CLI_ACTOR,
    ) -> AdminToken:
        script = tenants.add_token(
            self.dialect, token_id, secret_hash, tenant_id, label, actor, self._now()
        )
        return await self._admin(script)

    async def get_admin_token(self, token_id: str) -> AdminToken | None:
        return await self._point(tenants.token(self.dialect, token_id))

    async def list_admin_tokens(self, tenant_id: int | None = None) -> list[AdminToken]:
        return await self._scan(tenants.tokens(self.dialect, tenant_id), budget=False)

    async def revoke_admin_token(self, token_id: str, *, actor: Actor = CLI_ACTOR) -> AdminToken:
        return await self._admin(tenants.revoke_token(self.dialect, token_id, actor, self._now()))

    # --- tenants (operator) -------------------------------------------
    async def get_tenant_by_id(self, tenant_id: int) -> Tenant | None:
        return await self._point(tenants.where(self.dialect, "id", tenant_id))

    async def tenant_holds_data(self, tenant_id: int) -> bool:
        """Whether any user or group row (live or tombstoned) belongs to it."""
        return await self._point(tenants.holds_data(self.dialect, tenant_id))

    async def delete_tenant(
        self, name: str, *, force: bool = False, actor: Actor = CLI_ACTOR
    ) -> None:
        """Remove a tenant and its keys; with ``force`` also all its users,
        groups and audit log. Without ``force`` a tenant holding data raises
        :class:`Conflict`. :class:`NotFound` if unknown."""
        await self._admin(tenants.delete(self.dialect, name, force, actor, self._now()))

    async def reset_tenant_data(
        self, tenant_id: int, *, actor: Actor = CLI_ACTOR
    ) -> tuple[int, int]:
        """Remove all the tenant's users (live and tombstoned), groups and
        memberships at once; keep the tenant, its keys, admin tokens and
        audit log, which gets one ``reset`` line (resource type ``Tenant``).
        ``(users, groups)`` removed. :class:`NotFound` if unknown."""
        return await self._admin(tenants.reset(self.dialect, tenant_id, actor, self._now()))

    # --- schema extensions (core.extensions; store.sql_extensions) --
    async def add_schema_extension(
        self,
        tenant_id: int,
        urn: str,
        resource_type: str,
        definition: dict[str, Any],
        *,
        required: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> SchemaExtension:
        """Register an extension; :class:`Conflict` if the tenant has one of
        that URN (case-insensitive). Audited as ``create`` of ``Schema``."""
        script = extensions.add(
            self.dialect, tenant_id, urn, resource_type, definition, required, actor, self._now()
        )
        return await self._admin(script)

    async def list_schema_extensions(self, tenant_id: int) -> list[SchemaExtension]:
        """The tenant's extensions, oldest first."""
        # A point read of a few rows, on every SCIM request.
        return await self._point(extensions.listed(self.dialect, tenant_id))

    async def tenant_schema(self, tenant_id: int) -> TenantSchema:
        """The tag, the userName choice and the extensions, as of one moment.
        :class:`NotFound` for an unknown tenant."""
        # A point read, when a request meets a schema tag it has not built.
        return await self._point(extensions.schema(self.dialect, tenant_id))

    async def set_user_name_case_exact(
        self, tenant_id: int, exact: bool, *, actor: Actor = CLI_ACTOR
    ) -> Tenant:
        """Tell the tenant's userNames apart as given (``exact``) or
        case-folded (RFC 7643 §4.1.1), re-keying every user of the tenant in
        the same transaction. :class:`Conflict`, naming two of them, when
        live users would then share a userName; :class:`NotFound` for an
        unknown tenant. Writes and audits nothing when it is already so."""
        script = extensions.set_case_exact(self.dialect, tenant_id, exact, actor, self._now())
        return await self._admin(script)

    async def remove_schema_extension(
        self, tenant_id: int, urn: str, *, actor: Actor = CLI_ACTOR
    ) -> SchemaExtension:
        """Unregister (case-insensitive URN); the values resources hold under
        it are kept. :class:`NotFound` if unknown. Audited as ``delete``."""
        return await self._admin(
            extensions.remove(self.dialect, tenant_id, urn, actor, self._now())
        )

    # --- tombstones and purge (operator; store.sql_users) ------------
    async def list_tombstones(self, tenant_id: int) -> list[Tombstone]:
        return await self._scan(users.tombstones(self.dialect, tenant_id), budget=False)

    async def restore_user(
        self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR
    ) -> UserRecord:
        """Bring a tombstoned user back with the same id (a new version);
        :class:`NotFound` if there is no such tombstone, :class:`Conflict` if a live user
        took its ``userName`` meanwhile."""
        return await self._admin(
            users.restore(self.dialect, tenant_id, user_id, actor, self._now())
        )

    async def purge_user(self, tenant_id: int, user_id: str, *, actor: Actor = CLI_ACTOR) -> None:
        """Delete a tombstoned user's rows for good; :class:`NotFound` if not a tombstone."""
        if not await self._purge(
            users.purge(self.dialect, tenant_id, [user_id], actor, self._now())
        ):
            raise NotFound(f"No deleted User {user_id} in this tenant")

    async def purge_tombstones(
        self, tenant_id: int, older_than: str, *, actor: Actor = CLI_ACTOR
    ) -> list[str]:
        """Purge every tombstone deleted before ``older_than`` (ISO 8601,
        ``ValueError`` if unreadable); the purged ids."""
        ids = await self._point(users.dead_before(self.dialect, tenant_id, parse(older_than)))
        if not ids:
            return []
        return await self._purge(users.purge(self.dialect, tenant_id, ids, actor, self._now()))

    async def lookup_user(
        self, tenant_id: int, *, user_id: str | None = None, user_name: str | None = None
    ) -> UserRecord | Tombstone | None:
        """A user by id or by ``userName`` (case-insensitive), tombstones
        included: the live user, else its tombstone (by name: the most
        recently deleted), else ``None``. For the sign-in check."""
        if (user_id is None) == (user_name is None):
            raise TypeError("lookup_user needs exactly one of user_id and user_name")
        return await self._point(users.lookup(self.dialect, tenant_id, user_id, user_name))

    # --- audit log (store.sql_audit) ----------------------------------
    async def audit_log(
        self,
        tenant_id: int,
        *,
        offset: int = 0,
        count: int = 100,
        since: str | None = None,
        until: str | None = None,
    ) -> tuple[int, list[AuditEntry]]:
        """``(total, page)`` of the tenant's audit entries, oldest first;
        ``since`` inclusive, ``until`` exclusive (ISO 8601, ``ValueError``
        if unreadable). :data:`OPERATOR_LOG` reads the operator log."""
        start = None if since is None else parse(since)
        end = None if until is None else parse(until)
        script = sql_audit.read(self.dialect, tenant_id, start, end, offset, count)
        return await self._scan(script, budget=False)
