"""``/Groups`` (RFC 7644 §3.3–§3.6 on RFC 7643 §4.2 Groups): the Group
:class:`~scimdock.handlers.kinds.Kind` and each operationId of
openapi/scim.yaml, in snake case, bound to the operation of
:mod:`handlers.resources`. What is a Group's own: its ``members``, stored
beside the group and read with it only when the response shows them
(:func:`core.projection.returns_attribute`), their planning
(:mod:`core.membership`), and a PATCH answering 204 unless the request
names ``attributes`` or ``excludedAttributes``."""

from __future__ import annotations

from typing import Any

from scimdock.core import representation
from scimdock.core.extensions import keep_unregistered
from scimdock.core.membership import GroupChange, plan_create, plan_patch, plan_replace
from scimdock.core.projection import parse_attribute_list, returns_attribute
from scimdock.core.schema import GROUP, RESOURCE_TYPES, ResourceType
from scimdock.handlers import kinds, resources
from scimdock.store.base import GroupRecord

_ENDPOINTS = {name: rt.endpoint for name, rt in RESOURCE_TYPES.items()}


def wants_members(attributes: str | None, excluded: str | None) -> bool:
    """Whether the response shows ``members`` (else they are never read)."""
    return returns_attribute(
        GROUP, parse_attribute_list(attributes), parse_attribute_list(excluded), "members"
    )


def _kept(old: dict[str, Any], change: GroupChange, rt: ResourceType) -> GroupChange:
    """The change, keeping what ``old`` holds under extensions the tenant removed."""
    return GroupChange(keep_unregistered(old, change.doc, rt), change.actions)


def _shown(record: GroupRecord, _derived: None, base: str) -> dict[str, Any]:
    """The stored document with the ``members`` read with it (RFC 7643 §4.2)."""
    if not record.members:
        return record.doc
    refs = [(m.id, m.type, m.display) for m in record.members]
    return {**record.doc, "members": representation.member_refs(base, _ENDPOINTS, refs)}


GROUPS: kinds.Kind[GroupRecord, GroupChange] = kinds.Kind(
    rt=GROUP,
    shown=_shown,
    plan_create=plan_create,  # the document and its members
    plan_replace=plan_replace,
    plan_patch=plan_patch,
    keep=_kept,
    wants_members=wants_members,
    patch_answers_resource=False,
)

#: The operationIds of ``/Groups`` (openapi/scim.yaml), in snake case, in the
#: order of :data:`handlers.resources.OPERATIONS`.
create_group, get_group, list_groups, search_groups, replace_group, patch_group, delete_group = (
    resources.operations(GROUPS)
)
