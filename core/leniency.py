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
body are ignored (a PATCH path naming  URIs such as its ADSCIM
such a schema is 400 invalidPath in    Group one; custom
both modes, see below)                 extension attributes),
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
schema does not define is left out of  unmapped attribute),
a POST or PUT body (and Bulk's)        SCIM reference-code
                                       clients (``members``
                                       ``displayName`` for
                                       ``display``)
an extension attribute named without   Entra ID (``"path":        400 invalidPath
its schema URN (``department``,        "manager"`` in Microsoft's (body: 400
``manager``): the one extension that   article "Use SCIM to       invalidValue)
defines it; two that do → 400          automatically provision
invalidPath (invalidValue in a body)   users and groups")
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

No leniency lets a PATCH operation be answered 2xx without being applied:
a path (or a key of a path-less value, or of an extension's object) that
names no attribute of the resource type is 400 ``invalidPath`` in both
modes, and a name the schema lacks inside a PATCH value is 400
``invalidValue`` (RFC 7644 §3.5.2: an operation "not compatible with an
attribute's ... schema SHALL return" an error). A body attribute that a
POST or PUT leaves out is noted (:func:`note`) for the mock's journal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from scimdock.core.errors import (
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    UnsupportedMediaType,
    bad_request,
)
from scimdock.core.schema import Attribute, ResourceType, Schema


@dataclass(frozen=True)
class Rule:
    """One deviation from RFC 7643/7644 the server tolerates, as the mock's
    conformance notes report it (docs/mock.md). ``kind``: ``leniency``
    (strict mode refuses it) or ``accepted`` (taken in both modes, but a
    client that relies on it may fail against other service providers)."""

    id: str
    title: str
    rfc: str
    says: str
    senders: tuple[str, ...]
    kind: str = "leniency"

    def view(self) -> dict[str, Any]:
        return {
            "rule": self.id,
            "title": self.title,
            "rfc": self.rfc,
            "says": self.says,
            "knownSenders": list(self.senders),
            "kind": self.kind,
        }


_ENTRA, _OKTA = "Microsoft Entra ID", "Okta"
#: Every rule, by id: the one list of what the lenient server tolerates.
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "boolean-string",
            'a boolean sent as a string ("True")',
            "RFC 7643 §2.3.2",
            "A boolean is the JSON literal true or false.",
            (_ENTRA,),
        ),
        Rule(
            "complex-as-string",
            "a complex attribute sent as a bare string",
            "RFC 7643 §2.3.8",
            "A complex attribute's value is a JSON object.",
            (_ENTRA, _OKTA),
        ),
        Rule(
            "complex-as-array",
            "a single-valued complex attribute sent as an array",
            "RFC 7643 §2.3.8",
            "A single-valued complex attribute is one JSON object.",
            (_ENTRA, _OKTA),
        ),
        Rule(
            "single-for-multi",
            "a single value for a multi-valued attribute",
            "RFC 7643 §2.4",
            "A multi-valued attribute's value is a JSON array.",
            (),
        ),
        Rule(
            "foreign-schema",
            "a schema URI the resource type does not have",
            "RFC 7643 §3",
            "Extension attributes are under a schema of the resource type.",
            (_ENTRA,),
        ),
        Rule(
            "unqualified-extension",
            "an extension attribute named without its schema URN",
            "RFC 7644 §3.10",
            "Clients SHOULD qualify an extension attribute with its schema URN"
            " (urn:…:enterprise:2.0:User:manager); in a resource body it sits inside the"
            " extension's object (RFC 7643 §3.3).",
            (_ENTRA,),
        ),
        Rule(
            "remove-with-value",
            "a remove operation with a value",
            "RFC 7644 §3.5.2.2",
            "remove takes a path (with a value filter to pick elements), no value.",
            (_ENTRA,),
        ),
        Rule(
            "extension-schemas",
            "schemas inside an extension's object",
            "RFC 7643 §3.3",
            "schemas is a top-level attribute of the resource only.",
            ("scim2-models clients",),
        ),
        Rule(
            "read-only-in-patch",
            "id, meta or schemas in a PATCH value",
            "RFC 7644 §3.5.2",
            "Read-only attributes cannot be modified (400 mutability).",
            (_OKTA,),
        ),
        Rule(
            "replace-no-match",
            "replace through a value filter that matches nothing",
            "RFC 7644 §3.5.2.3",
            "No element matches the filter: 400 noTarget.",
            (_ENTRA,),
        ),
        Rule(
            "unknown-attribute",
            "an attribute the schema does not define",
            "RFC 7643 §2.1",
            "A resource's attributes are those of its schemas (/Schemas).",
            (_ENTRA,),
        ),
        Rule(
            "manager-id",
            "manager.managerId for manager.value",
            "RFC 7643 §4.3",
            "The enterprise manager's id is its value sub-attribute (SCIM 1.1 had managerId).",
            ("Microsoft SCIM reference code",),
        ),
        Rule(
            "no-content-type",
            "a body without Content-Type",
            "RFC 7644 §3.8",
            "Clients SHOULD send application/scim+json; an unlabelled body is"
            " application/octet-stream (RFC 9110 §8.3).",
            (_OKTA,),
        ),
        Rule(
            "endpoint-case",
            "an endpoint in another letter case (/users)",
            "RFC 7644 §3.2",
            "The endpoints are /Users and /Groups (URL paths are case-sensitive, RFC 3986"
            " §6.2.2.1).",
            (),
        ),
        Rule(
            "op-case",
            'a PATCH op in capitals ("Replace")',
            "RFC 7644 §3.5.2",
            'op is one of "add", "remove" or "replace".',
            (_ENTRA,),
            "accepted",
        ),
        Rule(
            "media-type-json",
            "Content-Type application/json",
            "RFC 7644 §3.8",
            "Clients SHOULD send application/scim+json.",
            (_OKTA, "SCIM 1.1 clients"),
            "accepted",
        ),
        Rule(
            "client-sent-read-only",
            "id or meta sent in a POST or PUT body",
            "RFC 7643 §3.1",
            "id and meta are issued by the service provider; values sent are ignored.",
            (_ENTRA, _OKTA),
            "accepted",
        ),
        Rule(
            "missing-schemas",
            "a body without schemas",
            "RFC 7643 §3",
            "schemas is REQUIRED in every resource and message (RFC 7644 §3.5.2: the PatchOp URI).",
            (),
            "accepted",
        ),
        Rule(
            "name-case",
            "an attribute name in another letter case",
            "RFC 7643 §2.1",
            "Names are case-insensitive, but some service providers compare them exactly.",
            ("clients built on Microsoft's SCIM reference code",),
            "accepted",
        ),
    )
}

