"""SCIM error values (RFC 7644 §3.12).

Every failure the protocol core detects is raised as a :class:`ScimError`;
the HTTP edge turns it into a ``urn:ietf:params:scim:api:messages:2.0:Error``
body. The core never builds HTTP responses itself.

Each ``scimType`` of RFC 7644 §3.12 (Table 9), and the two cursor errors
RFC 9865 §2.1 adds, has its own subclass named after it, with its status
and ``scimType`` on the class, and so has each status scimdock answers
without a ``scimType``: ``raise InvalidFilter("Invalid filter: ...")``.
:class:`ScimError` stays the base the edge catches, and can still be built
with any status (a fault the mock injects, a status a proxy answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

#: The ``scimType`` values RFC 7644 §3.12 (Table 9) defines for status 400,
#: and the two cursor errors RFC 9865 §2.1 (Table 3) adds to them.
SCIM_TYPES = frozenset(
    {
        "invalidFilter",
        "tooMany",
        "uniqueness",
        "mutability",
        "invalidSyntax",
        "invalidPath",
        "noTarget",
        "invalidValue",
        "invalidVers",
        "sensitive",
        "invalidCursor",
        "expiredCursor",
    }
)


@dataclass(eq=False)
class ScimError(Exception):
    """A protocol error with its HTTP status and optional RFC 7644 ``scimType``."""

    status: int
    detail: str
    scim_type: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if self.scim_type is not None and self.scim_type not in SCIM_TYPES:
            raise ValueError(f"unknown scimType {self.scim_type!r}")

    def __eq__(self, other: object) -> bool:
        """Two errors are equal when they answer the same: a typed error
        equals a plain :class:`ScimError` with its status, detail and
        ``scimType``."""
        if not isinstance(other, ScimError):
            return NotImplemented
        return _key(self) == _key(other)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of RFC 7644 §3.12: ``status`` is a string there."""
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def _key(error: ScimError) -> tuple[int, str, str | None]:
    return error.status, error.detail, error.scim_type


class _Typed(ScimError):
    """An error whose status and ``scimType`` are its class's: built from
    the ``detail`` alone."""

    def __init__(self, detail: str) -> None:
        # Read before the base's __init__ sets them: the class's values.
        super().__init__(self.status, detail, self.scim_type)


# RFC 7644 §3.12, Table 9: each scimType; all are 400s but ``uniqueness``.


class InvalidFilter(_Typed):
    """The filter syntax is invalid, or names an attribute and comparison
    the server does not support (RFC 7644 §3.4.2.2)."""

    status = 400
    scim_type = "invalidFilter"


class TooMany(_Typed):
    """The filter yields more results than the server will compute or
    process (RFC 7644 §3.4.2.2)."""

    status = 400
    scim_type = "tooMany"


class Uniqueness(_Typed):
    """A value that must be unique is already in use or reserved. Table 9
    lists it among the 400s, but RFC 7644 §3.3 answers a duplicate with
    409 (Conflict) and this ``scimType``, and so does scimdock wherever it
    raises it."""

    status = 409
    scim_type = "uniqueness"


class Mutability(_Typed):
    """The change does not fit the attribute's mutability (RFC 7643 §2.2,
    RFC 7644 §3.5.1, §3.5.2)."""

    status = 400
    scim_type = "mutability"


class InvalidSyntax(_Typed):
    """The request body's structure is invalid or does not follow the
    request's schema (RFC 7644 §3.12)."""

    status = 400
    scim_type = "invalidSyntax"


class InvalidPath(_Typed):
    """The ``path`` (or another attribute path) is invalid or malformed
    (RFC 7644 §3.5.2, §3.10)."""

    status = 400
    scim_type = "invalidPath"


class NoTarget(_Typed):
    """The ``path`` yields no attribute or value to operate on (RFC 7644
    §3.5.2)."""

    status = 400
    scim_type = "noTarget"


class InvalidValue(_Typed):
    """A required value is missing, or a value does not fit the operation,
    the attribute's type or the resource's schema (RFC 7644 §3.12)."""

    status = 400
    scim_type = "invalidValue"


