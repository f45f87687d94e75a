"""Authentication of the admin API (the ``adminBearer`` scheme of
openapi/admin.yaml).

Two kinds of credential, both known only by their hash:

- the operator token, ``SCIMDOCK_ADMIN_TOKEN``, compared in constant time
  with its SHA-256 (the token info's ``sub`` is ``env``);
- a stored admin token, the Base64 of ``<token id>:<secret>`` like a SCIM
  key, looked up by id and its secret compared in constant time with the
  stored SHA-256; an operator token if it has no tenant, else a
  tenant-admin token. Unknown ids are checked against a dummy hash so that
  timing does not tell which ids exist.

SCIM keys are refused here (401) and admin tokens by the SCIM API: the two
credentials never stand in for each other. Secrets never reach a log line.

Failed logins count per client address together with the SCIM API's
(handlers.throttle): a valid token is never refused for them; a malformed
token, an unknown id or a wrong secret counts, and past the limit such a
failure is answered 429 instead of 401. A SCIM key shown here (a valid
secret, the wrong API) does not count.
"""

from __future__ import annotations

from typing import Any

from connexion.exceptions import OAuthProblem

from scimdock.core import credentials
from scimdock.handlers.admin.auth import ADMIN_TOKEN, OPERATOR, Caller
from scimdock.handlers.security import client_address, context_of, refused, secret_matches

_DUMMY_HASH = credentials.hash_secret("not-a-real-secret")
_INVALID = "Invalid admin token"
_SCIM_KEY = "SCIM keys are not accepted by the admin API: use an admin token"


async def bearer_auth(token: str, request: Any) -> dict[str, Any]:
    """The token info of a valid admin token (the request's context
    learns the caller, handlers.context), or a 401 / 429."""
    ctx = context_of(request)
    info = await _authenticate(ctx, token, request)
    ctx.caller = Caller(str(info["kind"]), str(info["sub"]), info["tenant_id"], info["address"])
    return info


async def _authenticate(ctx: Any, token: str, request: Any) -> dict[str, Any]:
    runtime = ctx.runtime
    address = client_address(request.scope)
    operator_hash = runtime.settings.admin_token_hash
    if operator_hash is not None and credentials.verify_verbatim(token, operator_hash):
        return {"sub": "env", "kind": OPERATOR, "tenant_id": None, "address": address}
    pair = credentials.decode_token(token)
    if pair is None:
        raise await refused(ctx, address, None, token, _INVALID)
    token_id, secret = pair
    stored = await runtime.store.get_admin_token(token_id)
    if stored is None:
        key = await runtime.store.get_key(token_id)
        if key is None:
            credentials.verify(secret, _DUMMY_HASH)
        elif secret_matches(secret, key, runtime.clock):
            raise OAuthProblem(detail=_SCIM_KEY)
        raise await refused(ctx, address, None, token, _INVALID)
    if not credentials.verify(secret, stored.secret_hash):
        raise await refused(ctx, address, stored.token_id, token, _INVALID)
    if stored.revoked is not None:
        raise OAuthProblem(detail="This admin token has been revoked")
    if (
        stored.tenant_id is not None
        and await runtime.store.get_tenant_by_id(stored.tenant_id) is None
    ):
        raise OAuthProblem(detail="This admin token's tenant no longer exists")
    return {
        "sub": stored.token_id,
        "kind": ADMIN_TOKEN,
        "tenant_id": stored.tenant_id,
        "address": address,
    }
