"""The resource types of the tenant a request is for: the server's User and
Group with the tenant's registered extension schemas (core.extensions,
RFC 7643 §3.3, §6, §7).

The tenant's extensions are read from the store on each request that needs
them (one indexed read of a few rows, so a registration or removal holds
from the next request on, in every server process) and kept in the
request's context; the resource types built from one set of definitions
are kept in a small cache keyed by those definitions.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson
from connexion.context import _context

from scimdock.core import extensions, names
from scimdock.core.schema import GROUP, RESOURCE_TYPES, USER, ResourceType
from scimdock.handlers.runtime import current
from scimdock.store.base import SchemaExtension

Types = dict[str, ResourceType]
_BUILT: OrderedDict[tuple[Any, ...], Types] = OrderedDict()
_KEEP = 256


def build(records: list[SchemaExtension]) -> Types:
    """``{"User": ..., "Group": ...}`` with these extensions (cached)."""
    if not records:
        return RESOURCE_TYPES
    key = tuple(
        (
            r.urn,
            r.resource_type,
            r.required,
            orjson.dumps(r.definition, option=orjson.OPT_SORT_KEYS),
        )
        for r in records
    )
    types = _BUILT.get(key)
    if types is None:
        types = {
            rt.id: extensions.with_extensions(
                rt,
                [
                    (extensions.parse_definition(r.definition), r.required)
                    for r in records
                    if r.resource_type == rt.id
                ],
            )
            for rt in RESOURCE_TYPES.values()
        }
        _BUILT[key] = types
        while len(_BUILT) > _KEEP:
            _BUILT.popitem(last=False)
    else:
        _BUILT.move_to_end(key)
    return types


async def types_of(tenant: int) -> Types:
    """The tenant's resource types, read once per request."""
    context = _context.get()
    cached = context.get("scimdock.types")
    if cached is None:
        cached = build(await current().store.list_schema_extensions(tenant))
        context["scimdock.types"] = cached
    return cached  # type: ignore[no-any-return]


async def user_type(tenant: int) -> ResourceType:
    return (await types_of(tenant))[USER.id]


async def group_type(tenant: int) -> ResourceType:
    return (await types_of(tenant))[GROUP.id]


def fold_resource(body: Any, rt: ResourceType) -> Any:
    """A POST/PUT body's extension names folded to the tenant's schema, and
    unknown ones left out (lenient) or refused (core.names, RFC 7643 §2.1);
    the server's own names were folded before validation (scimdock.folding)."""
    if rt is RESOURCE_TYPES[rt.id]:
        return body
    return names.fold_resource(body, rt, lenient=current().settings.lenient)


def fold_operations(operations: Any, rt: ResourceType) -> Any:
    """As :func:`fold_resource`, for a PatchOp's ``Operations``."""
    if rt is RESOURCE_TYPES[rt.id] or not isinstance(operations, list):
        return operations
    lenient = current().settings.lenient
    return names.fold_patch({"Operations": operations}, rt, lenient=lenient)["Operations"]
