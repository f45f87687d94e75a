"""Resource bodies of POST and PUT → the stored document ("doc").

RFC 7643 §2 (attribute names and characteristics), §4 (User, Group),
RFC 7644 §3.3 (create) and §3.5.1 (replace). A doc holds core attributes
top-level under their canonical names and extension attributes under the
extension URN; it has no ``id``, ``meta``, ``schemas``, ``password``,
readOnly attribute or empty value.
"""

from __future__ import annotations

from typing import Any

from scimdock.core import leniency
from scimdock.core.errors import InvalidSyntax, InvalidValue, Mutability
from scimdock.core.identity import normalize_identity
from scimdock.core.schema import Attribute, ResourceType, Schema
from scimdock.core.values import (
    check_required,
    is_unassigned,
    normalize_value,
    read,
    same_value,
    write,
)

#: Keys the service provider owns or the caller checks (RFC 7643 §3, §3.1).
_IGNORED = frozenset({"id", "meta", "schemas"})


def normalize_resource(
    body: dict[str, Any], rt: ResourceType, *, lenient: bool = True
) -> dict[str, Any]:
    """Validate a POST/PUT body and return its doc.

    - names are case-insensitive (RFC 7643 §2.1) and come back canonical;
    - ``id``, ``meta``, ``schemas`` are ignored (RFC 7643 §3.1: assigned by
      the service provider; ``schemas`` is the caller's concern);
    - readOnly attributes are ignored (RFC 7643 §2.2), ``password``
      (writeOnly) is accepted and discarded;
    - ``null`` and empty values mean unassigned (RFC 7643 §2.5);
    - an unknown attribute or a wrongly typed value → 400 invalidValue;
    - a key naming a schema this resource type does not have is ignored
      when ``lenient`` (Entra ID), 400 invalidValue otherwise;
    - a top-level key that is no core attribute but one extension's
      (``department``) is that attribute when ``lenient``
      (:func:`core.leniency.unqualified_extension`);
    - required attributes must have a value (RFC 7643 §2.2) → 400
      invalidValue.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("the resource must be a JSON object")
    doc: dict[str, Any] = {}
    objects: set[str] = set()
    for key, value in body.items():
        if not isinstance(key, str):
            raise InvalidValue(f"attribute name {key!r} is not a string")
        if key.lower() in _IGNORED:
            continue
        ext = _extension(key, rt)
        if ext is not None:
            if ext.id in objects:
                raise InvalidValue(f"'{ext.id}' is given twice")
            objects.add(ext.id)
            _put_extension(doc, ext, value, rt, lenient=lenient)
        elif ":" in key:
            _schema_key(key, rt, lenient=lenient)
        else:
            found = rt.attribute(key) or leniency.unqualified_extension(
                key, rt, lenient=lenient, scim_type="invalidValue"
            )
            if found is None:
                raise InvalidValue(f"unknown attribute '{key}'")
            schema, attr = found
            where = attr.name if schema is rt.schema else f"{schema.id}:{attr.name}"
            _put(doc, schema, attr, value, rt, lenient=lenient, where=where)
    check_required(doc, rt)
    normalize_identity(doc, rt)
    return doc


def _extension(key: str, rt: ResourceType) -> Schema | None:
    if ":" not in key:  # every schema id is a URN
        return None
    schema = rt.schema_for(key)
    return schema if schema is not None and schema.id != rt.schema.id else None


def _schema_key(key: str, rt: ResourceType, *, lenient: bool) -> None:
    """A key with a ``:`` that is not an extension URN: a URN-qualified
    attribute name (accepted only by PATCH, RFC 7644 §3.5.2) or a schema
    this resource type lacks (see :func:`core.leniency.foreign_schema_key`)."""
    low = key.lower()
    for schema in rt.schemas:
        if low == schema.id.lower() or low.startswith(schema.id.lower() + ":"):
            raise InvalidValue(
                f"'{key}': core attributes go top-level and extension attributes "
                "inside an object under their schema URN",
            )
    leniency.foreign_schema_key(key, lenient=lenient)


def _put_extension(
    doc: dict[str, Any], ext: Schema, value: Any, rt: ResourceType, *, lenient: bool
) -> None:
    """An extension's attributes, nested under its URN (RFC 7643 §3.3)."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidValue(f"'{ext.id}' must be a JSON object")
    for key, raw in value.items():
        if isinstance(key, str) and key.lower() == "schemas":
            leniency.extension_schemas_key(ext.id, lenient=lenient)
            continue
        attr = ext.attribute(key) if isinstance(key, str) else None
        if attr is None:
            raise InvalidValue(f"unknown attribute '{ext.id}:{key}'")
        _put(doc, ext, attr, raw, rt, lenient=lenient, where=f"{ext.id}:{attr.name}")


