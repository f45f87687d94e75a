"""Attribute names as the schema spells them (RFC 7643 §2.1).

"Attribute names are case insensitive": a client may send ``"Primary"``
inside ``emails`` or ``"Manager": {"Value": ...}`` inside the enterprise
extension (clients built on Microsoft's SCIM reference code do). The
contract (openapi/scim.yaml) describes the canonical spelling only, so a
request body is folded to it here, in one place, before it is validated
(scimdock/front/names.py applies these functions to every SCIM write, tuned or
not, and handlers/bulk.py to each Bulk operation's ``data``). Responses
always carry the canonical names (core.representation builds them from
the stored doc, whose names are canonical).

Folding renames only what :mod:`core.schema` defines: top-level
attributes, sub-attributes, extension URNs and their attributes, and the
names of the PatchOp and SearchRequest messages (RFC 7644 §3.5.2,
§3.4.3). In a POST or PUT body, a name the schema does not define is left
out when lenient and refused (400 ``invalidValue``) in strict mode
(:func:`core.leniency.unknown_attribute`). In a PATCH value no name is
left out: an operation answered 2xx must have been applied, so core.patch
refuses what it cannot apply. Keys that hold a schema URI the resource
type lacks, URN-qualified names, dotted paths and extension attributes
named without their URN (:func:`core.leniency.unqualified_extension`) are
left as they are: the core decides about them (core.resource, core.patch).

``attributes``, ``excludedAttributes``, ``sortBy``, filters and PATCH
paths need no folding here: core.projection and core.filter.resolve match
them case-insensitively and answer with canonical names.

Every function returns its input itself (``is``) when nothing changed, so
that a caller can keep the bytes it was given.
"""

from __future__ import annotations

from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import InvalidValue, ScimError
from scimdock.core.filter import parse_path
from scimdock.core.schema import COMMON, Attribute, ResourceType, Schema

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
    dotted or URN-qualified paths (left as they are), and whose unknown
    names are kept for core.patch to refuse."""
    if not isinstance(body, dict) or not partial and _canonical(body, rt):
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
                folded = fold_extension(value, ext, lenient=lenient, patch=partial)
                name = ext.id
            elif partial:
                found = _qualified(key, rt)
                if found is not None:
                    folded = fold_value(value, found, lenient=lenient, where=key, patch=True)
        elif partial and "." in key:
            pass  # a dotted path: core.patch resolves it
        else:
            attr = _attribute(key, None, rt)
            if attr is None and not rt.unqualified(key) and not partial:
                leniency.unknown_attribute(key, lenient=lenient)
                continue
            if attr is not None:
                folded = fold_value(value, attr, lenient=lenient, where=attr.name, patch=partial)
                name = attr.name
        if name != key:
            leniency.note("name-case")
        _put(out, name, folded)
    return same(body, out)


#: A name as the schema spells it → the sub-attribute names of its values
#: to check in turn (``None``: nothing under it to fold), or, for an
#: extension URN, the spellings of that schema's own attributes.
_Spellings = dict[str, Any]


def _spellings(rt: ResourceType) -> _Spellings:
    """What :func:`_canonical` accepts of ``rt``: its core and common
    attributes and its extensions, each spelled as the schema spells it."""

    def under(attrs: tuple[Attribute, ...]) -> _Spellings:
        return {a.name: _subs(a) for a in attrs}

    found: _Spellings = {"schemas": None}
    found.update(under(tuple(COMMON.values())))
    found.update(under(rt.schema.attributes))
    for ext in rt.extensions:
        if ext.id != rt.schema.id:
            found[ext.id] = under(ext.attributes)
    return found


def _subs(attr: Attribute) -> frozenset[str] | None:
    """The spellings :func:`fold_value` keeps as they are in ``attr``'s values."""
    if attr.type != "complex" or attr.mutability == "readOnly":
        return None
    return frozenset(s.name for s in attr.sub_attributes)


def _canonical(body: dict[Any, Any], rt: ResourceType) -> bool:
    """Whether every name in a POST/PUT body is already the schema's
    spelling of a core, common or extension attribute (or ``schemas``), at
    every depth :func:`fold_resource` folds: it would then return ``body``
    itself, and note nothing. Checking that is a set lookup per name, where
    folding looks each name up case-insensitively; a body that fails the
    check is folded as ever."""
    known = rt.derived(_spellings)
    for key, value in body.items():
        if key not in known:
            return False
        below = known[key]
        if below is None:
            continue
        if isinstance(below, frozenset):
            if not _canonical_value(value, below):
                return False
        elif isinstance(value, dict):  # an extension's object
            for name, raw in value.items():
                if name not in below:
                    return False
                subs = below[name]
                if subs is not None and not _canonical_value(raw, subs):
                    return False
    return True


