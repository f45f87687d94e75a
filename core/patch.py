"""PATCH (RFC 7644 §3.5.2): operations → a new doc, all or nothing.

This module reads the operations and resolves their targets; what each
operation does to the targeted value lives in :mod:`core.patch_ops`.
"""

from __future__ import annotations

import copy
from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import (
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    ScimError,
    error_for,
)
from scimdock.core.filter import parse_path, resolve_path
from scimdock.core.filter.ast import AttrPath, PatchPath
from scimdock.core.identity import normalize_identity
from scimdock.core.patch_ops import filtered_op, immutable_check, sub_op, whole_op
from scimdock.core.schema import Attribute, ResourceType, Schema
from scimdock.core.values import check_required, read, write

_OPS = ("add", "replace", "remove")
#: Not attributes a client may modify (RFC 7643 §3, §3.1).
_PROVIDER_OWNED = frozenset({"id", "meta", "schemas"})
#: The ``value`` of an operation that has none.
NO_VALUE = object()


def apply_patch(
    doc: dict[str, Any], operations: list[dict[str, Any]], rt: ResourceType, *, lenient: bool = True
) -> dict[str, Any]:
    """Apply ``operations`` in order to a copy of ``doc`` and return it.

    RFC 7644 §3.5.2: "each operation ... SHALL be applied sequentially"
    and the request is atomic — on any error a :class:`ScimError` is raised
    (its detail names the failing operation) and ``doc`` is untouched.
    After all operations, required attributes must still have a value
    (400 invalidValue).
    """
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("'Operations' must be a non-empty array")
    return apply_operations(doc, list(enumerate(operations)), rt, lenient=lenient)


def apply_operations(
    doc: dict[str, Any], numbered: list[tuple[int, Any]], rt: ResourceType, *, lenient: bool = True
) -> dict[str, Any]:
    """:func:`apply_patch` for some of a request's operations, each with its
    index in the request (for error details); used when a caller (Group
    membership, :mod:`core.membership`) takes the other operations itself."""
    work = copy.deepcopy(doc)
    for index, raw in numbered:
        try:
            _apply_one(work, raw, rt, lenient=lenient)
        except ScimError as err:
            raise error_for(
                err.status, f"Operations[{index}]: {err.detail}", err.scim_type
            ) from None
    check_required(work, rt)
    normalize_identity(work, rt)
    return work


def read_operation(raw: Any) -> tuple[str, str | None, Any]:
    """``(op, path, value)`` of one PatchOp operation (RFC 7644 §3.5.2):
    ``op`` lower-cased (Entra ID sends ``"Replace"``), ``path`` stripped or
    None, ``value`` or :data:`NO_VALUE`; malformed operations raise."""
    if not isinstance(raw, dict):
        raise InvalidSyntax("each operation must be a JSON object")
    fields = {k.lower(): v for k, v in raw.items() if isinstance(k, str)}
    op = fields.get("op")
    if not isinstance(op, str) or op.lower() not in _OPS:
        raise InvalidSyntax(f"'op' must be add, replace or remove, got {op!r}")
    if op != op.lower():
        leniency.note("op-case")
    op = op.lower()
    path = fields.get("path")
    value = fields.get("value", NO_VALUE)
    if op == "remove" and value is None:
        value = NO_VALUE  # "value": null on a remove is no value at all
    if op != "remove" and value is NO_VALUE:
        raise InvalidValue(f"'{op}' needs a 'value'")
    if path is None:
        if op == "remove":
            raise NoTarget("'remove' needs a 'path'")
        return op, None, value
    if not isinstance(path, str) or not path.strip():
        raise InvalidPath(f"'path' must be a non-empty string, got {path!r}")
    return op, path.strip(), value


def _apply_one(work: dict[str, Any], raw: Any, rt: ResourceType, *, lenient: bool) -> None:
    """One PatchOp operation: ``op``, optional ``path``, ``value``."""
    op, path, value = read_operation(raw)
    if path is None:
        _apply_object(work, op, value, rt, lenient=lenient)
        return
    _apply_path(work, op, path, value, rt, lenient=lenient)


def _apply_object(
    work: dict[str, Any], op: str, value: Any, rt: ResourceType, *, lenient: bool
) -> None:
    """No ``path`` (RFC 7644 §3.5.2.1, §3.5.2.3): ``value`` is an object whose
    keys are attribute paths — plain, dotted (``name.givenName``),
    URN-qualified, or an extension URN holding that extension's attributes
    — each applied as if it were the ``path``."""
    if not isinstance(value, dict):
        raise InvalidValue("without a 'path', 'value' must be a JSON object")
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidPath(f"invalid attribute name {key!r}")
        if key.strip().lower() in _PROVIDER_OWNED:
            leniency.provider_owned_in_value(key.strip(), lenient=lenient)
            continue
        _apply_path(work, op, key.strip(), item, rt, lenient=lenient)


