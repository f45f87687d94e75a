"""SCIM error values (RFC 7644 §3.12).

Every failure the protocol core detects is raised as :class:`ScimError`; the
HTTP edge turns it into a ``urn:ietf:params:scim:api:messages:2.0:Error``
body. The core never builds HTTP responses itself.
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


@dataclass
class ScimError(Exception):
    """A protocol error with its HTTP status and optional RFC 7644 ``scimType``."""

    status: int
    detail: str
    scim_type: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if self.scim_type is not None and self.scim_type not in SCIM_TYPES:
            raise ValueError(f"unknown scimType {self.scim_type!r}")

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


def bad_request(scim_type: str, detail: str) -> ScimError:
    """A 400 with the given ``scimType``."""
    return ScimError(400, detail, scim_type)


def not_found(detail: str = "Resource not found") -> ScimError:
    return ScimError(404, detail)


def conflict(detail: str) -> ScimError:
    """409 ``uniqueness`` (RFC 7644 §3.3: a duplicate unique attribute)."""
    return ScimError(409, detail, "uniqueness")
