"""Bulk (RFC 7644 §3.7): a BulkRequest read into operations, their order,
and their ``bulkId`` references; no I/O (handlers/bulk.py performs each
operation through the same code as the single request).

* Each operation is a POST of ``/Users`` or ``/Groups``, or a PUT, PATCH
  or DELETE of ``/Users/{id}`` or ``/Groups/{id}`` (§3.7); a POST needs a
  ``bulkId``, unique in the request. A malformed operation fails alone
  (400), as a single request would.
* ``"bulkId:<bulkId>"`` as a whole string value anywhere in ``data`` (a
  member's ``value``, a manager's ``value``) or as the id of ``path``
  stands for the id of the resource the POST with that ``bulkId`` created
  (§3.7.2). Operations run in the order given, except that one waits for
  the POSTs it refers to (a stable topological order); operations whose
  references go round in a circle cannot be ordered and fail with 409
  (§3.7.1 allows that answer).
* More than :data:`MAX_OPERATIONS` operations is 413 (§3.7.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from scimdock.core import names
from scimdock.core.errors import Conflict, InvalidSyntax, InvalidValue, PayloadTooLarge, ScimError
from scimdock.core.schema import RESOURCE_TYPES, ResourceType

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
#: ``bulk.maxOperations`` (RFC 7643 §5).
MAX_OPERATIONS = 1000
PREFIX = "bulkid:"
METHODS = ("POST", "PUT", "PATCH", "DELETE")
_REQUEST_KEYS = {"schemas": "schemas", "operations": "Operations", "failonerrors": "failOnErrors"}
_OPERATION_KEYS = {k.lower(): k for k in ("method", "bulkId", "version", "path", "data")}


@dataclass(frozen=True)
class Operation:
    """One operation of a BulkRequest; ``error`` when it is malformed."""

    index: int
    method: str
    path: str
    rt: ResourceType | None = None
    target: str | None = None  # the id in ``path`` (maybe ``bulkId:x``)
    bulk_id: str | None = None
    version: str | None = None
    data: Any = None
    needs: frozenset[str] = frozenset()
    error: ScimError | None = None


@dataclass
class Plan:
    """The operations, the order to perform them in, and those caught in a
    circle of references (answered 409, never performed)."""

    operations: list[Operation]
    order: list[int]
    circular: frozenset[int] = field(default_factory=frozenset)
    fail_on_errors: int | None = None


def fold_request(body: Any, *, lenient: bool) -> Any:
    """A BulkRequest with canonical names (RFC 7643 §2.1): its own, each
    operation's, and each ``data`` as the single request's body would be
    folded (:mod:`core.names`)."""
    if not isinstance(body, dict):
        return body
    out = names.rename(body, _REQUEST_KEYS)
    ops = out.get("Operations")
    if isinstance(ops, list):
        folded = [_fold_operation(op, lenient=lenient) for op in ops]
        if any(a is not b for a, b in zip(folded, ops, strict=True)):
            out["Operations"] = folded
    return names.same(body, out)


def _fold_operation(raw: Any, *, lenient: bool) -> Any:
    if not isinstance(raw, dict):
        return raw
    out = names.rename(raw, _OPERATION_KEYS)
    method, path = out.get("method"), out.get("path")
    if "data" in out and isinstance(method, str) and isinstance(path, str):
        rt, _ = _endpoint(path, lenient=lenient)
        if rt is not None and method.upper() in ("POST", "PUT"):
            out["data"] = names.fold_resource(out["data"], rt, lenient=lenient)
        elif rt is not None and method.upper() == "PATCH":
            out["data"] = names.fold_patch(out["data"], rt, lenient=lenient)
    return names.same(raw, out)


def plan(body: dict[str, Any], *, lenient: bool) -> Plan:
    """Read a BulkRequest (already checked against openapi/scim.yaml)."""
    raw_ops = body.get("Operations")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise InvalidSyntax("'Operations' must be a non-empty array")
    if len(raw_ops) > MAX_OPERATIONS:
        raise PayloadTooLarge(
            f"The Bulk request has more than maxOperations ({MAX_OPERATIONS}) operations"
        )
    ops = [_operation(i, raw, lenient=lenient) for i, raw in enumerate(raw_ops)]
    ops = _unique_bulk_ids(ops)
    order, circular = _order(ops)
    fail = body.get("failOnErrors")
    return Plan(ops, order, circular, fail if isinstance(fail, int) and fail > 0 else None)


def _operation(index: int, raw: dict[str, Any], *, lenient: bool) -> Operation:
    method = str(raw.get("method", "")).upper()
    path = raw.get("path")
    bulk_id, version, data = raw.get("bulkId"), raw.get("version"), raw.get("data")

    def bad(detail: str) -> Operation:
        return Operation(index, method, str(path), bulk_id=bulk_id, error=InvalidSyntax(detail))

    if not isinstance(path, str):
        return bad("each operation needs a 'path'")
    rt, target = _endpoint(path, lenient=lenient)
    if rt is None:
        return bad(f"'{path}' is not /Users, /Groups or one of their resources")
    if method == "POST":
        if target is not None:
            return bad("a POST names a resource type endpoint, such as /Users")
        if not bulk_id:
            return bad("a POST needs a 'bulkId' (RFC 7644 §3.7)")
    elif target is None:
        return bad(f"a {method} names one resource, such as /Users/{{id}}")
    if method != "DELETE" and not isinstance(data, dict):
        return bad(f"a {method} needs 'data', a JSON object")
    refs = set(references(data))
    if target is not None and target.lower().startswith(PREFIX):
        refs.add(target[len(PREFIX) :])
    return Operation(
        index,
        method,
        path,
        rt,
        target,
        bulk_id,
        version if isinstance(version, str) else None,
        data,
        frozenset(refs),
    )


def _endpoint(path: str, *, lenient: bool) -> tuple[ResourceType | None, str | None]:
    """``/Users`` → (User, None); ``/Groups/abc`` → (Group, "abc")."""
    parts = path.strip().strip("/").split("/")
    if not 1 <= len(parts) <= 2 or not parts[-1]:
        return None, None
    for rt in RESOURCE_TYPES.values():
        name = rt.endpoint.strip("/")
        if parts[0] == name or (lenient and parts[0].lower() == name.lower()):
            return rt, parts[1] if len(parts) == 2 else None
    return None, None


def _unique_bulk_ids(ops: list[Operation]) -> list[Operation]:
    seen: set[str] = set()
    out = []
    for op in ops:
        if op.error is None and op.method == "POST" and op.bulk_id is not None:
            if op.bulk_id in seen:
                op = Operation(
                    op.index,
                    op.method,
                    op.path,
                    bulk_id=op.bulk_id,
                    error=InvalidValue(f"bulkId '{op.bulk_id}' is used twice"),
                )
            seen.add(str(op.bulk_id))
        out.append(op)
    return out


def references(value: Any) -> Iterator[str]:
    """Every ``bulkId:<x>`` string of ``value``, as ``x``."""
    if isinstance(value, str):
        if value[: len(PREFIX)].lower() == PREFIX:
            yield value[len(PREFIX) :]
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _order(ops: list[Operation]) -> tuple[list[int], frozenset[int]]:
    """The request's order, each operation after the POSTs it names; the
    operations left over are in (or wait on) a circle."""
    creator = {op.bulk_id: op.index for op in ops if op.error is None and op.method == "POST"}
    waits = {
        op.index: {creator[b] for b in op.needs if b in creator} for op in ops if op.error is None
    }
    done: set[int] = set()
    order: list[int] = [op.index for op in ops if op.error is not None]
    pending = [op.index for op in ops if op.error is None]
    while pending:
        ready = next((i for i in pending if waits[i] <= done and i not in waits[i]), None)
        if ready is None:
            break
        pending.remove(ready)
        done.add(ready)
        order.append(ready)
    return order + pending, frozenset(pending)


def resolve(op: Operation, ids: dict[str, str | None]) -> tuple[str | None, Any]:
    """``(target id, data)`` of ``op`` with each ``bulkId:x`` replaced by
    the id the POST of ``x`` created (RFC 7644 §3.7.2). A ``bulkId`` no
    POST of the request has is 400 invalidValue; one whose POST failed
    is 409."""
    for ref in op.needs:
        if ref not in ids:
            raise InvalidValue(f"bulkId '{ref}' names no POST of this request")
        if ids[ref] is None:
            raise Conflict(f"bulkId '{ref}' could not be resolved: its POST failed")
    target = op.target
    if target is not None and target.lower().startswith(PREFIX):
        target = ids[target[len(PREFIX) :]]
    return target, _substitute(op.data, ids)


def _substitute(value: Any, ids: dict[str, str | None]) -> Any:
    if isinstance(value, str) and value[: len(PREFIX)].lower() == PREFIX:
        return ids.get(value[len(PREFIX) :], value)
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    return value
