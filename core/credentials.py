"""SCIM client credentials: key ID + secret pairs, sent as one Base64 token.

An identity provider's admin pastes one secret token (Entra ID's "Secret
Token" field): the Base64 of ``<key id>:<secret>``. Secrets carry 256 bits from the
randomness source the caller passes (:data:`SYSTEM_RANDOM`, the operating
system's CSPRNG through :mod:`secrets`, in production), so one SHA-256 is
the right hash: no dictionary attack
applies to a random 256-bit value, and a password hash (bcrypt, scrypt)
would cost milliseconds on every request. Hashes are compared in constant
time with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from scimdock.core import clock

KEY_ID_PREFIX = "sk_"
#: Admin tokens (docs/admin.md) have ids of their own kind, so neither API can
#: mistake one credential for the other: ``sop_`` an operator token,
#: ``sat_`` a tenant-admin token. The token is Base64 of ``<id>:<secret>``
#: like a SCIM key's.
OPERATOR_PREFIX = "sop_"
TENANT_ADMIN_PREFIX = "sat_"


@dataclass(frozen=True)
class NewCredential:
    """A freshly generated credential; ``secret`` and ``token`` are shown once."""

    key_id: str
    secret: str
    secret_hash: bytes

    @property
    def token(self) -> str:
        return encode_token(self.key_id, self.secret)


#: A source of randomness: ``n`` -> ``n`` unpredictable bytes.
TokenBytes = Callable[[int], bytes]
#: The production source: the operating system's CSPRNG (:func:`secrets.token_bytes`).
SYSTEM_RANDOM: TokenBytes = secrets.token_bytes


def generate(random: TokenBytes, prefix: str = KEY_ID_PREFIX) -> NewCredential:
    """A new key id (64 random bits in hex, not secret) and secret (256
    random bits, URL-safe Base64 without padding: RFC 4648 §5), both drawn
    from ``random``."""
    key_id = prefix + random(8).hex()
    secret = base64.urlsafe_b64encode(random(32)).rstrip(b"=").decode("ascii")
    return NewCredential(key_id, secret, hash_secret(secret))


def generate_admin(random: TokenBytes, *, tenant_admin: bool) -> NewCredential:
    """A new admin token: a tenant admin's (``sat_``) or an operator's (``sop_``)."""
    return generate(random, TENANT_ADMIN_PREFIX if tenant_admin else OPERATOR_PREFIX)


def verify_verbatim(token: str, token_hash: bytes) -> bool:
    """A token configured whole (``SCIMDOCK_ADMIN_TOKEN``) against its
    SHA-256, in constant time."""
    return verify(token.strip(), token_hash)


#: The longest a rotated-away secret may stay valid (the admin API's limit too).
MAX_GRACE_SECONDS = 30 * 24 * 3600


def future_expiry(text: str, now: str) -> str:
    """An expiry in the store's form; ``ValueError`` unless it is ISO 8601
    and later than ``now`` (to stop a key now, revoke it)."""
    expires = clock.parse(text)
    if expires <= now:
        raise ValueError("the expiry must lie in the future; to stop a key now, revoke it")
    return expires


def key_status(revoked: str | None, expires: str | None, now: str) -> str:
    """``revoked``, ``expired`` or ``active`` (timestamps in core.clock form)."""
    if revoked is not None:
        return "revoked"
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def verify(secret: str, secret_hash: bytes) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def encode_token(key_id: str, secret: str) -> str:
    return base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii")


def decode_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` from a Base64 token, or ``None`` when malformed.

    Padding is optional (some clients strip it); URL-safe and standard
    alphabets are both accepted.
    """
    raw = token.strip()
    if not raw or len(raw) > 1024:
        return None
    raw = raw.replace("-", "+").replace("_", "/")
    raw += "=" * (-len(raw) % 4)
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    key_id, sep, secret = text.partition(":")
    if not sep or not key_id or not secret:
        return None
    return key_id, secret
