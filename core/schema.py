"""The one schema definition (RFC 7643 §2, §4, §7, §8.7).

Validation, PATCH, projection, filter typing and the ``/Schemas`` and
``/ResourceTypes`` endpoints all read these objects; nothing else in the
code base describes an attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@dataclass(frozen=True)
class Attribute:
    """An attribute definition with the characteristics of RFC 7643 §2.2 and §7."""

    name: str
    type: str = "string"  # string boolean decimal integer dateTime reference complex binary
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"  # readOnly readWrite immutable writeOnly
    returned: str = "default"  # always never default request
    uniqueness: str = "none"  # none server global
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple["Attribute", ...] = ()
    description: str = ""

    def sub(self, name: str) -> "Attribute | None":
        """Sub-attribute by case-insensitive name (RFC 7643 §2.1)."""
        return _by_name(self.sub_attributes).get(name.lower())

    def to_dict(self) -> dict[str, Any]:
        """The attribute as ``/Schemas`` shows it (RFC 7643 §7)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        }
        if self.type in ("string", "reference", "binary"):
            out["caseExact"] = self.case_exact
        if self.type != "complex":
            out["uniqueness"] = self.uniqueness
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            out["subAttributes"] = [a.to_dict() for a in self.sub_attributes]
        return out


_INDEX_CACHE: dict[int, dict[str, Attribute]] = {}


def _by_name(attrs: tuple[Attribute, ...]) -> dict[str, Attribute]:
    key = id(attrs)
    index = _INDEX_CACHE.get(key)
    if index is None:
        index = _INDEX_CACHE[key] = {a.name.lower(): a for a in attrs}
    return index


