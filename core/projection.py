"""``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9) and the
``returned`` characteristic (RFC 7643 §2.2).

Works on the full representation (``schemas``, ``id``, ``meta``, core
attributes top-level, extension attributes under their URN).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scimdock.core.errors import ScimError
from scimdock.core.filter import parse_attr_path, resolve_attr_path
from scimdock.core.schema import COMMON, Attribute, ResourceType

_DROP = object()


@dataclass
class _Names:
    """Parsed names: whole schemas, whole attributes, sub-attributes."""

    schemas: set[str] = field(default_factory=set)
    attrs: set[tuple[str, str]] = field(default_factory=set)
    subs: dict[tuple[str, str], set[str]] = field(default_factory=dict)


def parse_attribute_list(param: str | None) -> list[str] | None:
    """Split the comma-separated ``attributes`` / ``excludedAttributes``
    query parameter (RFC 7644 §3.4.2.5); ``None`` when absent or empty."""
    if param is None:
        return None
    names = [n.strip() for n in param.split(",") if n.strip()]
    return names or None


def project(
    resource: dict[str, Any],
    rt: ResourceType,
    attributes: list[str] | None,
    excluded: list[str] | None,
) -> dict[str, Any]:
    """The representation a client receives.

    - ``returned: never`` (``password``) is never present, ``always``
      (``id``, ``schemas``) always;
    - with ``attributes``: only those (plus ``always``); a sub-attribute
      name keeps just that part of its parent; ``request`` attributes only
      when named (RFC 7643 §2.2);
    - otherwise the ``default`` ones, minus ``excludedAttributes``, which
      never removes an ``always`` attribute (RFC 7644 §3.4.2.5); when both
      lists are given, ``attributes`` wins;
    - names are case-insensitive, may be URN-qualified, and a whole
      extension URN stands for all its attributes; unknown names are
      ignored;
    - ``schemas`` loses the extensions that no longer have a value.
    """
    if not attributes and not excluded:
        return _default(resource, rt)
    return _general(resource, rt, attributes, excluded)


def _general(
    resource: dict[str, Any],
    rt: ResourceType,
    attributes: list[str] | None,
    excluded: list[str] | None,
) -> dict[str, Any]:
    """:func:`project` for any lists: the rules walked attribute by attribute."""
    wanted = _parse(attributes, rt) if attributes else None
    dropped = _parse(excluded, rt) if excluded and wanted is None else _Names()
    core_id = rt.schema.id
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if key == "schemas":
            out[key] = value
            continue
        ext = rt.schema_for(key) if ":" in key else None
        if ext is not None and ext.id != core_id and isinstance(value, dict):
            part = {}
            for name, v in value.items():
                attr = ext.attribute(name)
                kept = _attr(ext.id, attr, v, wanted, dropped) if attr else _unknown(v, wanted)
                if kept is not _DROP:
                    part[name] = kept
            if part:
                out[key] = part
            continue
        found = rt.attribute(key)
        kept = (
            _attr(core_id, found[1], value, wanted, dropped) if found else _unknown(value, wanted)
        )
        if kept is not _DROP:
            out[key] = kept
    return _drop_empty_extensions(out, rt)


def _extension_ids(rt: ResourceType) -> dict[str, str]:
    """Each extension's id by its lower-case form."""
    return {s.id.lower(): s.id for s in rt.extensions}


