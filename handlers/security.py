"""Authentication of SCIM clients (the ``bearerAuth`` and ``basicAuth``
schemes of openapi/scim.yaml).

The token is the Base64 of ``<key id>:<secret>``; Basic carries the same
pair. The secret is checked against its stored SHA-256 in constant time;
unknown keys are checked against a dummy hash so that timing does not tell
which key ids exist. Secrets never reach a log line.
"""

from __future__ import annotations

from typing import Any

from connexion.exceptions import OAuthProblem

from core import clock, credentials
from handlers.runtime import current

_DUMMY_HASH = credentials.hash_secret("not-a-real-secret")
_INVALID = "Invalid credentials: check the key id and secret (the Base64 token)"


def bearer_auth(token: str, request: Any) -> dict[str, Any]:
    pair = credentials.decode_token(token)
    if pair is None:
        raise OAuthProblem(detail="Malformed bearer token: expected Base64 of '<key id>:<secret>'")
    return authenticate(pair[0], pair[1], request.headers.get("host"))


def basic_auth(username: str, password: str, request: Any) -> dict[str, Any]:
    return authenticate(username, password, request.headers.get("host"))


def authenticate(key_id: str, secret: str, host: str | None) -> dict[str, Any]:
    """The token info of a valid credential, or :class:`OAuthProblem` (401)."""
    runtime = current()
    key = runtime.store.get_key(key_id)
    if key is None:
        credentials.verify(secret, _DUMMY_HASH)
        raise OAuthProblem(detail=_INVALID)
    if not credentials.verify(secret, key.secret_hash):
        raise OAuthProblem(detail=_INVALID)
    if key.revoked is not None:
        raise OAuthProblem(detail="This key has been revoked")
    if key.expires is not None and key.expires <= clock.now():
        raise OAuthProblem(detail="This key has expired")
    host_tenant = tenant_from_host(host, runtime.settings.domain)
    if host_tenant is not None and host_tenant != key.tenant_name:
        raise OAuthProblem(detail="This key does not belong to the tenant named by the host")
    if not key.tenant_scim_enabled:
        raise OAuthProblem(
            detail=f"SCIM access is not enabled for tenant {key.tenant_name!r}: ask the operator"
        )
    return {"sub": key.key_id, "tenant_id": key.tenant_id, "tenant": key.tenant_name}


def tenant_from_host(host: str | None, domain: str) -> str | None:
    """``acme`` for ``acme.<domain>[:port]``; ``None`` for any other host."""
    if not host or not domain:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = "." + domain.lower()
    if name.endswith(suffix) and len(name) > len(suffix):
        return name[: -len(suffix)]
    return None

