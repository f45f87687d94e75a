"""Answers the front writes itself, before any application code: a JSON
document or a SCIM Error (RFC 7644 §3.12), in two ASGI messages."""

from __future__ import annotations

import orjson

from scimdock.core.errors import ScimError
from scimdock.tuning.compat import Send

JSON = b"application/json"
SCIM_JSON = b"application/scim+json"


async def send_json(
    send: Send,
    status: int,
    media_type: bytes,
    body: object,
    *,
    head: bool = False,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """``body`` as JSON (none for ``HEAD``), with ``extra`` headers."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(content)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else content})


async def send_error(
    send: Send, error: ScimError, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """``error`` as a SCIM Error."""
    await send_json(send, error.status, SCIM_JSON, error.to_dict(), extra=extra)
