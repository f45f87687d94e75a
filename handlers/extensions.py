"""The resource types of the tenant a request is for: the server's User and
Group with the tenant's registered extension schemas (core.extensions,
RFC 7643 §3.3, §6, §7) and, where its profile says so, a case-exact
``userName`` (scimdock.mock.rules.profile).

What they are built from moves the tenant's ``schema_tag`` (store.base
``Tenant``), which authentication reads with the key: a key's row is read
again whenever a key or tenant changes (store.sql_keys, ``key_epoch``),
so a registration, a removal or a profile switch holds from the next
request on, in every server process. A request whose tag is 0 (the
server's own types) or one already built reads nothing more; any other
reads the tenant's schema once (:meth:`Store.tenant_schema`). Types are
kept by ``(tenant, tag)`` (a tenant id is never reused) and, once built,
by the definitions they came from.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

from scimdock.core import extensions, names
from scimdock.core.schema import RESOURCE_TYPES, USER, ResourceType
from scimdock.handlers.context import RequestContext
from scimdock.store.base import SchemaExtension, TenantSchema

Types = dict[str, ResourceType]
_BUILT: OrderedDict[tuple[Any, ...], Types] = OrderedDict()
_BY_TAG: OrderedDict[tuple[int, int], Types] = OrderedDict()
_KEEP = 256


def build(records: list[SchemaExtension], *, user_name_case_exact: bool = False) -> Types:
    """``{"User": ..., "Group": ...}`` with these extensions (cached)."""
    if not records and not user_name_case_exact:
        return RESOURCE_TYPES
    key = (user_name_case_exact,) + tuple(
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
        if user_name_case_exact:
            types[USER.id] = extensions.case_exact_user_name(types[USER.id])
        _BUILT[key] = types
        while len(_BUILT) > _KEEP:
            _BUILT.popitem(last=False)
    else:
        _BUILT.move_to_end(key)
    return types


def of_schema(schema: TenantSchema) -> Types:
    """The types a tenant's schema (as the store read it) makes."""
    return build(schema.extensions, user_name_case_exact=schema.user_name_case_exact)


async def types_of(ctx: RequestContext, tenant: int) -> Types:
    """The tenant's resource types, worked out once per request."""
    cached: Types | None = ctx.types
    if cached is not None:
        return cached
    tag = ctx.schema_tag if ctx.tenant_id == tenant else None
    if tag == 0:
        cached = RESOURCE_TYPES
    elif tag is not None and (tenant, tag) in _BY_TAG:
        cached = _BY_TAG[tenant, tag]
        _BY_TAG.move_to_end((tenant, tag))
    else:  # an admin route (no key), or a tag not seen yet in this process
        schema = await ctx.store.tenant_schema(tenant)
        cached = of_schema(schema)
        _BY_TAG[tenant, schema.tag] = cached
        while len(_BY_TAG) > _KEEP:
            _BY_TAG.popitem(last=False)
    ctx.types = cached
    return cached


def fold_resource(body: Any, rt: ResourceType, *, lenient: bool) -> Any:
    """A POST/PUT body's extension names folded to the tenant's schema, and
    unknown ones left out (lenient) or refused (core.names, RFC 7643 §2.1);
    the server's own names were folded before validation (scimdock.front.names)."""
    if rt is RESOURCE_TYPES[rt.id]:
        return body
    return names.fold_resource(body, rt, lenient=lenient)


def fold_operations(operations: Any, rt: ResourceType, *, lenient: bool) -> Any:
    """As :func:`fold_resource`, for a PatchOp's ``Operations``."""
    if rt is RESOURCE_TYPES[rt.id] or not isinstance(operations, list):
        return operations
    return names.fold_patch({"Operations": operations}, rt, lenient=lenient)["Operations"]
