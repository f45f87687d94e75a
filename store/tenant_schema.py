"""What a tenant's resource types are built from, as both stores read and
change it: its extension schemas (core.extensions) and how its userNames
are told apart.

``users.user_name_key`` is the text each store's unique index compares
(RFC 7643 §4.1.1).

``userName`` is caseExact false in RFC 7643, so by default the key is the
case-folded name (:func:`core.identity.fold`): ``Alice`` and ``alice`` are
one user. A tenant whose behaviour profile makes userName case-exact
(scimdock.mock.rules.profile) keys the name as given, as some service providers do: then
they are two. Pure functions and SQL text shared by both stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from scimdock.core.identity import fold
from scimdock.store.errors import Conflict, NotFound
from scimdock.store.records import SchemaExtension, TenantSchema

#: An extension's columns, as both stores keep them.
COLUMNS = "urn, resource_type, required, definition, created"
#: The tenant's tag and userName choice with its extensions, in one
#: statement (one snapshot); a tenant without extensions is one row of
#: NULLs. ``{mark}``: the dialect's placeholder.
SCHEMA_OF = f"""
    SELECT t.schema_tag, t.user_name_case_exact, {", ".join("e." + c for c in COLUMNS.split(", "))}
    FROM tenants t LEFT JOIN schema_extensions e ON e.tenant_id = t.id
    WHERE t.id = {{mark}} ORDER BY e.seq
"""


def user_name_key(user_name: str, exact: bool) -> str:
    """The uniqueness key of ``user_name`` in a tenant that compares it
    as given (``exact``) or case-folded."""
    return user_name if exact else fold(user_name)


def check_batch(docs: Iterable[dict[str, Any]], exact: bool) -> None:
    """:class:`Conflict` for the first user document whose userName another
    of the batch already has, as the tenant compares them (``exact``)."""
    seen: set[str] = set()
    for doc in docs:
        key = user_name_key(str(doc["userName"]), exact)
        if key in seen:
            raise Conflict(f"userName {doc['userName']!r} is already taken in this tenant")
        seen.add(key)


def rekeyed(users: Iterable[tuple[str, str, bool]], exact: bool) -> list[tuple[str, str]]:
    """``(key, id)`` for every ``(id, userName, live)`` user once the tenant
    compares userNames ``exact`` or not; :class:`Conflict` naming the first
    two live users that would then share a key (tombstones may share one:
    the index covers live users only, and a restore is checked then)."""
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for user_id, user_name, live in users:
        key = user_name_key(user_name, exact)
        if live and key in seen:
            raise Conflict(
                f"userNames {seen[key]!r} and {user_name!r} would name the same user"
                f" when compared {'as given' if exact else 'without case'}:"
                " rename or delete one first"
            )
        if live:
            seen[key] = user_name
        out.append((key, user_id))
    return out


def schema_of(tenant_id: int, rows: list[tuple[Any, ...]]) -> TenantSchema:
    """A :class:`TenantSchema` from the rows of :data:`SCHEMA_OF`."""
    if not rows:
        raise NotFound(f"no tenant with id {tenant_id}")
    extensions = [extension(r[2:]) for r in rows if r[2] is not None]
    return TenantSchema(int(rows[0][0]), bool(rows[0][1]), extensions)


def extension(row: tuple[Any, ...]) -> SchemaExtension:
    """An extension from its :data:`COLUMNS` (SQLite's JSON text, or jsonb)."""
    definition = row[3] if isinstance(row[3], dict) else orjson.loads(row[3])
    return SchemaExtension(row[0], row[1], bool(row[2]), definition, row[4])
