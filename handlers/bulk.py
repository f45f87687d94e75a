"""``POST /Bulk`` (RFC 7644 §3.7): each operation performed through the
same code as its single request (the writes of handlers.resource_writes, with
the kind of handlers.users or handlers.groups: the same core normalisation
and store calls) after its ``data`` is checked against the same schema of
openapi/scim.yaml the single request's body is; which operations run, in
which order, with which ``bulkId`` resolved, is :mod:`core.bulk`'s. Each
operation is its own write: one failing does not undo the others (§3.7),
and ``failOnErrors`` stops the rest."""

from __future__ import annotations

import functools
from typing import Any

import yaml
from connexion.json_schema import Draft4RequestValidator, format_error_with_path, resolve_refs
from jsonschema import Draft4Validator
from starlette.responses import Response

from scimdock.core import bulk as core_bulk
from scimdock.core import representation
from scimdock.core.errors import Conflict, InvalidValue, ScimError, error_for
from scimdock.handlers import groups, kinds, resource_writes, users
from scimdock.handlers.context import RequestContext
from scimdock.handlers.errors import STORE_ERRORS
from scimdock.handlers.http import base_url, scim
from scimdock.openapi import DIR as OPENAPI_DIR
from scimdock.store.errors import StoreError

#: The body schema of each single request an operation stands for.
_SCHEMAS = {("POST", "User"): "UserInput", ("PUT", "User"): "UserInput"}
_SCHEMAS |= {("POST", "Group"): "GroupInput", ("PUT", "Group"): "GroupInput"}
_SCHEMAS |= {("PATCH", "User"): "PatchOp", ("PATCH", "Group"): "PatchOp"}

#: The kind of each resource type an operation may name (core.bulk).
_KINDS: dict[str, kinds.Kind[Any, Any]] = {k.rt.id: k for k in (users.USERS, groups.GROUPS)}


@functools.cache
def _validators() -> dict[str, Any]:
    """Connexion's request validator for each body schema, built once."""
    text = (OPENAPI_DIR / "scim.yaml").read_text(encoding="utf-8")
    document = resolve_refs(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    schemas = document["components"]["schemas"]
    checker = Draft4Validator.FORMAT_CHECKER
    return {
        name: Draft4RequestValidator(schemas[name], format_checker=checker)
        for name in set(_SCHEMAS.values())
    }


async def bulk(ctx: RequestContext, body: dict[str, Any]) -> Response:
    """RFC 7644 §3.7.3: a BulkResponse with one result per operation
    performed, in the order of the request."""
    plan = core_bulk.plan(body, lenient=ctx.settings.lenient)
    ids: dict[str, str | None] = {}
    results: dict[int, dict[str, Any]] = {}
    errors = 0
    for index in plan.order:
        if plan.fail_on_errors is not None and errors >= plan.fail_on_errors:
            break  # §3.7.3: the operations after the limit are not performed
        op = plan.operations[index]
        result = await _perform(ctx, op, index in plan.circular, ids)
        created = result.pop("id", None)
        if op.error is None and op.method == "POST" and op.bulk_id is not None:
            ids[op.bulk_id] = created
        if int(result["status"]) >= 400:
            errors += 1
        results[index] = result
    return scim(
        {
            "schemas": [core_bulk.BULK_RESPONSE],
            "Operations": [results[i] for i in sorted(results)],
        }
    )


async def _perform(
    ctx: RequestContext, op: core_bulk.Operation, circular: bool, ids: dict[str, str | None]
) -> dict[str, Any]:
    out: dict[str, Any] = {"method": op.method}
    if op.bulk_id is not None:
        out["bulkId"] = op.bulk_id
    try:
        if op.error is not None:
            raise op.error
        if circular:
            raise Conflict(
                "Circular bulkId references: the operations refer to one another (§3.7.1)"
            )
        assert op.rt is not None
        target, data = core_bulk.resolve(op, ids)
        _check(op, data)
        status, record_id, version = await _write(ctx, op, target, data)
    except ScimError as err:
        return {**out, "status": str(err.status), "response": err.to_dict()}
    except StoreError as exc:
        err = _store_error(exc)
        return {**out, "status": str(err.status), "response": err.to_dict()}
    out["location"] = f"{base_url(ctx)}{op.rt.endpoint}/{record_id}"
    if version is not None:
        out["version"] = representation.etag(version)
    return {**out, "status": str(status), "id": record_id}


def _check(op: core_bulk.Operation, data: Any) -> None:
    """``data`` against the schema the single request's body has."""
    assert op.rt is not None
    name = _SCHEMAS.get((op.method, op.rt.id))
    if name is None:
        return
    error = next(iter(_validators()[name].iter_errors(data)), None)
    if error is not None:
        # Connexion's words for the same error of a single request.
        raise InvalidValue(f"{error.message}{format_error_with_path(error)}")


async def _write(
    ctx: RequestContext, op: core_bulk.Operation, target: str | None, data: Any
) -> tuple[int, str, int | None]:
    """``(status, id, version)`` of one performed operation."""
    assert op.rt is not None
    kind = _KINDS[op.rt.id]
    if op.method == "POST":
        record = await resource_writes.create_record(ctx, kind, data)
        return 201, record.id, record.version
    assert target is not None
    if op.method == "PUT":
        record = await resource_writes.replace_record(ctx, kind, target, data, op.version)
    elif op.method == "PATCH":
        operations = data.get("Operations")
        record = await resource_writes.patch_record(ctx, kind, target, operations, op.version)
    else:
        await resource_writes.delete_record(ctx, kind, target, op.version)
        return 204, target, None
    return 200, record.id, record.version


def _store_error(exc: StoreError) -> ScimError:
    """The SCIM Error a single request would have answered."""
    for kind, status, scim_type in STORE_ERRORS:
        if isinstance(exc, kind):
            return error_for(status, exc.detail, scim_type)
    raise exc
