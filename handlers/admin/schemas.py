"""``/tenants/{tenant}/schemas`` (openapi/admin.yaml, tag Schemas): a
tenant's extension schemas (RFC 7643 §3.3, §6, §7). The definition is
checked by :func:`core.extensions.parse_definition` and stored in the form
``/Schemas`` shows; the store writes the audit line."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from scimdock.core import extensions
from scimdock.core.errors import InvalidValue, NotFound
from scimdock.core.schema import RESOURCE_TYPES, Schema
from scimdock.handlers.admin import auth
from scimdock.handlers.admin.respond import body_of, created, listing, no_content, ok
from scimdock.handlers.context import RequestContext
from scimdock.store.base import SchemaExtension


def view(ext: SchemaExtension) -> dict[str, Any]:
    return {
        "id": ext.urn,
        "resourceType": ext.resource_type,
        "required": ext.required,
        "created": ext.created,
        "schema": ext.definition,
    }


async def list_schema_extensions(ctx: RequestContext, tenant: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    return ok(listing([view(e) for e in await ctx.store.list_schema_extensions(found.id)]))


async def get_schema_extension(ctx: RequestContext, tenant: str, urn: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    for ext in await ctx.store.list_schema_extensions(found.id):
        if ext.urn.lower() == urn.lower():
            return ok(view(ext))
    raise NotFound(f"No extension schema {urn!r} in tenant {tenant!r}")


def resource_type_of(urn: str, given: str | None) -> str:
    """``given``, else the URN's last segment if it names a resource type
    (``urn:...:2.0:User``), else 400."""
    if given is not None:
        return given
    last = urn.rsplit(":", 1)[-1]
    for name in RESOURCE_TYPES:
        if name.lower() == last.lower():
            return name
    raise InvalidValue(f"say which resource type {urn!r} extends: resourceType User or Group")


def checked(
    definition: Any, resource_type: str | None, existing: list[SchemaExtension]
) -> tuple[Schema, str]:
    """The schema to register and the resource type it extends, or the
    SCIM Error saying why not (also used by ``scimdock schema add``)."""
    schema = extensions.parse_definition(definition)
    kind = resource_type_of(schema.id, resource_type)
    extensions.check_no_clash(schema.id, (e.urn for e in existing))
    if len(existing) >= extensions.MAX_EXTENSIONS:
        raise InvalidValue(f"a tenant has at most {extensions.MAX_EXTENSIONS} extension schemas")
    return schema, kind


async def add_schema_extension(ctx: RequestContext, tenant: str, body: Any) -> Response:
    found = await auth.tenant(ctx, tenant)
    data = body_of(body)
    store = ctx.store
    existing = await store.list_schema_extensions(found.id)
    schema, kind = checked(data.get("schema"), data.get("resourceType"), existing)
    ext = await store.add_schema_extension(
        found.id,
        schema.id,
        kind,
        extensions.definition(schema),
        required=bool(data.get("required", False)),
        actor=auth.actor(ctx),
    )
    return created(view(ext), f"/tenants/{found.name}/schemas/{quote(ext.urn, safe=':')}")


async def remove_schema_extension(ctx: RequestContext, tenant: str, urn: str) -> Response:
    found = await auth.tenant(ctx, tenant)
    await ctx.store.remove_schema_extension(found.id, urn, actor=auth.actor(ctx))
    return no_content()