def _put(
    doc: dict[str, Any],
    schema: Schema,
    attr: Attribute,
    value: Any,
    rt: ResourceType,
    *,
    lenient: bool,
    where: str,
) -> None:
    if attr.mutability in ("readOnly", "writeOnly"):
        return  # RFC 7643 §2.2: readOnly values are ignored; password discarded
    if read(doc, schema, attr, rt) is not None:
        raise InvalidValue(f"'{where}' is given twice")
    write(doc, schema, attr, rt, normalize_value(value, attr, lenient=lenient, where=where))


def replace_resource(
    old: dict[str, Any], body: dict[str, Any], rt: ResourceType, *, lenient: bool = True
) -> dict[str, Any]:
    """PUT (RFC 7644 §3.5.1): the body replaces the resource.

    Attributes not sent are cleared. An immutable attribute (or immutable
    sub-attribute of a single-valued complex attribute) that has a value in
    ``old`` must come back unchanged → otherwise 400 mutability; if it is
    omitted the old value is kept (it cannot be cleared, and omission is
    "not asserted" in §3.5.1). Immutable sub-attributes of multi-valued
    attributes (``members.value``) are per element: PUT may add and drop
    elements.
    """
    new = normalize_resource(body, rt, lenient=lenient)
    for schema in rt.schemas:
        for attr in schema.attributes:
            before = read(old, schema, attr, rt)
            if before is None:
                continue
            after = read(new, schema, attr, rt)
            write(new, schema, attr, rt, _keep_immutable(attr, before, after))
    return new


def _keep_immutable(attr: Attribute, before: Any, after: Any) -> Any:
    where = attr.name
    if attr.mutability == "immutable":
        if after is None:
            return before
        if not same_value(before, after, attr):
            raise Mutability(f"'{where}' is immutable")
        return after
    if attr.type != "complex" or attr.multi_valued or not isinstance(before, dict):
        return after
    merged = dict(after or {})
    for sub in attr.sub_attributes:
        old_v = before.get(sub.name)
        if sub.mutability != "immutable" or old_v is None:
            continue
        if sub.name not in merged:
            merged[sub.name] = old_v
        elif not same_value(old_v, merged[sub.name], sub):
            raise Mutability(f"'{where}.{sub.name}' is immutable")
    return merged or None


def changed_attributes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Top-level attributes whose value differs between two docs, sorted;
    extension attributes as ``<urn>:<name>`` (for the audit log)."""
    names: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if key.startswith("urn:") and isinstance(a or {}, dict) and isinstance(b or {}, dict):
            a, b = a or {}, b or {}
            names.extend(f"{key}:{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
        elif a != b:
            names.append(key)
    return names


def schemas_for(doc: dict[str, Any], rt: ResourceType) -> list[str]:
    """The ``schemas`` of the representation (RFC 7643 §3): the core schema
    and each extension that has a value in ``doc``."""
    return [rt.schema.id, *(s.id for s in rt.extensions if not is_unassigned(doc.get(s.id)))]