_applied: ContextVar[list[str] | None] = ContextVar("scimdock_leniencies", default=None)


@contextmanager
def noting() -> Iterator[list[str]]:
    """While the block runs, the id of each rule applied (:func:`note`) is
    appended to the list yielded (one per request: scimdock.mock.journal)."""
    found: list[str] = []
    token = _applied.set(found)
    try:
        yield found
    finally:
        _applied.reset(token)


def note(rule: str) -> None:
    """Say that ``rule`` (a key of :data:`RULES`) was applied to this
    request; nothing unless someone is :func:`noting`."""
    found = _applied.get()
    if found is not None:
        found.append(rule)


def untyped_body(*, lenient: bool) -> None:
    """A body without ``Content-Type``: read as JSON when lenient, else 415
    (RFC 9110 §8.3 lets it be taken as application/octet-stream)."""
    if not lenient:
        raise UnsupportedMediaType(
            "The request body has no Content-Type; send it as application/scim+json"
            " (RFC 7644 §3.1)",
        )
    note("no-content-type")


_BOOLEANS = {"true": True, "false": False}


def coerce_boolean(value: Any, *, lenient: bool) -> Any:
    """``"True"``/``"FALSE"`` → bool when lenient (RFC 7643 §2.3.2 wants JSON
    ``true``/``false``); anything else is returned unchanged."""
    if lenient and isinstance(value, str) and value.lower() in _BOOLEANS:
        note("boolean-string")
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
        note("complex-as-string")
        return {"value": value}
    if isinstance(value, list) and len(value) == 1:
        note("complex-as-array")
        return value[0]
    return value


def wrap_multi(value: Any, *, lenient: bool) -> Any:
    """A single value for a multi-valued attribute becomes ``[value]``
    (RFC 7643 §2.4 wants a JSON array)."""
    if lenient and not isinstance(value, list):
        note("single-for-multi")
        return [value]
    return value


