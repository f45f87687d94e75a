"""Per-tenant schema extensions (RFC 7643 §3.3 extensions, §6
``schemaExtensions``, §7 schema definitions).

A tenant's administrator registers an extension schema for User or Group
in the form ``/Schemas`` shows one (RFC 7643 §7). :func:`parse_definition`
checks it and returns a :class:`~scimdock.core.schema.Schema`;
:func:`with_extensions` gives the tenant's resource type: the server's
(core schema, enterprise extension) plus the tenant's extensions, which
every other part of the core (validation, PATCH, filters, projection,
``/Schemas``, ``/ResourceTypes``) reads as it reads the built-in ones.

Rules beyond RFC 7643 §7, so that what ``/Schemas`` says is what the
server does:

* ``id`` is a URN (RFC 8141) of letters, digits and ``._-`` between its
  colons; it may not be, contain or lie inside a URN the server defines
  (``urn:ietf:params:scim:schemas:core:``, ``urn:ietf:params:scim:api:``,
  the enterprise User extension), nor nest with another of the tenant's;
* attribute names follow RFC 7643 §2.1 (``ATTRNAME``), unique
  case-insensitively; complex attributes have sub-attributes, which are
  not complex (RFC 7643 §2.3.8); characteristics default as RFC 7643 §2.2
  says;
* ``uniqueness`` must be ``none``: the server enforces uniqueness only for
  ``userName`` and a Group's ``displayName``, and does not claim more;
* unknown keys in a definition are an error (a misspelt ``multivalued``
  would otherwise be silently a single value).

Every problem is a 400 ``invalidValue`` naming the offending part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from scimdock.core.errors import InvalidValue, ScimError, Uniqueness
from scimdock.core.schema import Attribute, ResourceType, Schema

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
#: URNs of the server's own: the core schemas and messages (RFC 7643 §3,
#: RFC 7644 §3) and the enterprise User extension (RFC 7643 §4.3).
RESERVED = (
    "urn:ietf:params:scim:schemas:core:",
    "urn:ietf:params:scim:api:",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
)
#: Most extensions one tenant may register, attributes per schema and
#: sub-attributes per attribute: bounds on what each request walks.
MAX_EXTENSIONS = 50
MAX_ATTRIBUTES = 200
_URN = re.compile(r"[Uu][Rr][Nn]:[A-Za-z0-9][A-Za-z0-9-]{0,31}(:[A-Za-z0-9._-]+)+", re.ASCII)
_ATTRNAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}", re.ASCII)  # RFC 7643 §2.1
_TYPES = ("string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary")
_MUTABILITY = ("readOnly", "readWrite", "immutable", "writeOnly")
_RETURNED = ("always", "never", "default", "request")
_SCHEMA_KEYS = ("id", "name", "description", "attributes", "schemas", "meta")
_ATTR_KEYS = {
    k.lower(): k
    for k in (
        "name",
        "type",
        "multiValued",
        "description",
        "required",
        "caseExact",
        "mutability",
        "returned",
        "uniqueness",
        "canonicalValues",
        "referenceTypes",
        "subAttributes",
    )
}


def _invalid(detail: str) -> ScimError:
    return InvalidValue(f"Invalid schema definition: {detail}")


def check_urn(urn: Any) -> str:
    """A usable extension URN (module docstring), or 400 ``invalidValue``."""
    if not isinstance(urn, str) or not _URN.fullmatch(urn):
        raise _invalid(
            f"'id' must be a URN such as 'urn:ietf:params:scim:schemas:extension:"
            f"acme:2.0:User' (letters, digits and '._-' between colons), not {urn!r}"
        )
    low = urn.lower()
    for reserved in RESERVED:
        if low.startswith(reserved) or reserved.startswith(low + ":") or low == reserved:
            raise _invalid(f"'{urn}' is a URN of the server's own schemas (RFC 7643 §3, §4)")
    return urn


def check_no_clash(urn: str, registered: Iterable[str]) -> None:
    """A URN equal to (case-insensitively) or nested in another of the
    tenant's would make ``urn:...:attr`` paths ambiguous (RFC 7644 §3.10)."""
    low = urn.lower()
    for other in registered:
        o = other.lower()
        if o == low:
            raise Uniqueness(f"extension '{other}' is already registered")
        if low.startswith(o + ":") or o.startswith(low + ":"):
            raise _invalid(f"'{urn}' and the registered '{other}' nest in each other")


def parse_definition(body: Any) -> Schema:
    """An RFC 7643 §7 schema definition as a :class:`Schema`."""
    if not isinstance(body, dict):
        raise _invalid("a schema definition is a JSON object")
    for key in body:
        if key not in _SCHEMA_KEYS:
            raise _invalid(f"unknown key {key!r} (expected {', '.join(_SCHEMA_KEYS)})")
    urn = check_urn(body.get("id"))
    name = _text(body, "name", urn.rsplit(":", 1)[-1], "schema")
    description = _text(body, "description", "", "schema")
    attrs = body.get("attributes")
    if not isinstance(attrs, list) or not attrs:
        raise _invalid("'attributes' must be a non-empty array")
    return Schema(urn, name, description, _attributes(attrs, "", top=True))


