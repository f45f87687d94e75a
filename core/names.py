"""Attribute names as the schema spells them (RFC 7643 §2.1).

"Attribute names are case insensitive": a client may send ``"Primary"``
inside ``emails`` or ``"Manager": {"Value": ...}`` inside the enterprise
extension (clients built on Microsoft's SCIM reference code do). The
contract (openapi/scim.yaml) describes the canonical spelling only, so a
request body is folded to it here, in one place, before it is validated
(scimdock/folding.py applies these functions to every SCIM write, tuned or
not, and handlers/bulk.py to each Bulk operation's ``data``). Responses
always carry the canonical names (core.representation builds them from
the stored doc, whose names are canonical).

Folding renames only what :mod:`core.schema` defines: top-level
attributes, sub-attributes, extension URNs and their attributes, and the
names of the PatchOp and SearchRequest messages (RFC 7644 §3.5.2,
§3.4.3). A name the schema does not define is left out when lenient and
refused (400 ``invalidValue``) in strict mode
(:func:`core.leniency.unknown_attribute`). Keys that hold a schema URI
the resource type lacks, URN-qualified names and dotted paths are left as
they are: the core decides about them (core.resource, core.patch).

``attributes``, ``excludedAttributes``, ``sortBy``, filters and PATCH
paths need no folding here: core.projection and core.filter.resolve match
them case-insensitively and answer with canonical names.

Every function returns its input itself (``is``) when nothing changed, so
that a caller can keep the bytes it was given.
"""

from __future__ import annotations

from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import ScimError, bad_request
from scimdock.core.filter import parse_path
from scimdock.core.schema import Attribute, ResourceType, Schema

#: Keys of a resource that are no attribute of its schema (RFC 7643 §3).
_RESOURCE_KEYS = {"schemas": "schemas"}
#: PatchOp (RFC 7644 §3.5.2) and its operations.
_PATCH_KEYS = {"schemas": "schemas", "operations": "Operations"}
_OPERATION_KEYS = {"op": "op", "path": "path", "value": "value"}
#: SearchRequest (RFC 7644 §3.4.3).
_SEARCH_KEYS = {
    k.lower(): k
    for k in (
        "schemas",
        "attributes",
        "excludedAttributes",
        "filter",
        "sortBy",
        "sortOrder",
        "startIndex",
        "count",
        "cursor",  # RFC 9865 §3
    )
}


def fold_resource(body: Any, rt: ResourceType, *, lenient: bool, partial: bool = False) -> Any:
    """A POST/PUT body (RFC 7644 §3.3, §3.5.1) with canonical names.
    ``partial``: a PATCH value without ``path``, whose keys may also be
    dotted or URN-qualified paths (left as they are)."""
    if not isinstance(body, dict):
        return body
    out: dict[Any, Any] = {}
    for key, value in body.items():
        name, folded = key, value
        if not isinstance(key, str):
            pass
        elif key.lower() in _RESOURCE_KEYS:
            name = _RESOURCE_KEYS[key.lower()]
        elif ":" in key:
            ext = _extension(key, rt)
            if ext is not None:
                name, folded = ext.id, fold_extension(value, ext, lenient=lenient)
            elif partial:
                found = _qualified(key, rt)
                if found is not None:
                    folded = fold_value(value, found, lenient=lenient, where=key)
        elif partial and "." in key:
            pass  # a dotted path: core.patch resolves it
        else:
            found_attr = rt.attribute(key)
            if found_attr is None:
                leniency.unknown_attribute(key, lenient=lenient)
                continue
            attr = found_attr[1]
            name, folded = attr.name, fold_value(value, attr, lenient=lenient, where=attr.name)
        if name != key:
            leniency.note("name-case")
        _put(out, name, folded)
    return same(body, out)


def fold_extension(value: Any, ext: Schema, *, lenient: bool) -> Any:
    """The object under an extension URN (RFC 7643 §3.3)."""
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for key, raw in value.items():
        name, folded = key, raw
        if isinstance(key, str):
            attr = ext.attribute(key)
            if key.lower() == "schemas":
                name = "schemas"  # core.leniency.extension_schemas_key decides
            elif attr is None:
                leniency.unknown_attribute(f"{ext.id}:{key}", lenient=lenient)
                continue
            else:
                where = f"{ext.id}:{attr.name}"
                name, folded = attr.name, fold_value(raw, attr, lenient=lenient, where=where)
        _put(out, name, folded)
    return same(value, out)


def fold_value(value: Any, attr: Attribute, *, lenient: bool, where: str) -> Any:
    """A value of ``attr``: the sub-attribute names of a complex value, of
    each element when it is multi-valued (RFC 7643 §2.3.8, §2.4). A
    read-only attribute's value (``meta``, ``groups``) is ignored by the
    core whatever it holds (RFC 7643 §2.2), so it is not looked into."""
    if attr.type != "complex" or attr.mutability == "readOnly":
        return value
    if isinstance(value, list):
        out = [fold_element(v, attr, lenient=lenient, where=where) for v in value]
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return fold_element(value, attr, lenient=lenient, where=where)


