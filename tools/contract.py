"""The resource schemas of openapi/scim.yaml, generated from
:mod:`scimdock.core.schema` (``make contract``; a unit test fails when the
committed document differs from what this produces).

core/schema.py is the one definition of the attributes (RFC 7643 §4, §7,
§8.7); the document only says how they travel. Between the markers
:data:`BEGIN` and :data:`END` of ``components.schemas`` this module writes,
per resource type, what a client sends (``UserInput``, ``GroupInput``) and
what the server returns (``User``, ``Group``); the rest of the document
(paths, parameters, errors, prose) is written by hand.

Requests are checked as leniently as the server is (core/leniency.py) and
no more: the server decides the rest against ``/Schemas``. The rules:

* an attribute that is not required may be ``null`` (unassigned, RFC 7643
  §2.5); a required string is a non-empty string (its ``max_length`` as
  ``maxLength``);
* a boolean may also be the string ``"True"``/``"False"`` (identity
  providers send those: :data:`BOOLEAN`);
* a multi-valued attribute may be one element instead of an array; a
  single-valued complex attribute with a ``value`` sub-attribute may be a
  bare string or a one-element array (``manager``, RFC 7643 §4.3);
* a read-only attribute is ignored when sent: any value of its JSON type;
* names are the canonical ones: the server folds a client's names to
  them before validation (core/names.py, scimdock/front/names.py, RFC 7643
  §2.1);
* every object stays open: a name the schema does not define is left out
  by the server (strict mode: 400, core/leniency.py), and keys naming
  extension schemas are checked by the server (RFC 7643 §3.3).

Imports only :mod:`scimdock.core`, the standard library and PyYAML. Run
from the checkout, never installed: the wheel does not carry it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from scimdock.core.schema import COMMON, RESOURCE_TYPES, Attribute, ResourceType

DOCUMENT = Path(__file__).resolve().parent.parent / "openapi" / "scim.yaml"
BEGIN = (
    "    # --- generated from scimdock/core/schema.py by `make contract`"
    " (tools/contract.py): do not edit by hand ---"
)
END = "    # --- end of generated schemas ---"

Schema = dict[str, Any]

_MANY = (
    "An array of values (RFC 7643 §2.4); a single value is taken as a one-element"
    " array (strict mode: 400)."
)
_LENIENT_COMPLEX = (
    "RFC 7643 §2.3.8 wants an object; a bare `value` string or a one-element"
    " array is normalised by the server (strict mode: 400)."
)
_OPEN = (
    "`$ref` may be sent too (not listed here: a property named `$ref` cannot be"
    " described to the tooling, so the object stays open); read-only sub-attributes"
    " are ignored."
)

#: Identity providers send booleans as strings ("True", "False"): accepted
#: and normalised by the server (docs/compatibility.md).
BOOLEAN: Schema = {
    "description": 'A boolean; "true"/"false" as strings are accepted too (strict mode: 400).',
    "anyOf": [
        {"type": "boolean", "nullable": True},
        {"type": "string", "enum": ["true", "false", "True", "False", "TRUE", "FALSE"]},
    ],
}
NULLABLE_STRING: Schema = {"type": "string", "nullable": True}
_JSON_TYPES = {"decimal": "number", "integer": "integer", "boolean": "boolean"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _shape(attr: Attribute) -> str:
    """The component name of a complex attribute's value: ``MultiValue`` for
    the usual value/display/type/primary, else the singular of its name
    (``Ref`` added where that is a resource type: ``groups`` → ``GroupRef``)."""
    if [s.name for s in attr.sub_attributes] == ["value", "display", "type", "primary"]:
        return "MultiValue"
    name = attr.name
    if attr.multi_valued:
        name = name[:-2] if name.endswith("sses") else name[:-1] if name.endswith("s") else name
    name = name[0].upper() + name[1:]
    return f"{name}Ref" if name in RESOURCE_TYPES else name


class _Components:
    """The components being generated, by name (one shape, one name)."""

    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def add(self, name: str, schema: Schema) -> Schema:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different shapes would be named {name}")
        return _ref(name)

    # --- requests ---------------------------------------------------------
    def scalar_in(self, attr: Attribute) -> Schema:
        if attr.type == "boolean":
            return self.add("Boolean", BOOLEAN)
        if attr.type in _JSON_TYPES:
            return {"type": _JSON_TYPES[attr.type], "nullable": True}
        return self.add("NullableString", NULLABLE_STRING)

    def object_in(self, attr: Attribute, *, nullable: bool) -> Schema:
        schema: Schema = {"type": "object"}
        if attr.sub("$ref") is not None:
            schema = {"description": _OPEN, **schema}
        if nullable:
            schema["nullable"] = True
        schema["properties"] = {
            s.name: self.scalar_in(s) for s in attr.sub_attributes if s.name != "$ref"
        }
        return self.add(f"{_shape(attr)}Input", schema)

    def attribute_in(self, attr: Attribute) -> Schema:
        """An attribute as a client may send it (the rules of the module)."""
        if attr.mutability == "readOnly":
            json_type = (
                "array"
                if attr.multi_valued
                else ("object" if attr.type == "complex" else _JSON_TYPES.get(attr.type, "string"))
            )
            loose: Schema = {"type": json_type, "nullable": True}
            if attr.multi_valued:
                loose["items"] = {"type": "object"} if attr.type == "complex" else {}
            return loose
        if attr.required and attr.type == "string" and not attr.multi_valued:
            out: Schema = {"type": "string", "minLength": 1}
            if attr.max_length is not None:
                out["maxLength"] = attr.max_length
            return out
        if attr.type != "complex":
            one = self.scalar_in(attr)
            return (
                {
                    "description": _MANY,
                    "anyOf": [{"type": "array", "nullable": True, "items": one}, one],
                }
                if attr.multi_valued
                else one
            )
        if attr.multi_valued:
            item = self.object_in(attr, nullable=True)
            return {
                "description": _MANY,
                "anyOf": [{"type": "array", "nullable": True, "items": item}, item],
            }
        if attr.sub("value") is not None:
            item = self.object_in(attr, nullable=False)
            return {
                "description": _LENIENT_COMPLEX,
                "anyOf": [
                    item,
                    {"type": "string", "nullable": True},
                    {"type": "array", "maxItems": 1, "items": item},
                ],
            }
        return self.object_in(attr, nullable=True)

    def resource_in(self, rt: ResourceType) -> Schema:
        attrs = [*COMMON.values(), *rt.schema.attributes]
        props: Schema = {"schemas": {"type": "array", "items": {"type": "string"}}}
        props.update({a.name: self.attribute_in(a) for a in attrs})
        for ext in rt.extensions:
            ext_props: Schema = {
                "schemas": {
                    "description": "Sent by some clients inside the extension; ignored"
                    " (strict mode: 400).",
                    "type": "array",
                    "items": {"type": "string"},
                }
            }
            ext_props.update({a.name: self.attribute_in(a) for a in ext.attributes})
            props[ext.id] = self.add(
                f"{ext.name}Input",
                {
                    "type": "object",
                    "nullable": True,
                    "properties": ext_props,
                },
            )
        return {
            "description": _input_prose(rt),
            "type": "object",
            "additionalProperties": True,
            "required": [a.name for a in attrs if a.required],
            "properties": props,
        }

    # --- responses ----------------------------------------------------------
    def attribute_out(self, attr: Attribute) -> Schema:
        """An attribute as the server returns it: never ``null`` (an
        unassigned attribute is left out, RFC 7643 §2.5)."""
        if attr.type == "complex":
            subs: Schema = {
                s.name: self.attribute_out(s) for s in attr.sub_attributes if s.name != "$ref"
            }
            one = self.add(
                "Meta" if attr is COMMON["meta"] else _shape(attr),
                {"type": "object", "properties": subs},
            )
        else:
            one = {"type": _JSON_TYPES.get(attr.type, "string")}
            if attr.type == "dateTime":
                one["format"] = "date-time"
            if attr.canonical_values and attr.mutability in ("readOnly", "immutable"):
                one["enum"] = list(attr.canonical_values)  # the server's own values
        return {"type": "array", "items": one} if attr.multi_valued else one

    def resource_out(self, rt: ResourceType) -> Schema:
        props: Schema = {"schemas": {"type": "array", "minItems": 1, "items": {"type": "string"}}}
        props.update(
            {
                a.name: self.attribute_out(a)
                for a in (*COMMON.values(), *rt.schema.attributes)
                if a.returned != "never"
            }
        )
        for ext in rt.extensions:
            props[ext.id] = self.add(
                ext.name,
                {
                    "type": "object",
                    "properties": {a.name: self.attribute_out(a) for a in ext.attributes},
                },
            )
        return {
            "description": f"A {rt.id} as the server returns it. `schemas` and `id` are always"
            " present; other attributes may be left out by"
            " `attributes`/`excludedAttributes` (RFC 7644 §3.4.2.5).",
            "type": "object",
            "required": ["schemas", "id"],
            "properties": props,
        }


def _input_prose(rt: ResourceType) -> str:
    attrs = [*COMMON.values(), *rt.schema.attributes]
    ignored = ", ".join(f"`{a.name}`" for a in attrs if a.mutability == "readOnly")
    text = (
        f"A {rt.id} as a client sends it ({rt.schema.description}; RFC 7643 §4). "
        f"{ignored} are read-only and ignored; `null` means unassigned; `schemas` may"
        " list more URIs than the resource's own (Entra ID adds its own)."
    )
    for a in attrs:
        if a.mutability == "writeOnly":
            text += f" `{a.name}`: {a.description}"
    text += (
        " Attribute names are case-insensitive (RFC 7643 §2.1): the server folds the"
        " names a client sends, at every level, to the canonical spelling listed here"
        " before it validates the body against this schema, and answers with canonical"
        " names. A name `/Schemas` does not define is left out (strict mode: 400"
        " `invalidValue`)."
    )
    text += (
        " Keys not listed here are checked by the server against `/Schemas`: an object"
        " under the URN of an extension schema the tenant registered (admin API"
        " `/tenants/{tenant}/schemas`, RFC 7643 §3.3) is validated by the server against"
        " that definition, which this document cannot know; a key naming another"
        " vendor's extension schema is ignored (strict mode: 400)."
    )
    return text


def components() -> dict[str, Schema]:
    """Every generated component, by name (inputs first)."""
    built = _Components()
    resources: dict[str, Schema] = {}
    for rt in RESOURCE_TYPES.values():
        resources[f"{rt.id}Input"] = built.resource_in(rt)
    for rt in RESOURCE_TYPES.values():
        resources[rt.id] = built.resource_out(rt)
    return {**built.schemas, **resources}


class _Dumper(yaml.SafeDumper):
    """Writes shared sub-schemas out in full: no YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render() -> str:
    """The generated block, markers included, as YAML under ``schemas:``."""
    body = yaml.dump(
        components(),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=96,
        indent=2,
    )
    lines = ["    " + line if line else line for line in body.splitlines()]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def apply(document: str) -> str:
    """``document`` with its generated block replaced by :func:`render`."""
    start = document.find(BEGIN + "\n")
    end = document.find(END + "\n", start)
    if start < 0 or end < 0:
        raise ValueError("the markers of the generated schemas are missing from the document")
    return document[:start] + render() + document[end + len(END) + 1 :]


def main(argv: list[str]) -> int:
    """``python tools/contract.py [--check] [document]``: rewrite the
    document in place, or (``--check``) exit 1 if it is not up to date."""
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    path = Path(paths[0]) if paths else DOCUMENT
    text = path.read_text(encoding="utf-8")
    new = apply(text)
    if check:
        if new != text:
            print(f"{path} is out of date: run `make contract`", file=sys.stderr)
            return 1
        return 0
    if new != text:
        path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
