"""Every departure from strict RFC 7643/7644 input handling, in one place.

Each function below takes ``lenient``; with ``lenient=False`` it either
returns its input unchanged (so the strict type checks of
:mod:`core.values` reject it) or raises the error the RFC calls for.
No other module of resource validation or PATCH is lenient (filter
literals have their own switch in :mod:`core.filter.resolve`).

=====================================  =========================  ==================
Leniency                               Needed by                  Strict mode
=====================================  =========================  ==================
``"True"`` / ``"false"`` (any case)    Entra ID: ``active`` in    400 invalidValue
for a boolean                          PATCH, ``"primary":
                                       "True"`` in elements
bare string for a complex attribute    Entra ID, Okta:            400 invalidValue
with a ``value`` sub-attribute         ``"manager": "<id>"``
(``{"value": s}``)
one-element array for a single-valued  Entra ID, Okta:            400 invalidValue
complex attribute                      ``"manager": [{...}]``
single value for a multi-valued        clients that send one      400 invalidValue
attribute (becomes a one-element       object, e.g. PATCH ``add``
array)                                 of one member or email
unknown schema-URI keys in a resource  Entra ID (extra schema     400 invalidValue
body are ignored; PATCH operations     URIs such as its ADSCIM    (PATCH: 400
whose path names such a schema are     Group one; custom          invalidPath)
skipped                                extension attributes),
                                       other vendors' extensions
``remove`` with a ``value`` on a       Entra ID group membership  400 invalidSyntax
multi-valued attribute removes only    (tenants without
the listed elements; on any other      ``aadOptscim062020``)
target the ``value`` is ignored
``schemas`` inside an extension's      python-scim clients         400 invalidValue
object is ignored                      (scim2-models serialises
                                       an extension with its own
                                       ``schemas``)
``id``, ``meta``, ``schemas`` keys in   Okta: group rename sends   400 mutability
a PATCH value object without a path    ``{"op": "replace",
are ignored                            "value": {"id": ..,
                                       "displayName": ..}}``
``replace`` through a value filter     Entra ID sends ``Add`` and 400 noTarget
that matches nothing creates the       ``Replace`` interchangeably (RFC 7644
element from the filter's ``eq``       for ``emails[type eq       §3.5.2.3)
comparisons                            "work"].value``
an attribute or sub-attribute the      Entra ID (a misspelled or  400 invalidValue
schema does not define is left out     unmapped attribute),       (PATCH path: 400
(POST, PUT, PATCH values, Bulk); a     SCIM reference-code        invalidPath)
PATCH operation whose path names one   clients (``members``
is skipped                             ``displayName`` for
                                       ``display``)
``managerId`` for ``manager.value``    SCIM 1.1 clients and       400 invalidValue
                                       Microsoft's SCIM reference
                                       code (its ``ManagerId``
                                       attribute name)
a request body without a               clients that send JSON     415 (RFC 9110
``Content-Type`` is read as JSON       without labelling it       §8.3: no type is
                                                                  octet-stream)
resource endpoints match in any        clients that lower-case    404
letter case (``/users``)               the path
=====================================  =========================  ==================

RFC 7644 §3.12 defines the ``scimType`` values used in strict mode. The
``remove``-with-``value`` form is not described by RFC 7644 §3.5.2.2 at
all; strict mode treats it as a malformed operation (``invalidSyntax``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scimdock.core.errors import bad_request
from scimdock.core.schema import Attribute

_BOOLEANS = {"true": True, "false": False}


def coerce_boolean(value: Any, *, lenient: bool) -> Any:
    """``"True"``/``"FALSE"`` → bool when lenient (RFC 7643 §2.3.2 wants JSON
    ``true``/``false``); anything else is returned unchanged."""
    if lenient and isinstance(value, str) and value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    return value


def unwrap_complex(value: Any, attr: Attribute, *, lenient: bool) -> Any:
    """A single-valued complex value sent as a bare string or a one-element
    array (RFC 7643 §2.3.8 wants a JSON object).

    A string becomes ``{"value": s}`` when the attribute has a ``value``
    sub-attribute (``manager``); ``[x]`` becomes ``x``.
    """
    if not lenient or attr.multi_valued:
        return value
    if isinstance(value, str) and attr.sub("value") is not None:
        return {"value": value}
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def wrap_multi(value: Any, *, lenient: bool) -> Any:
    """A single value for a multi-valued attribute becomes ``[value]``
    (RFC 7643 §2.4 wants a JSON array)."""
    if lenient and not isinstance(value, list):
        return [value]
    return value


def foreign_schema_key(key: str, *, lenient: bool) -> None:
    """A body key that is a schema URI none of the resource type's schemas
    has: ignored when lenient, 400 invalidValue otherwise (RFC 7643 §3)."""
    if not lenient:
        raise bad_request("invalidValue", f"'{key}' is not a schema of this resource type")


def foreign_schema_path(urn: str, text: str, *, lenient: bool) -> None:
    """A PATCH ``path`` (or key of a path-less value) qualified by a schema
    URI none of the resource type's schemas has, e.g. an Entra custom
    extension attribute: the operation is skipped when lenient, as the same
    attribute is ignored in a POST or PUT body (:func:`foreign_schema_key`),
    so an IdP's creates and updates agree; 400 invalidPath otherwise
    (RFC 7644 §3.5.2)."""
    if not lenient:
        raise bad_request("invalidPath", f"'{text}': unknown schema '{urn}'")


def extension_schemas_key(ext_id: str, *, lenient: bool) -> None:
    """``{"urn:...:enterprise:2.0:User": {"schemas": [...], ...}}``: the
    inner ``schemas`` is ignored when lenient; strict mode names it as the
    unknown attribute it is (RFC 7643 §3.3 has no such key)."""
    if not lenient:
        raise bad_request("invalidValue", f"unknown attribute '{ext_id}:schemas'")


def provider_owned_in_value(key: str, *, lenient: bool) -> None:
    """A PATCH without ``path`` whose value object carries ``id``, ``meta``
    or ``schemas`` (Okta's group rename repeats the id): ignored when
    lenient, as a PUT body's would be (RFC 7643 §3.1); strict mode refuses
    to modify them (RFC 7644 §3.5.2: 400 mutability)."""
    if not lenient:
        raise bad_request("mutability", f"'{key}' cannot be modified")


def remove_listed(
    current: list[Any],
    listed: list[Any],
    same: Callable[[Any, Any], bool],
    *,
    lenient: bool,
) -> list[Any]:
    """Entra ID's ``{"op": "remove", "path": "members", "value": [...]}``:
    the elements of ``current`` that ``same`` pairs with one of ``listed``
    are removed, all others kept. Strict mode: 400 invalidSyntax."""
    check_remove_listed(lenient=lenient)
    return [e for e in current if not any(same(e, x) for x in listed)]


def check_remove_listed(*, lenient: bool) -> None:
    """The :func:`remove_listed` leniency for callers that remove the listed
    elements themselves, by key (Group ``members``, kept as rows by the
    store, :mod:`core.membership`): allowed when lenient, 400 invalidSyntax
    in strict mode."""
    if not lenient:
        raise bad_request("invalidSyntax", "'value' is not allowed in a 'remove' operation")


def ignore_remove_value(*, lenient: bool) -> None:
    """``remove`` with a ``value`` on a target other than a whole
    multi-valued attribute: the value is ignored when lenient."""
    if not lenient:
        raise bad_request("invalidSyntax", "'value' is not allowed in a 'remove' operation")


def replace_without_match(where: str, *, lenient: bool) -> None:
    """``replace`` through a value filter that matched no element: lenient
    mode goes on to create the element, strict mode fails as RFC 7644
    §3.5.2.3 requires (400 noTarget)."""
    if not lenient:
        raise bad_request("noTarget", f"no value matches '{where}'")


#: Sub-attribute names of older clients, by attribute: SCIM 1.1's
#: enterprise ``manager`` had ``managerId`` where RFC 7643 §4.3 has
#: ``value`` (Microsoft's SCIM reference code still names it).
_ALIASES: dict[tuple[str, str], str] = {("manager", "managerid"): "value"}


def unknown_attribute(where: str, *, lenient: bool) -> None:
    """An attribute (``where``: its name, ``attr.sub`` for a sub-attribute)
    that the schema does not define: left out when lenient, so that one
    misspelled or unmapped attribute does not fail every update of a user
    (an identity provider then quarantines the whole job); 400
    invalidValue otherwise (RFC 7643 §2.1, RFC 7644 §3.12)."""
    if not lenient:
        raise bad_request("invalidValue", f"unknown attribute '{where}'")


def unknown_path(text: str, *, lenient: bool) -> None:
    """A PATCH ``path`` naming an attribute the schema does not define:
    the operation is skipped when lenient, as the attribute is left out of
    a POST or PUT body (:func:`unknown_attribute`); 400 invalidPath
    otherwise (RFC 7644 §3.5.2)."""
    if not lenient:
        raise bad_request("invalidPath", f"unknown attribute '{text}'")


def sub_attribute_alias(attr: Attribute, key: str, *, lenient: bool) -> str | None:
    """The RFC 7643 name of an older client's sub-attribute name, when
    lenient: ``manager.managerId`` is ``manager.value``."""
    if not lenient:
        return None
    return _ALIASES.get((attr.name.lower(), key.lower()))
