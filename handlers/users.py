"""``/Users`` (RFC 7644 §3.3–§3.6 on RFC 7643 §4.1 Users): the User
:class:`~scimdock.handlers.kinds.Kind` and each operationId of
openapi/scim.yaml, in snake case, bound to the operation of
:mod:`handlers.resources`. What is a User's own: its derived ``groups``
(RFC 7643 §4.1.2), read after the users and only when the projection keeps
them (:func:`core.projection.returns_attribute`), and the core's plans
(:mod:`core.resource`, :mod:`core.patch`)."""

from __future__ import annotations

from typing import Any

from scimdock.core import representation
from scimdock.core.projection import parse_attribute_list, returns_attribute
from scimdock.core.schema import GROUP, USER, ResourceType
from scimdock.handlers import kinds, resources
from scimdock.store.base import Membership, Store, UserRecord


def _shown(record: UserRecord, groups: list[Membership] | None, base: str) -> dict[str, Any]:
    """The stored document with the derived ``groups`` (RFC 7643 §4.1.2)."""
    if not groups:
        return record.doc
    refs: list[tuple[str, str | None, bool]] = [(g.id, g.display, g.direct) for g in groups]
    return {**record.doc, "groups": representation.group_refs(base, GROUP.endpoint, refs)}


def shows_groups(rt: ResourceType) -> bool:
    """Whether the default projection of ``rt`` keeps ``groups`` (kept with
    the type: :meth:`~scimdock.core.schema.ResourceType.derived`)."""
    return returns_attribute(rt, parse_attribute_list(None), parse_attribute_list(None), "groups")


async def _groups(
    store: Store,
    tenant: int,
    records: list[UserRecord],
    rt: ResourceType,
    attributes: str | None,
    excluded: str | None,
) -> dict[str, list[Membership]]:
    """The ``groups`` of a page of users in one read, and only when the
    projection keeps them."""
    if not records:
        return {}
    if attributes is None and excluded is None:  # the default projection: once per type
        shown = rt.derived(shows_groups)
    else:
        shown = returns_attribute(
            rt, parse_attribute_list(attributes), parse_attribute_list(excluded), "groups"
        )
    if not shown:
        return {}
    return await store.user_groups(tenant, [r.id for r in records])


#: A resource without members: the core's plans (core.resource, core.patch).
USERS: kinds.Kind[UserRecord, dict[str, Any]] = kinds.Kind(rt=USER, shown=_shown, derived=_groups)

#: The operationIds of ``/Users`` (openapi/scim.yaml), in snake case, in the
#: order of :data:`handlers.resources.OPERATIONS`.
create_user, get_user, list_users, search_users, replace_user, patch_user, delete_user = (
    resources.operations(USERS)
)