def _text(body: dict[str, Any], key: str, default: str, where: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > 1024:
        raise _invalid(f"'{key}' of {where} must be a string of at most 1024 characters")
    return value


def _attributes(items: list[Any], parent: str, *, top: bool) -> tuple[Attribute, ...]:
    if len(items) > MAX_ATTRIBUTES:
        raise _invalid(f"at most {MAX_ATTRIBUTES} attributes per schema or complex attribute")
    out: list[Attribute] = []
    seen: set[str] = set()
    for item in items:
        attr = _attribute(item, parent, top=top)
        if attr.name.lower() in seen:
            raise _invalid(f"attribute '{parent}{attr.name}' is defined twice (RFC 7643 §2.1)")
        seen.add(attr.name.lower())
        out.append(attr)
    return tuple(out)


def _attribute(item: Any, parent: str, *, top: bool) -> Attribute:
    if not isinstance(item, dict):
        raise _invalid(f"each attribute of '{parent or 'attributes'}' must be a JSON object")
    raw: dict[str, Any] = {}
    for key, value in item.items():
        canonical = _ATTR_KEYS.get(key.lower()) if isinstance(key, str) else None
        if canonical is None:
            raise _invalid(f"unknown attribute characteristic {key!r} (RFC 7643 §7)")
        raw[canonical] = value
    name = raw.get("name")
    if not isinstance(name, str) or not _ATTRNAME.fullmatch(name):
        raise _invalid(
            f"attribute name {name!r} must be a letter then letters, digits, '-' or '_'"
            " (RFC 7643 §2.1)"
        )
    where = f"{parent}{name}"
    kind = _choice(raw, "type", _TYPES, "string", where)
    mutability = _choice(raw, "mutability", _MUTABILITY, "readWrite", where)
    returned = _choice(raw, "returned", _RETURNED, "default", where)
    uniqueness = _choice(raw, "uniqueness", ("none", "server", "global"), "none", where)
    if uniqueness != "none":
        raise _invalid(
            f"'{where}': uniqueness {uniqueness!r} is not enforced for extension"
            " attributes; use 'none'"
        )
    required = _flag(raw, "required", where)
    if required and mutability == "readOnly":
        raise _invalid(f"'{where}' cannot be both required and readOnly: no client could set it")
    subs: tuple[Attribute, ...] = ()
    if kind == "complex":
        if not top:
            raise _invalid(f"'{where}': a sub-attribute cannot be complex (RFC 7643 §2.3.8)")
        listed = raw.get("subAttributes")
        if not isinstance(listed, list) or not listed:
            raise _invalid(f"'{where}' is complex: 'subAttributes' must be a non-empty array")
        subs = _attributes(listed, f"{where}.", top=False)
    elif raw.get("subAttributes"):
        raise _invalid(f"'{where}' is {kind}: only complex attributes have subAttributes")
    return Attribute(
        name,
        kind,
        multi_valued=_flag(raw, "multiValued", where),
        required=required,
        case_exact=_flag(raw, "caseExact", where),
        mutability=mutability,
        returned=returned,
        canonical_values=_strings(raw, "canonicalValues", where),
        reference_types=_strings(raw, "referenceTypes", where),
        sub_attributes=subs,
        description=_text(raw, "description", "", f"'{where}'"),
    )


def _choice(
    raw: dict[str, Any], key: str, allowed: tuple[str, ...], default: str, where: str
) -> str:
    value = raw.get(key, default)
    if value not in allowed:
        raise _invalid(f"'{where}': {key} must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _flag(raw: dict[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _invalid(f"'{where}': {key} must be true or false, not {value!r}")
    return value


def _strings(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(f"'{where}': {key} must be an array of strings")
    return tuple(value)


def definition(schema: Schema) -> dict[str, Any]:
    """The definition as stored and shown: RFC 7643 §7 without ``meta``."""
    return {
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [a.to_dict() for a in schema.attributes],
    }


def with_extensions(base: ResourceType, extensions: Iterable[tuple[Schema, bool]]) -> ResourceType:
    """``base`` with a tenant's extensions (``(schema, required)``, RFC 7643
    §6 ``schemaExtensions``) after its own."""
    added = tuple(extensions)
    if not added:
        return base
    return ResourceType(
        base.id,
        base.endpoint,
        base.schema,
        (*base.extensions, *(s for s, _ in added)),
        base.description,
        required_extensions=base.required_extensions
        | frozenset(s.id for s, required in added if required),
    )


def case_exact_user_name(rt: ResourceType) -> ResourceType:
    """The User resource type with ``userName`` caseExact true (RFC 7643
    §2.2, §7): what filters, sorts and /Schemas follow for a tenant whose
    schema says so (``TenantSchema.user_name_case_exact``, set by a
    mock behaviour profile's ``userNameCaseExact``)."""
    attributes = tuple(
        replace(a, case_exact=True) if a.name == "userName" else a for a in rt.schema.attributes
    )
    return replace(rt, schema=replace(rt.schema, attributes=attributes))


def keep_unregistered(old: dict[str, Any], new: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """``new`` with the values ``old`` holds under extension URNs ``rt`` no
    longer has: an extension removed from the tenant keeps its stored
    values, unserved, until it is registered again."""
    kept = {k: v for k, v in old.items() if k.startswith("urn:") and rt.schema_for(k) is None}
    return {**new, **kept} if kept else new