def _canonical_value(value: Any, subs: frozenset[str]) -> bool:
    """Whether a complex value (or each element of a list of them) names
    only sub-attributes in ``subs``."""
    for element in value if isinstance(value, list) else (value,):
        if isinstance(element, dict) and not all(k in subs for k in element):
            return False
    return True


def fold_extension(value: Any, ext: Schema, *, lenient: bool, patch: bool = False) -> Any:
    """The object under an extension URN (RFC 7643 §3.3); ``patch``: a
    PATCH value, whose unknown names are kept for core.patch to refuse."""
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
                if not patch:
                    leniency.unknown_attribute(f"{ext.id}:{key}", lenient=lenient)
                    continue
            else:
                where = f"{ext.id}:{attr.name}"
                folded = fold_value(raw, attr, lenient=lenient, where=where, patch=patch)
                name = attr.name
        _put(out, name, folded)
    return same(value, out)


def fold_value(
    value: Any, attr: Attribute, *, lenient: bool, where: str, patch: bool = False
) -> Any:
    """A value of ``attr``: the sub-attribute names of a complex value, of
    each element when it is multi-valued (RFC 7643 §2.3.8, §2.4). A
    read-only attribute's value (``meta``, ``groups``) is ignored by the
    core whatever it holds (RFC 7643 §2.2), so it is not looked into."""
    if attr.type != "complex" or attr.mutability == "readOnly":
        return value
    if isinstance(value, list):
        out = [fold_element(v, attr, lenient=lenient, where=where, patch=patch) for v in value]
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return fold_element(value, attr, lenient=lenient, where=where, patch=patch)


def fold_element(
    value: Any, attr: Attribute, *, lenient: bool, where: str, patch: bool = False
) -> Any:
    """One complex value: its sub-attributes by their canonical names;
    names the schema lacks left out (lenient) or refused (strict) — in a
    PATCH value (``patch``) kept, for core.patch to refuse."""
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
            if sub is None and not patch:
                leniency.unknown_attribute(f"{where}.{key}", lenient=lenient)
                continue
            if sub is not None:
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
        return fold_extension(value, ext, lenient=lenient, patch=True)
    try:
        parsed = parse_path(path.strip())
    except (ScimError, ValueError):
        return value  # core.patch answers invalidPath
    if parsed.path.urn is not None and rt.schema_for(parsed.path.urn) is None:
        return value  # another vendor's schema: core.leniency.foreign_schema_path
    attr = _attribute(parsed.path.attr, parsed.path.urn, rt)
    if attr is None:
        return value  # core.patch answers an unknown attribute
    if parsed.path.sub is not None or parsed.sub is not None:
        return value  # a sub-attribute's value is simple
    if parsed.filter is not None:
        return fold_element(value, attr, lenient=lenient, where=path, patch=True)
    return fold_value(value, attr, lenient=lenient, where=path, patch=True)


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


def _attribute(name: str, urn: str | None, rt: ResourceType) -> Attribute | None:
    """The attribute ``[urn:]name`` is, an unqualified name of one extension
    included (whether to take it is core.leniency's to say, in the core)."""
    found = rt.attribute(name, urn)
    if found is None and urn is None and len(rt.unqualified(name)) == 1:
        found = rt.unqualified(name)[0]
    return found[1] if found else None


def _qualified(key: str, rt: ResourceType) -> Attribute | None:
    """``urn:...:User:manager``: the attribute a URN-qualified name is."""
    urn, _, name = key.rpartition(":")
    found = rt.attribute(name, urn) if urn and "." not in name else None
    return found[1] if found else None


def _put(out: dict[Any, Any], name: Any, value: Any) -> None:
    """Two spellings of one name are one attribute given twice (RFC 7643
    §2.1): 400 invalidValue, as core.resource answers for a POST."""
    if name in out:
        raise InvalidValue(f"'{name}' is given twice")
    out[name] = value


def same(before: Any, after: dict[Any, Any]) -> Any:
    """``before`` itself when folding changed nothing."""
    if len(after) == len(before) and all(k in before and before[k] is v for k, v in after.items()):
        return before
    return after
