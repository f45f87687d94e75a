"""What a tenant's resource types are built from, written once for every
backend as transaction scripts (store.sqlscript): its extension schemas
(core.extensions, RFC 7643 §7; the ``schema_extensions`` table, one row
per tenant and case-folded URN) and whether its userNames are case-exact
(store.tenant_schema). Removing an extension deletes its row only: the
values users and groups hold under its URN stay in their documents. Every
change moves the tenant's ``schema_tag`` in the same transaction
(handlers.extensions keeps built types by it).

A user write reads the tenant's choice with :func:`case_exact`: in
PostgreSQL ``FOR KEY SHARE`` on the tenant's row, which the switch's ``FOR
UPDATE`` waits for; in SQLite inside the one writer's transaction. Either
way no write keys a userName by a choice the switch has already replaced.
"""

from __future__ import annotations

from typing import Any

import orjson

from scimdock.store import sql_audit as audit
from scimdock.store import sql_tenants as tenants
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.records import Actor, SchemaExtension, Tenant, TenantSchema
from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script, Stmt, Violation, many, meaning, one, rows, run
from scimdock.store.tenant_schema import COLUMNS, SCHEMA_OF, extension, rekeyed, schema_of

SCHEMA, TENANT = "Schema", "Tenant"
_BUMP = "UPDATE tenants SET schema_tag = schema_tag + 1 WHERE id = ?"


def add(
    d: Dialect,
    tenant_id: int,
    urn: str,
    resource_type: str,
    definition: dict[str, Any],
    required: bool,
    actor: Actor,
    now: str,
) -> Script[SchemaExtension]:
    try:
        yield run(
            f"INSERT INTO schema_extensions(tenant_id, urn_fold, {COLUMNS})"
            f" VALUES (?, ?, ?, ?, ?, {d.json_in}, ?)",
            (
                tenant_id,
                urn.lower(),
                urn,
                resource_type,
                d.booleans[required],
                orjson.dumps(definition).decode(),
                now,
            ),
        )
    except Violation as refused:
        raise meaning(
            refused, unique=Conflict(f"extension {urn!r} is already registered")
        ) from None
    yield run(_BUMP, (tenant_id,))
    yield from audit.record(d, tenant_id, actor, "create", SCHEMA, urn, at=now)
    return SchemaExtension(urn, resource_type, required, definition, now)


def listed(d: Dialect, tenant_id: int) -> Script[list[SchemaExtension]]:
    found = yield rows(
        f"SELECT {COLUMNS} FROM schema_extensions WHERE tenant_id = ? ORDER BY seq", (tenant_id,)
    )
    return [extension(r) for r in found]


def schema(d: Dialect, tenant_id: int) -> Script[TenantSchema]:
    """The tag, the userName choice and the extensions, in one statement."""
    return schema_of(tenant_id, (yield rows(SCHEMA_OF.format(mark="?"), (tenant_id,))))


_CASE_EXACT = "SELECT user_name_case_exact FROM tenants WHERE id = ?"


def case_exact(d: Dialect, tenant_id: int, *, lock: bool = True) -> Script[bool]:
    """Whether the tenant keys userNames as given (store.tenant_schema);
    ``lock``: holding its row against a switch to the end of the write
    (a read-only transaction cannot)."""
    return exact_of((yield exact_statement(d, tenant_id, lock=lock)))


def exact_statement(d: Dialect, tenant_id: int, *, lock: bool = True) -> Stmt:
    """The statement of :func:`case_exact`, for a script that yields it itself."""
    return one(_CASE_EXACT + " FOR KEY SHARE" if lock and d.locks else _CASE_EXACT, (tenant_id,))


def exact_of(row: tuple[Any, ...] | None) -> bool:
    """The answer of :func:`exact_statement`'s row."""
    return bool(row and row[0])


def set_case_exact(
    d: Dialect, tenant_id: int, exact: bool, actor: Actor, now: str
) -> Script[Tenant]:
    """Re-key every user of the tenant (live and tombstoned) by the new choice."""
    tenant = yield from tenants.where(d, "id", tenant_id, lock=True)
    if tenant is None:
        raise NotFound(f"no tenant with id {tenant_id}")
    if tenant.user_name_case_exact == exact:
        return tenant
    users = yield rows(
        "SELECT id, user_name, deleted IS NULL FROM users WHERE tenant_id = ? ORDER BY seq",
        (tenant_id,),
    )
    keys = rekeyed(((r[0], r[1], bool(r[2])) for r in users), exact)
    # Two passes: a key may move to one another user held a moment ago,
    # and the unique index checks each row at once.
    yield run(
        f"UPDATE users SET user_name_key = {d.char}(1) || id WHERE tenant_id = ?", (tenant_id,)
    )
    if d.array_params:
        yield run(
            "UPDATE users u SET user_name_key = r.key FROM unnest(?::text[], ?::text[])"
            " AS r(key, id) WHERE u.tenant_id = ? AND u.id = r.id",
            ([k for k, _ in keys], [i for _, i in keys], tenant_id),
        )
    else:
        yield many(
            "UPDATE users SET user_name_key = ? WHERE tenant_id = ? AND id = ?",
            [(key, tenant_id, user_id) for key, user_id in keys],
        )
    yield run(
        "UPDATE tenants SET user_name_case_exact = ?, schema_tag = schema_tag + 1 WHERE id = ?",
        (d.booleans[exact], tenant_id),
    )
    named = ["userNameCaseExact"]
    yield from audit.record(d, tenant_id, actor, "replace", TENANT, tenant.name, named, at=now)
    found = yield from tenants.where(d, "id", tenant_id)
    assert found is not None  # locked above
    return found


def remove(d: Dialect, tenant_id: int, urn: str, actor: Actor, now: str) -> Script[SchemaExtension]:
    row = yield one(
        f"DELETE FROM schema_extensions WHERE tenant_id = ? AND urn_fold = ? RETURNING {COLUMNS}",
        (tenant_id, urn.lower()),
    )
    if row is None:
        raise NotFound(f"no extension {urn!r} in this tenant")
    found = extension(row)
    yield run(_BUMP, (tenant_id,))
    yield from audit.record(d, tenant_id, actor, "delete", SCHEMA, found.urn, at=now)
    return found
