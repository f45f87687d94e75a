"""``/Me`` (RFC 7644 §3.11): not supported.

A scimdock credential belongs to a tenant (an identity provider's
connection), not to a User, so no resource is the authenticated subject.
§3.11: "If the service provider does not support the /Me endpoint, it
SHOULD respond with HTTP status code 501 (Not Implemented)". Every method
answers that, as a SCIM Error (§3.12), once the request is authenticated.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from scimdock.core.errors import Unimplemented

DETAIL = (
    "/Me is not supported: a scimdock key belongs to a tenant, not to a User"
    " (RFC 7644 §3.11); use /Users"
)


async def get_me(**_: Any) -> Response:
    """Every ``/Me`` operation: 501 (RFC 7644 §3.11)."""
    raise Unimplemented(DETAIL)


create_me = replace_me = patch_me = delete_me = get_me
