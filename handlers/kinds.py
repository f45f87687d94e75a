"""What the operations on a resource type's endpoint need of the type
(handlers.resources): a :class:`Kind`, its core type (core.schema), whose
name the store's generic operations take (store.base), and what is its own:
the attribute the store reads with the record (a Group's ``members``, read
only when the response shows it), the one read after the records (a User's
``groups``, RFC 7643 §4.1.2), the core's plans for PUT and PATCH
(core.membership for a Group's members), and what a PATCH answers by
default. handlers/users.py and handlers/groups.py describe theirs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from scimdock.core.extensions import keep_unregistered
from scimdock.core.membership import Member
from scimdock.core.patch import apply_patch
from scimdock.core.query import Position
from scimdock.core.resource import normalize_resource, replace_resource
from scimdock.core.schema import ResourceType
from scimdock.store.base import Store


class Record(Protocol):
    """What the store returns for any resource (store.base ``UserRecord``,
    ``GroupRecord``)."""

    @property
    def id(self) -> str: ...
    @property
    def doc(self) -> dict[str, Any]: ...
    @property
    def created(self) -> str: ...
    @property
    def last_modified(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def position(self) -> Position | None: ...


R = TypeVar("R", bound=Record)
#: What a PUT or PATCH plan makes of the stored document: a new document,
#: or a Group's document and membership actions (core.membership).
C = TypeVar("C")


@dataclass(frozen=True)
class Kind(Generic[R, C]):
    """One resource type, as the operations of this module need it.

    The store calls take ``with_members``: whether to read what the store
    keeps beside the record (a Group's ``members``); a type without it
    ignores it. The plans are the core's, called as ``plan(old doc or
    body, ..., rt=the tenant's type, lenient=...)``; by default those of a
    resource without members (core.resource, core.patch)."""

    #: The server's type; a request uses its tenant's (handlers.extensions).
    #: Its id (``User``, ``Group``) names it to the store (store.base).
    rt: ResourceType
    #: ``(record, its derived value or None, base URL)`` → the document to
    #: represent, with what the record does not hold itself (``members``,
    #: ``groups``).
    shown: Callable[[R, Any, str], dict[str, Any]]
    #: ``(body)`` → the document to store and its members (RFC 7644 §3.3).
    plan_create: Callable[..., tuple[dict[str, Any], tuple[Member, ...]]] = (
        lambda body, *, rt, lenient: (normalize_resource(body, rt, lenient=lenient), ())
    )
    #: ``(old doc, body)`` → the change of a PUT (RFC 7644 §3.5.1).
    plan_replace: Callable[..., C] = replace_resource  # type: ignore[assignment]
    #: ``(old doc, operations)`` → the change of a PATCH (RFC 7644 §3.5.2).
    plan_patch: Callable[..., C] = apply_patch  # type: ignore[assignment]
    #: ``(old doc, change, tenant's type)`` → the change, keeping what the
    #: old document holds under extensions the tenant removed.
    keep: Callable[[dict[str, Any], C, ResourceType], C] = keep_unregistered  # type: ignore[assignment]
    #: ``(attributes, excludedAttributes)`` → whether the response shows
    #: what the store keeps beside the record; ``None``: the type has none.
    wants_members: Callable[[str | None, str | None], bool] | None = None
    #: ``(store, tenant, records, tenant's type, attributes,
    #: excludedAttributes)`` → each record's value of an attribute read
    #: after the records, by id, read only when the projection keeps it;
    #: ``None``: the type has none.
    derived: (
        Callable[
            [Store, int, list[R], ResourceType, str | None, str | None],
            Awaitable[dict[str, Any]],
        ]
        | None
    ) = None
    #: Whether a PATCH answers 200 with the resource (else 204) when neither
    #: ``attributes`` nor ``excludedAttributes`` is named and no profile
    #: says otherwise (scimdock.mock.rules.profile ``patchResponse``).
    patch_answers_resource: bool = True


def with_members(kind: Kind[Any, Any], attributes: str | None, excluded: str | None) -> bool:
    """Whether to read what the store keeps beside the record: only when
    the response shows it."""
    return kind.wants_members is not None and kind.wants_members(attributes, excluded)