class InvalidVers(_Typed):
    """The SCIM protocol version is not supported (RFC 7644 §3.13)."""

    status = 400
    scim_type = "invalidVers"


class Sensitive(_Typed):
    """The request passes sensitive (such as personal) information in its
    URI (RFC 7644 §7.5.2)."""

    status = 400
    scim_type = "sensitive"


# RFC 9865 §2.1, Table 3: the cursor errors, both 400.


class InvalidCursor(_Typed):
    """The cursor is invalid: not one the server issued for this query
    (RFC 9865 §2.1)."""

    status = 400
    scim_type = "invalidCursor"


class ExpiredCursor(_Typed):
    """The cursor has expired (RFC 9865 §2.1, ``cursorTimeout`` §4)."""

    status = 400
    scim_type = "expiredCursor"


# The statuses scimdock answers without a scimType (RFC 7644 §3.12, Table 8).


class Unauthorized(_Typed):
    """401: no credential, or one the server does not accept."""

    status = 401


class Forbidden(_Typed):
    """403: the caller may not perform this operation."""

    status = 403


class NotFound(_Typed):
    """404: no such resource or endpoint."""

    status = 404


class MethodNotAllowed(_Typed):
    """405: the endpoint does not answer this method (RFC 9110 §15.5.6)."""

    status = 405


class Conflict(_Typed):
    """409 without a ``scimType``: the resource's state refuses the request
    (a revoked key, a tenant that still holds resources, a bulk operation
    whose reference cannot be resolved). A taken unique value is
    :class:`Uniqueness`."""

    status = 409


class PreconditionFailed(_Typed):
    """412: ``If-Match`` names a version that is no longer current (RFC 7644
    §3.14)."""

    status = 412


class PayloadTooLarge(_Typed):
    """413: the request is larger than the server takes (RFC 7644 §3.7.4,
    ``maxPayloadSize`` and ``maxOperations``)."""

    status = 413


class UnsupportedMediaType(_Typed):
    """415: a body whose media type the server does not read."""

    status = 415


class InternalServerError(_Typed):
    """500: a failure of the server, not of the request."""

    status = 500


class Unimplemented(_Typed):
    """501 Not Implemented: the server does not support the operation (RFC
    7644 §3.11 for ``/Me``). Not named ``NotImplemented``, Python's
    built-in constant."""

    status = 501


class ServiceUnavailable(_Typed):
    """503: the server cannot answer now; the same request may succeed later."""

    status = 503


#: Every typed error, by its status and ``scimType``.
_TYPED: dict[tuple[int, str | None], type[_Typed]] = {
    (kind.status, kind.scim_type): kind
    for kind in (
        InvalidFilter,
        TooMany,
        Uniqueness,
        Mutability,
        InvalidSyntax,
        InvalidPath,
        NoTarget,
        InvalidValue,
        InvalidVers,
        Sensitive,
        InvalidCursor,
        ExpiredCursor,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        InternalServerError,
        Unimplemented,
        ServiceUnavailable,
    )
}


def error_for(status: int, detail: str, scim_type: str | None = None) -> ScimError:
    """The typed error with ``status`` and ``scim_type`` where there is one,
    else a plain :class:`ScimError` with them (the same answer either way)."""
    kind = _TYPED.get((status, scim_type))
    return ScimError(status, detail, scim_type) if kind is None else kind(detail)


def bad_request(scim_type: str, detail: str) -> ScimError:
    """A 400 with the given ``scimType``: the typed error for it (a
    ``uniqueness`` 400, which no typed error is, stays a plain one)."""
    return error_for(400, detail, scim_type)


def not_found(detail: str = "Resource not found") -> ScimError:
    """404: kept for callers written before :class:`NotFound`."""
    return NotFound(detail)


def conflict(detail: str) -> ScimError:
    """409 ``uniqueness`` (RFC 7644 §3.3: a duplicate unique attribute); kept
    for callers written before :class:`Uniqueness`."""
    return Uniqueness(detail)
