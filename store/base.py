"""The storage interface the HTTP layer and the CLI program against.

Every method that reads or writes the database is awaited: a backend keeps
the event loop free while it works (SQLite on reader threads and one commit
thread, PostgreSQL on its own connections), and no tenant's query holds up
another's. Every resource method takes the tenant id first: there is no
call that can reach another tenant's rows. What the client caused comes out
as a domain error of :mod:`scimdock.store.errors` (not found, conflict,
precondition failed, invalid reference, a filter or sort refused, over
budget); the HTTP edge turns each into its SCIM Error. An acknowledged
write is durable: a method that changes something returns only once the
change is committed to disk.

:class:`Store` implements every method once, for every backend: each
operation is a transaction script (store.sqlscript, ``store/sql_*.py``)
written with the backend's :class:`~scimdock.store.sqldialect.Dialect`,
handed to one of the runners a backend provides (store.runners). A backend
is its connections, where each runner runs, and a driver.

The SCIM resources are reached through operations generic over the
resource type, named as RFC 7643 §6 names it (``"User"``, ``"Group"``):
:meth:`Store.create`, :meth:`Store.get`, :meth:`Store.search`,
:meth:`Store.update` (PUT and PATCH: read, change, write back),
:meth:`Store.delete`, and :meth:`Store.user_groups` for the membership a
User derives (RFC 7643 §4.1.2). The administrative operations (tenants,
keys, tokens, extensions, tombstones, audit) are in store.administration.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from scimdock.core.membership import Member
from scimdock.core.query import ListQuery
from scimdock.store import sql_extensions as extensions
from scimdock.store import sql_groups as groups
from scimdock.store import sql_members as members
from scimdock.store import sql_users as users
from scimdock.store.administration import Administration
from scimdock.store.records import (
    CLI_ACTOR,
    OPERATOR_LOG,
    QUERY_BUDGET,
    Actor,
    AdminToken,
    ApiKey,
    AuditEntry,
    GroupRecord,
    MemberRecord,
    Membership,
    SchemaExtension,
    Stamp,
    Tenant,
    TenantSchema,
    Tombstone,
    UserRecord,
)
from scimdock.store.sqlscript import Script

__all__ = [
    "Actor",
    "AdminToken",
    "ApiKey",
    "AuditEntry",
    "CLI_ACTOR",
    "GROUP",
    "GroupRecord",
    "MemberRecord",
    "Membership",
    "OPERATOR_LOG",
    "QUERY_BUDGET",
    "Resource",
    "SchemaExtension",
    "Store",
    "Tenant",
    "TenantSchema",
    "Tombstone",
    "USER",
    "UserRecord",
]

#: The resource types the store keeps, by their RFC 7643 §6 names.
USER, GROUP = users.USER_TYPE, groups.GROUP_TYPE
#: A stored resource: a :class:`UserRecord` or a :class:`GroupRecord`.
Resource = UserRecord | GroupRecord


class Store(Administration):
    """Tenants, credentials, users and groups.

    Every method that changes something takes the ``actor`` who asked and
    appends one :class:`AuditEntry` (operation, resource, names of the
    attributes changed) in the same transaction as the change: a change is
    never acknowledged without its audit line, and a write that changes
    nothing records nothing. ``operation`` names what the client did
    (``create``, ``replace``, ``patch``, ``delete``, ...).

    Every timestamp a store writes (``meta.created``, ``lastModified``, a
    tombstone's ``deleted``, an audit line's ``at``, a key's last use) is
    read from its :attr:`clock`, given at construction; the handlers
    compare expiries and grace periods against the same clock.

    A Group's members are rows beside the group, never part of ``doc``.
    Member ids are matched case-folded (core.membership); every member must
    be a live user or group of the same tenant, else
    :class:`~scimdock.store.errors.InvalidReference` and nothing is
    written. Deleting a user or a group removes its memberships.
    ``with_members``: whether a Group's members are read (a User has none;
    ``members`` of a User is refused).
    """

    # --- the resources (store.sql_users, store.sql_groups, store.sql_members)
    async def create(
        self,
        tenant_id: int,
        type_name: str,
        doc: dict[str, Any],
        members: tuple[Member, ...] = (),
        *,
        with_members: bool = False,
        actor: Actor = CLI_ACTOR,
        given: Stamp | None = None,
    ) -> Resource:
        """A new resource (RFC 7644 §3.3); a ``userName`` or a
        ``displayName`` taken → :class:`~scimdock.store.errors.Conflict`.
        ``given``: a Group's id and ``meta`` to keep (:data:`Stamp`, the
        mock's seeds and snapshots; users keep theirs through
        :meth:`create_users`)."""
        d, now = self.dialect, self._now()
        script: Script[Resource]
        if _type(type_name, members) == USER:
            if given is not None:
                raise TypeError("a User's given id and meta go through create_users")
            script = users.create(d, tenant_id, doc, actor, now)
        else:
            script = groups.create(d, tenant_id, doc, members, with_members, actor, now, given)
        return await self._change(script)

    async def get(
        self, tenant_id: int, type_name: str, id: str, *, with_members: bool = False
    ) -> Resource:
        """A live resource; :class:`~scimdock.store.errors.NotFound` else."""
        if _type(type_name) == USER:
            return users.live(self.dialect, await self._one(users.BY_ID, (tenant_id, id)), id)
        script = groups.get(self.dialect, tenant_id, id, with_members)
        # Members may be many: a scan; the group alone is a point read.
        return await (self._scan(script, budget=False) if with_members else self._point(script))

    async def search(
        self, tenant_id: int, type_name: str, query: ListQuery, *, with_members: bool = False
    ) -> tuple[int, list[Any]]:
        """``(totalResults, page)`` for a query: ``query.count`` rows from
        ``query.offset``, or with ``query.keyset`` the rows after
        ``query.after``, each with its ``position``. ``totalResults``
        counts every match of the filter, whatever the page. A Group's
        members are read for the whole page at once. The records are those
        of the type (:data:`Resource`)."""
        if _type(type_name) == USER:
            return await self._scan(users.listed(self.dialect, tenant_id, query))
        return await self._scan(groups.listed(self.dialect, tenant_id, query, with_members))

    async def update(
        self,
        tenant_id: int,
        type_name: str,
        id: str,
        change: Callable[[Any], Any],
        if_match: str | None = None,
        *,
        with_members: bool = False,
        operation: str = "replace",
        actor: Actor = CLI_ACTOR,
    ) -> Resource:
        """Read, ``change`` and write back in one transaction (PUT and PATCH).

        ``change`` gets the current record (a Group's without members) and
        returns the new document (a Group: a
        :class:`~scimdock.core.membership.GroupChange`, its document and its
        membership actions, applied in order), or raises (a
        :class:`~scimdock.core.errors.ScimError` of the core) to abort with
        nothing written. ``if_match`` is the request's If-Match header (RFC
        7644 §3.14): stale → :class:`~scimdock.store.errors.PreconditionFailed`.
        A change that changes nothing keeps the version and writes nothing."""
        d, now = self.dialect, self._now
        script: Script[Resource]
        if _type(type_name) == USER:
            script = users.update(d, tenant_id, id, change, if_match, operation, actor, now)
        else:
            script = groups.update(
                d, tenant_id, id, change, if_match, with_members, operation, actor, now
            )
        return await self._change(script)

    async def delete(
        self,
        tenant_id: int,
        type_name: str,
        id: str,
        *,
        actor: Actor = CLI_ACTOR,
        if_match: str | None = None,
    ) -> None:
        """Hide the resource from SCIM (:class:`~scimdock.store.errors.NotFound`
        from now on) but keep its row (a tombstone); its memberships end,
        both ways."""
        rows = users if _type(type_name) == USER else groups
        await self._change(rows.delete(self.dialect, tenant_id, id, if_match, actor, self._now()))

    async def create_users(
        self,
        tenant_id: int,
        docs: list[dict[str, Any]],
        *,
        actor: Actor = CLI_ACTOR,
        given: Sequence[Stamp | None] | None = None,
    ) -> int:
        """Create many users at once (seeding, benchmarks); return how many.

        Each document is what :meth:`create` takes for a User (already
        normalised by :func:`core.resource.normalize_resource`); ``given``,
        one per document, the id and ``meta`` to keep (:data:`Stamp`). All
        or nothing, in one transaction: a ``userName`` taken in the tenant
        or repeated in the batch raises the same :class:`Conflict` as
        :meth:`create`, an id the tenant holds a :class:`Conflict`, and
        nothing is written.
        """
        if not docs:
            return 0
        d, now = self.dialect, self._now()
        # Read whatever the query budget (store.runners): a bulk write's own read.
        exact = await self._scan(extensions.case_exact(d, tenant_id, lock=False), budget=False)
        built = exact, users.batch(d, tenant_id, docs, exact, now, given)  # before the write
        script = users.create_many(d, tenant_id, docs, built, actor, now, given)
        try:
            return await self._admin(script)
        except users.BatchTaken:
            taken = await self._point(users.first_taken(d, tenant_id, docs, exact))
            if taken is None:
                raise
            raise users.taken(taken) from None

    async def user_groups(self, tenant_id: int, user_ids: list[str]) -> dict[str, list[Membership]]:
        """The groups each user is in, directly or through nested groups,
        for a page of users at once (RFC 7643 §4.1.2)."""
        if len(user_ids) != 1:
            return await self._scan(members.user_groups(self.dialect, tenant_id, user_ids))
        # One user's groups (a GET by id) is a point read: its own rows of
        # the membership index, not a scan a client's filter can widen. Its
        # direct groups first, in one statement: most users stop there.
        sql, params = members.direct_groups(self.dialect, tenant_id, user_ids)
        direct = await self._rows(sql, params)
        if not direct:
            return {user_ids[0]: []}
        return await self._point(members.user_groups(self.dialect, tenant_id, user_ids, direct))

    @abstractmethod
    async def ready(self) -> bool:
        """Whether the database answers a query now and its schema is the
        latest this code knows (a readiness probe: ``/readyz``). False,
        never an exception, when the database cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...


def _type(type_name: str, members: tuple[Member, ...] = ()) -> str:
    """:data:`USER` or :data:`GROUP`, as the store keeps them; ``ValueError``
    for another name, and for members given to a User."""
    if type_name == USER and not members:
        return USER
    if type_name == GROUP:
        return GROUP
    raise ValueError(
        f"no {type_name} resources here" if type_name != USER else "a User has no members"
    )