@dataclass(frozen=True)
class Schema:
    """A schema resource (RFC 7643 §7): an id (URN) and its attributes."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        return _by_name(self.attributes).get(name.lower())

    def to_dict(self, location: str) -> dict[str, Any]:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_dict() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }


@dataclass(frozen=True)
class ResourceType:
    """A resource type (RFC 7643 §6): endpoint, core schema, extensions."""

    id: str
    endpoint: str
    schema: Schema
    extensions: tuple[Schema, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.schema, *self.extensions)

    def schema_for(self, urn: str) -> Schema | None:
        """The core schema or an extension by case-insensitive URN."""
        return self.derived(_by_urn).get(urn.lower())

    def derived(self, build: Callable[[ResourceType], T]) -> T:
        """``build(self)``, worked out once and kept with this (immutable)
        resource type: the plans that per-request code reads."""
        known: dict[Any, Any] = self.__dict__.setdefault("_derived", {})
        if build not in known:
            known[build] = build(self)
        return known[build]  # type: ignore[no-any-return]

    def attribute(self, name: str, urn: str | None = None) -> tuple[Schema, Attribute] | None:
        """Find a top-level attribute; common attributes live in the core schema."""
        if urn is not None:
            schema = self.schema_for(urn)
            attr = schema.attribute(name) if schema else None
            return (schema, attr) if schema and attr else None
        attr = self.schema.attribute(name) or COMMON.get(name.lower())
        return (self.schema, attr) if attr else None


def _by_urn(rt: ResourceType) -> dict[str, Schema]:
    return {s.id.lower(): s for s in rt.schemas}


def _multi(name: str, types: tuple[str, ...], *, value_type: str = "string",
           ref: tuple[str, ...] = (), description: str = "") -> Attribute:
    """The usual multi-valued complex shape: value, display, type, primary."""
    return Attribute(
        name, "complex", multi_valued=True, description=description,
        sub_attributes=(
            Attribute("value", value_type, reference_types=ref),
            Attribute("display"),
            Attribute("type", canonical_values=types),
            Attribute("primary", "boolean"),
        ),
    )


ID = Attribute("id", case_exact=True, mutability="readOnly", returned="always",
               uniqueness="server", description="Unique identifier assigned by the service provider.")
EXTERNAL_ID = Attribute("externalId", case_exact=True,
                        description="Identifier assigned by the provisioning client.")
META = Attribute(
    "meta", "complex", mutability="readOnly", description="Resource metadata.",
    sub_attributes=(
        Attribute("resourceType", case_exact=True, mutability="readOnly"),
        Attribute("created", "dateTime", mutability="readOnly"),
        Attribute("lastModified", "dateTime", mutability="readOnly"),
        Attribute("location", "reference", case_exact=True, mutability="readOnly",
                  reference_types=("uri",)),
        Attribute("version", case_exact=True, mutability="readOnly"),
    ),
)
#: Common attributes of every resource (RFC 7643 §3.1), by lower-case name.
COMMON: dict[str, Attribute] = {a.name.lower(): a for a in (ID, EXTERNAL_ID, META)}

USER_SCHEMA = Schema(
    CORE_USER, "User", "User Account",
    (
        Attribute("userName", required=True, uniqueness="server",
                  description="Unique identifier for the User, used to sign in."),
        Attribute("name", "complex", description="The components of the user's name.",
                  sub_attributes=tuple(Attribute(n) for n in (
                      "formatted", "familyName", "givenName", "middleName",
                      "honorificPrefix", "honorificSuffix"))),
        Attribute("displayName"),
        Attribute("nickName"),
        Attribute("profileUrl", "reference", reference_types=("external",)),
        Attribute("title"),
        Attribute("userType"),
        Attribute("preferredLanguage"),
        Attribute("locale"),
        Attribute("timezone"),
        Attribute("active", "boolean", description="Whether the user may sign in."),
        Attribute("password", mutability="writeOnly", returned="never",
                  description="Accepted and discarded: never stored, never returned."),
        _multi("emails", ("work", "home", "other")),
        _multi("phoneNumbers", ("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi("photos", ("photo", "thumbnail"), value_type="reference", ref=("external",)),
        Attribute("addresses", "complex", multi_valued=True, sub_attributes=(
            *(Attribute(n) for n in ("formatted", "streetAddress", "locality",
                                     "region", "postalCode", "country")),
            Attribute("type", canonical_values=("work", "home", "other")),
            Attribute("primary", "boolean"),
        )),
        Attribute("groups", "complex", multi_valued=True, mutability="readOnly",
                  sub_attributes=(
                      Attribute("value", mutability="readOnly"),
                      Attribute("$ref", "reference", mutability="readOnly",
                                reference_types=("User", "Group")),
                      Attribute("display", mutability="readOnly"),
                      Attribute("type", mutability="readOnly",
                                canonical_values=("direct", "indirect")),
                  )),
        _multi("entitlements", ()),
        _multi("roles", ()),
        _multi("x509Certificates", (), value_type="binary"),
    ),
)

ENTERPRISE_SCHEMA = Schema(
    ENTERPRISE_USER, "EnterpriseUser", "Enterprise User",
    (
        Attribute("employeeNumber"),
        Attribute("costCenter"),
        Attribute("organization"),
        Attribute("division"),
        Attribute("department"),
        Attribute("manager", "complex", sub_attributes=(
            Attribute("value"),
            Attribute("$ref", "reference", reference_types=("User",)),
            Attribute("displayName", mutability="readOnly"),
        )),
    ),
)

GROUP_SCHEMA = Schema(
    CORE_GROUP, "Group", "Group",
    (
        Attribute("displayName", required=True, uniqueness="server",
                  description="A human-readable name for the Group; unique in the tenant "
                              "(case-insensitive)."),
        Attribute("members", "complex", multi_valued=True,
                  description="The members of the Group: Users and Groups of the tenant.",
                  sub_attributes=(
                      Attribute("value", mutability="immutable"),
                      Attribute("$ref", "reference", mutability="immutable",
                                reference_types=("User", "Group")),
                      Attribute("display", mutability="immutable",
                                description="The member's name: as the client gave it, "
                                            "else the User's displayName or userName, or "
                                            "the Group's displayName."),
                      Attribute("type", mutability="immutable",
                                canonical_values=("User", "Group")),
                  )),
    ),
)

USER = ResourceType("User", "/Users", USER_SCHEMA, (ENTERPRISE_SCHEMA,), "User Account")
GROUP = ResourceType("Group", "/Groups", GROUP_SCHEMA, (), "Group")
RESOURCE_TYPES: dict[str, ResourceType] = {"User": USER, "Group": GROUP}
SCHEMAS: dict[str, Schema] = {s.id: s for s in (USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA)}