def foreign_schema_key(key: str, *, lenient: bool) -> None:
    """A body key that is a schema URI none of the resource type's schemas
    has: ignored when lenient, 400 invalidValue otherwise (RFC 7643 §3)."""
    if not lenient:
        raise InvalidValue(f"'{key}' is not a schema of this resource type")
    note("foreign-schema")


def unqualified_extension(
    name: str, rt: ResourceType, *, lenient: bool, scim_type: str
) -> tuple[Schema, Attribute] | None:
    """The extension attribute a name without schema URN means: Entra ID
    sends ``{"op": "Add", "path": "manager", ...}`` (Microsoft, "Use SCIM
    to automatically provision users and groups"). None when no extension
    of ``rt`` defines ``name`` (or it is a core attribute). Strict mode
    refuses the unqualified name (RFC 7644 §3.10: extension attributes are
    qualified by their schema URN), and a name two extensions define is
    refused in both modes rather than guessed; ``scim_type`` is
    ``invalidPath`` for a PATCH path, ``invalidValue`` for a body key."""
    found = rt.unqualified(name)
    if not found:
        return None
    qualified = " or ".join(f"'{s.id}:{a.name}'" for s, a in found)
    if len(found) > 1:
        raise bad_request(scim_type, f"'{name}' is ambiguous: name it {qualified}")
    if not lenient:
        raise bad_request(
            scim_type, f"'{name}' is an extension attribute: name it {qualified} (RFC 7644 §3.10)"
        )
    note("unqualified-extension")
    return found[0]


def extension_schemas_key(ext_id: str, *, lenient: bool) -> None:
    """``{"urn:...:enterprise:2.0:User": {"schemas": [...], ...}}``: the
    inner ``schemas`` is ignored when lenient; strict mode names it as the
    unknown attribute it is (RFC 7643 §3.3 has no such key)."""
    if not lenient:
        raise InvalidValue(f"unknown attribute '{ext_id}:schemas'")
    note("extension-schemas")


def provider_owned_in_value(key: str, *, lenient: bool) -> None:
    """A PATCH without ``path`` whose value object carries ``id``, ``meta``
    or ``schemas`` (Okta's group rename repeats the id): ignored when
    lenient, as a PUT body's would be (RFC 7643 §3.1); strict mode refuses
    to modify them (RFC 7644 §3.5.2: 400 mutability)."""
    if not lenient:
        raise Mutability(f"'{key}' cannot be modified")
    note("read-only-in-patch")


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
        raise InvalidSyntax("'value' is not allowed in a 'remove' operation")
    note("remove-with-value")


def ignore_remove_value(*, lenient: bool) -> None:
    """``remove`` with a ``value`` on a target other than a whole
    multi-valued attribute: the value is ignored when lenient."""
    if not lenient:
        raise InvalidSyntax("'value' is not allowed in a 'remove' operation")
    note("remove-with-value")


def replace_without_match(where: str, *, lenient: bool) -> None:
    """``replace`` through a value filter that matched no element: lenient
    mode goes on to create the element, strict mode fails as RFC 7644
    §3.5.2.3 requires (400 noTarget)."""
    if not lenient:
        raise NoTarget(f"no value matches '{where}'")
    note("replace-no-match")


#: Sub-attribute names of older clients, by attribute: SCIM 1.1's
#: enterprise ``manager`` had ``managerId`` where RFC 7643 §4.3 has
#: ``value`` (Microsoft's SCIM reference code still names it).
_ALIASES: dict[tuple[str, str], str] = {("manager", "managerid"): "value"}


def unknown_attribute(where: str, *, lenient: bool) -> None:
    """An attribute (``where``: its name, ``attr.sub`` for a sub-attribute)
    that the schema does not define, in a POST or PUT body (PATCH refuses
    it in both modes: :mod:`core.names`): left out when lenient, so that one
    misspelled or unmapped attribute does not fail every update of a user
    (an identity provider then quarantines the whole job); 400
    invalidValue otherwise (RFC 7643 §2.1, RFC 7644 §3.12)."""
    if not lenient:
        raise InvalidValue(f"unknown attribute '{where}'")
    note("unknown-attribute")


def sub_attribute_alias(attr: Attribute, key: str, *, lenient: bool) -> str | None:
    """The RFC 7643 name of an older client's sub-attribute name, when
    lenient: ``manager.managerId`` is ``manager.value``."""
    if not lenient:
        return None
    found = _ALIASES.get((attr.name.lower(), key.lower()))
    if found is not None:
        note("manager-id")
    return found