def fold_element(value: Any, attr: Attribute, *, lenient: bool, where: str) -> Any:
    """One complex value: its sub-attributes by their canonical names;
    names the schema lacks left out (lenient) or refused (strict)."""
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for key, raw in value.items():
        name = key
        if isinstance(key, str):
            sub = attr.sub(key)
            if sub is None:
                alias = leniency.sub_attribute_alias(attr, key, lenient=lenient)
                sub = attr.sub(alias) if alias is not None else None
            if sub is None:
                leniency.unknown_attribute(f"{where}.{key}", lenient=lenient)
                continue
            name = sub.name
        _put(out, name, raw)
    return same(value, out)


def fold_patch(body: Any, rt: ResourceType, *, lenient: bool) -> Any:
    """A PatchOp (RFC 7644 §3.5.2): its own names, and each operation's
    ``value`` folded against the attribute its ``path`` names (the path
    itself is resolved case-insensitively by core.patch)."""
    if not isinstance(body, dict):
        return body
    out = rename(body, _PATCH_KEYS)
    operations = out.get("Operations")
    if isinstance(operations, list):
        folded = [_fold_operation(op, rt, lenient=lenient) for op in operations]
        if any(a is not b for a, b in zip(folded, operations, strict=True)):
            out["Operations"] = folded
    return same(body, out)


def _fold_operation(raw: Any, rt: ResourceType, *, lenient: bool) -> Any:
    if not isinstance(raw, dict):
        return raw
    out = rename(raw, _OPERATION_KEYS)
    if "value" in out:
        out["value"] = _fold_patch_value(out.get("path"), out["value"], rt, lenient=lenient)
    return same(raw, out)


def _fold_patch_value(path: Any, value: Any, rt: ResourceType, *, lenient: bool) -> Any:
    """The ``value`` of one operation, by what its ``path`` targets."""
    if path is None:
        return fold_resource(value, rt, lenient=lenient, partial=True)
    if not isinstance(path, str):
        return value
    ext = _extension(path.strip(), rt)
    if ext is not None:
        return fold_extension(value, ext, lenient=lenient)
    try:
        parsed = parse_path(path.strip())
    except (ScimError, ValueError):
        return value  # core.patch answers invalidPath
    if parsed.path.urn is not None and rt.schema_for(parsed.path.urn) is None:
        return value  # another vendor's schema: core.leniency.foreign_schema_path
    found = rt.attribute(parsed.path.attr, parsed.path.urn)
    if found is None:
        return value  # core.patch answers (or skips) an unknown attribute
    attr = found[1]
    if parsed.path.sub is not None or parsed.sub is not None:
        return value  # a sub-attribute's value is simple
    if parsed.filter is not None:
        return fold_element(value, attr, lenient=lenient, where=path)
    return fold_value(value, attr, lenient=lenient, where=path)


def fold_search(body: Any) -> Any:
    """A SearchRequest (RFC 7644 §3.4.3): its own names. The attribute
    names inside its values are matched case-insensitively later."""
    return rename(body, _SEARCH_KEYS) if isinstance(body, dict) else body


def rename(body: dict[Any, Any], names: dict[str, str]) -> dict[Any, Any]:
    """A message's own keys (``names``: lower-case → canonical) renamed;
    other keys kept as they are."""
    out: dict[Any, Any] = {}
    for key, value in body.items():
        name = names.get(key.lower(), key) if isinstance(key, str) else key
        _put(out, name, value)
    return out


def _extension(key: str, rt: ResourceType) -> Schema | None:
    schema = rt.schema_for(key) if ":" in key else None
    return schema if schema is not None and schema.id != rt.schema.id else None


def _qualified(key: str, rt: ResourceType) -> Attribute | None:
    """``urn:...:User:manager``: the attribute a URN-qualified name is."""
    urn, _, name = key.rpartition(":")
    found = rt.attribute(name, urn) if urn and "." not in name else None
    return found[1] if found else None


def _put(out: dict[Any, Any], name: Any, value: Any) -> None:
    """Two spellings of one name are one attribute given twice (RFC 7643
    §2.1): 400 invalidValue, as core.resource answers for a POST."""
    if name in out:
        raise bad_request("invalidValue", f"'{name}' is given twice")
    out[name] = value


def same(before: Any, after: dict[Any, Any]) -> Any:
    """``before`` itself when folding changed nothing."""
    if len(after) == len(before) and all(k in before and before[k] is v for k, v in after.items()):
        return before
    return after
