"""SCIM client credentials: key ID + secret pairs, sent as one Base64 token.

The vendor contract (``shared/seeds``): the client pastes one Base64 token,
the Base64 of ``<key id>:<secret>``. Secrets carry 256 bits from
:mod:`secrets`, so one SHA-256 is the right hash: no dictionary attack
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
from dataclasses import dataclass

KEY_ID_PREFIX = "sk_"


@dataclass(frozen=True)
class NewCredential:
    """A freshly generated credential; ``secret`` and ``token`` are shown once."""

    key_id: str
    secret: str
    secret_hash: bytes

    @property
    def token(self) -> str:
        return encode_token(self.key_id, self.secret)


def generate() -> NewCredential:
    """A new key id (64 random bits, not secret) and secret (256 random bits)."""
    key_id = KEY_ID_PREFIX + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewCredential(key_id, secret, hash_secret(secret))


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def verify(secret: str, secret_hash: bytes) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def encode_token(key_id: str, secret: str) -> str:
    return base64.b64encode(f"{key_id}:{secret}".encode("utf-8")).decode("ascii")


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