def _drop_empty_extensions(out: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """``schemas`` without the extensions that no longer have a value."""
    if isinstance(out.get("schemas"), list):
        extensions = rt.derived(_extension_ids)
        out["schemas"] = [
            s
            for s in out["schemas"]
            if not isinstance(s, str) or s.lower() not in extensions or extensions[s.lower()] in out
        ]
    return out


# --- the default projection, planned once per resource type -------------
#
# Neither list is the case of nearly every request (a plain GET, every
# write's response). The rules then reduce to, per attribute: drop it
# (``returned`` never or request), keep it as it is (not complex), or keep
# its sub-attributes but those named in a set (never; and request, unless
# the attribute is ``always``). :func:`_plan` works that out once per
# resource type (``rt.derived``), so the projection is one dict lookup per
# attribute instead of the general walk; tests/unit/test_projection.py
# checks it against :func:`_general` on generated resources.

_UNKNOWN = object()  # no schema describes it: passed through by default
_Rule = Any  # _DROP, None (kept as is), or a frozenset of sub-attribute names to drop
_Plan = tuple[dict[str, _Rule], dict[str, dict[str, _Rule]]]


def _rule(attr: Attribute) -> _Rule:
    if attr.returned in ("never", "request"):
        return _DROP
    if attr.type != "complex":
        return None
    gone = ("never",) if attr.returned == "always" else ("never", "request")
    return frozenset(s.name.lower() for s in attr.sub_attributes if s.returned in gone)


def _plan(rt: ResourceType) -> _Plan:
    """``(core rules by lower-case name, extension rules by lower-case URN)``."""
    core = {name: _rule(attr) for name, attr in COMMON.items()}
    core.update({a.name.lower(): _rule(a) for a in rt.schema.attributes})
    # Each attribute under its own spelling too (the one a stored document
    # uses), which :func:`_default` tries before lower-casing the key.
    by_lower = {**COMMON, **{a.name.lower(): a for a in rt.schema.attributes}}
    core.update({a.name: core[name] for name, a in by_lower.items()})
    extensions = {
        ext.id.lower(): {a.name.lower(): _rule(a) for a in ext.attributes}
        for ext in rt.extensions
        if ext.id != rt.schema.id
    }
    return core, extensions


def _default(resource: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """:func:`project` with neither ``attributes`` nor ``excludedAttributes``."""
    core, extensions = rt.derived(_plan)
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if key == "schemas":
            out[key] = value
            continue
        rules = extensions.get(key.lower()) if ":" in key else None
        if rules is not None and isinstance(value, dict):
            part = {}
            for name, v in value.items():
                kept = _apply(rules.get(name.lower(), _UNKNOWN), v)
                if kept is not _DROP:
                    part[name] = kept
            if part:
                out[key] = part
            continue
        rule = core.get(key, _UNKNOWN)  # the canonical spelling, nearly always
        if rule is _UNKNOWN:
            rule = core.get(key.lower(), _UNKNOWN)
        if rule is None or rule is _UNKNOWN:
            out[key] = value  # kept as it is: _apply's answer, without the call
            continue
        kept = _apply(rule, value)
        if kept is not _DROP:
            out[key] = kept
    return _drop_empty_extensions(out, rt)


def _apply(rule: _Rule, value: Any) -> Any:
    if rule is None or rule is _UNKNOWN or rule is _DROP:
        return _DROP if rule is _DROP else value
    if isinstance(value, list):
        items = [_trim(v, rule) for v in value]
        items = [v for v in items if v is not _DROP]
        return items or _DROP
    return _trim(value, rule)


def _trim(value: Any, gone: frozenset[str]) -> Any:
    """One complex value without the sub-attributes in ``gone``; empty: dropped."""
    if not isinstance(value, dict):
        return value
    out = {k: v for k, v in value.items() if k.lower() not in gone} if gone else dict(value)
    return out or _DROP


def returns_attribute(
    rt: ResourceType, attributes: list[str] | None, excluded: list[str] | None, name: str
) -> bool:
    """Whether :func:`project` with these lists can keep any part of the
    core attribute ``name`` (by the same rules), so that a caller may skip
    fetching a costly attribute it would drop: Group ``members`` with
    ``excludedAttributes=members`` (RFC 7644 §3.4.2.5), a User's derived
    ``groups``."""
    found = rt.attribute(name)
    if found is None:
        return False
    urn, attr = rt.schema.id, found[1]
    if attr.returned in ("never", "always"):
        return attr.returned == "always"
    if not attributes and not excluded:  # the default projection (most reads)
        return attr.returned != "request"
    key = (urn, attr.name)
    if attributes:
        wanted = _parse(attributes, rt)
        return urn in wanted.schemas or key in wanted.attrs or bool(wanted.subs.get(key))
    dropped = _parse(excluded, rt) if excluded else _Names()
    return attr.returned != "request" and urn not in dropped.schemas and key not in dropped.attrs


def _unknown(value: Any, wanted: _Names | None) -> Any:
    """A key no schema describes is passed through only by default."""
    return value if wanted is None else _DROP


def _parse(names: list[str], rt: ResourceType) -> _Names:
    parsed = _Names()
    for name in names:
        schema = rt.schema_for(name)
        if schema is not None:
            parsed.schemas.add(schema.id)
            continue
        try:
            path = resolve_attr_path(parse_attr_path(name), rt)
        except ScimError:
            continue  # RFC 7644 §3.4.2.5 does not require an error
        urn = rt.schema.id if path.urn is None else (rt.schema_for(path.urn) or rt.schema).id
        found = rt.attribute(path.attr) if urn == rt.schema.id else rt.attribute(path.attr, urn)
        if found is None:
            continue
        attr = found[1]
        sub = attr.sub(path.sub) if path.sub else None
        if path.sub and sub is None:
            continue
        if sub is None:
            parsed.attrs.add((urn, attr.name))
        else:
            parsed.subs.setdefault((urn, attr.name), set()).add(sub.name)
    return parsed


def _attr(urn: str, attr: Attribute, value: Any, wanted: _Names | None, dropped: _Names) -> Any:
    """One top-level attribute's projected value, or ``_DROP``."""
    key = (urn, attr.name)
    if attr.returned == "never":
        return _DROP
    if attr.returned == "always":
        return _subs(attr, value, lambda s: True)
    if wanted is not None:
        if urn in wanted.schemas or key in wanted.attrs:
            return _subs(attr, value, lambda s: True)
        named = wanted.subs.get(key)
        if not named:
            return _DROP
        return _subs(attr, value, lambda s: s.returned == "always" or s.name in named)
    if attr.returned == "request" or urn in dropped.schemas or key in dropped.attrs:
        return _DROP
    gone = dropped.subs.get(key, set())
    return _subs(
        attr,
        value,
        lambda s: s.returned == "always" or (s.returned != "request" and s.name not in gone),
    )


def _subs(attr: Attribute, value: Any, keep: Callable[[Attribute], bool]) -> Any:
    """``value`` with only the sub-attributes ``keep`` accepts (never the
    ``returned: never`` ones); complex values left empty disappear."""
    if attr.type != "complex":
        return value
    if isinstance(value, list):
        items = [_element(attr, v, keep) for v in value]
        items = [v for v in items if v is not _DROP]
        return items or _DROP
    return _element(attr, value, keep)


def _element(attr: Attribute, value: Any, keep: Callable[[Attribute], bool]) -> Any:
    if not isinstance(value, dict):
        return value
    out = {}
    for name, v in value.items():
        sub = attr.sub(name)
        if sub is None or (sub.returned != "never" and keep(sub)):
            out[name] = v
    return out or _DROP