def _apply_path(
    work: dict[str, Any], op: str, text: str, value: Any, rt: ResourceType, *, lenient: bool
) -> None:
    ext = rt.schema_for(text)
    if ext is not None and ext.id != rt.schema.id:
        _apply_extension(work, op, ext, value, rt, lenient=lenient)
        return
    parsed = _qualify(parse_path(text), rt, lenient=lenient)
    if parsed.path.urn is not None and rt.schema_for(parsed.path.urn) is None:
        # Not skipped, even when lenient: a 2xx would say it was applied.
        # A tenant can register the schema (core.extensions).
        raise InvalidPath(f"'{text}': unknown schema '{parsed.path.urn}'")
    if parsed.path.attr.lower() in _PROVIDER_OWNED and _is_core(parsed.path.urn, rt):
        raise Mutability(f"'{parsed.path.attr}' cannot be modified")
    if _unknown(parsed, rt):
        raise InvalidPath(f"unknown attribute '{text}'")
    resolved = resolve_path(parsed, rt, lenient=lenient)
    schema, attr = _lookup(resolved, rt, text)
    sub_name = resolved.sub if resolved.filter is not None else resolved.path.sub
    sub = attr.sub(sub_name) if sub_name else None
    if sub_name and sub is None:
        raise InvalidPath(f"'{text}': no sub-attribute '{sub_name}'")
    if attr.mutability == "readOnly" or (sub is not None and sub.mutability == "readOnly"):
        raise Mutability(f"'{text}' is read-only")
    if attr.mutability == "writeOnly" or (sub is not None and sub.mutability == "writeOnly"):
        return  # RFC 7643 §2.2 writeOnly: password is accepted and discarded
    given = value is not NO_VALUE
    before = read(work, schema, attr, rt)
    if resolved.filter is not None:
        if not attr.multi_valued:
            raise InvalidPath(f"'{text}': a value filter needs a multi-valued attribute")
        after = filtered_op(
            op, attr, before, resolved.filter, sub, value, given, lenient=lenient, where=text
        )
    elif sub is not None:
        if attr.multi_valued:
            raise InvalidPath(f"'{text}': select the {attr.name} values with a filter")
        after = sub_op(op, attr, before, sub, value, given, lenient=lenient, where=text)
    else:
        after = whole_op(op, attr, before, value, given, lenient=lenient, where=text)
    immutable_check(attr, before, after, where=text)
    write(work, schema, attr, rt, after)


def _apply_extension(
    work: dict[str, Any], op: str, ext: Schema, value: Any, rt: ResourceType, *, lenient: bool
) -> None:
    """A path that is a whole extension URN: ``remove`` (or a ``null``
    value) clears every attribute of it; ``add``/``replace`` take an object
    of its attributes, each applied as its own path."""
    if op == "remove" or value is None:  # null: unassigned (RFC 7643 §2.5)
        for attr in ext.attributes:
            if attr.mutability != "readOnly":
                _apply_path(work, "remove", f"{ext.id}:{attr.name}", NO_VALUE, rt, lenient=lenient)
        return
    if not isinstance(value, dict):
        raise InvalidValue(f"'{ext.id}' must be a JSON object")
    for key, item in value.items():
        if isinstance(key, str) and key.strip().lower() == "schemas":
            leniency.extension_schemas_key(ext.id, lenient=lenient)
            continue
        if not isinstance(key, str) or not key.strip() or ":" in key:
            raise InvalidPath(f"'{ext.id}': invalid attribute name {key!r}")
        _apply_path(work, op, f"{ext.id}:{key.strip()}", item, rt, lenient=lenient)


def _qualify(path: PatchPath, rt: ResourceType, *, lenient: bool) -> PatchPath:
    """``manager`` → ``urn:…:enterprise:2.0:User:manager`` when no core
    attribute has the name and one extension does
    (:func:`core.leniency.unqualified_extension`)."""
    if path.path.urn is not None or rt.attribute(path.path.attr) is not None:
        return path
    found = leniency.unqualified_extension(
        path.path.attr, rt, lenient=lenient, scim_type="invalidPath"
    )
    if found is None:
        return path
    schema, attr = found
    return PatchPath(AttrPath(attr.name, path.path.sub, schema.id), path.filter, path.sub)


def _is_core(urn: str | None, rt: ResourceType) -> bool:
    return urn is None or urn.lower() == rt.schema.id.lower()


def _unknown(path: PatchPath, rt: ResourceType) -> bool:
    """Whether ``path`` names an attribute, or a sub-attribute, that the
    resource type's schemas do not define (RFC 7643 §2.1: any case)."""
    urn = path.path.urn
    found = rt.attribute(path.path.attr) if _is_core(urn, rt) else rt.attribute(path.path.attr, urn)
    if found is None:
        return True
    sub = path.sub if path.filter is not None else path.path.sub
    return sub is not None and found[1].type == "complex" and found[1].sub(sub) is None


def _lookup(path: PatchPath, rt: ResourceType, text: str) -> tuple[Schema, Attribute]:
    urn = path.path.urn
    found = rt.attribute(path.path.attr) if _is_core(urn, rt) else rt.attribute(path.path.attr, urn)
    if found is None:
        raise InvalidPath(f"unknown attribute '{text}'")
    return found
