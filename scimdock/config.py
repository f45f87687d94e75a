"""Configuration from the environment (docs/configuration.md)."""

from __future__ import annotations

import os

from scimdock.core import credentials
from scimdock.handlers.runtime import Settings

DEFAULT_DB = "./data/scimdock.db"
#: The shortest SCIMDOCK_ADMIN_TOKEN accepted: it guards every tenant.
ADMIN_TOKEN_MIN = 24


def db_path(cli_value: str | None) -> str:
    return cli_value or os.environ.get("SCIMDOCK_DB") or DEFAULT_DB


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def settings(*, strict: bool = False, domain: str | None = None) -> Settings:
    """Settings from ``SCIMDOCK_*`` variables; command-line values win."""
    return Settings(
        domain=domain or os.environ.get("SCIMDOCK_DOMAIN", "localhost"),
        max_results=int(os.environ.get("SCIMDOCK_MAX_RESULTS", "1000")),
        lenient=not (strict or _flag("SCIMDOCK_STRICT")),
        public_url=os.environ.get("SCIMDOCK_PUBLIC_URL") or None,
        admin_token_hash=admin_token_hash(),
    )


def validate_responses() -> bool:
    return _flag("SCIMDOCK_VALIDATE_RESPONSES")


def tuned() -> bool:
    """``SCIMDOCK_TUNING=off`` runs Connexion and uvicorn exactly as shipped
    (every part of scimdock/tuning/ skipped): the same answers, more CPU
    per request. For checking that claim (``make test-untuned``) and for
    ruling the tuning out when something looks wrong."""
    return os.environ.get("SCIMDOCK_TUNING", "on").strip().lower() not in ("off", "0", "false", "no")


def synchronous() -> str:
    """``FULL`` (default: an acknowledged write survives power loss) or ``NORMAL``."""
    return os.environ.get("SCIMDOCK_SYNCHRONOUS", "FULL").upper()


def admin_token_hash() -> bytes | None:
    """SHA-256 of ``SCIMDOCK_ADMIN_TOKEN`` (an operator token given whole),
    or ``None`` when unset. Hashed once at start; the value itself is
    never kept or logged. Compare with :func:`core.credentials.verify_verbatim`.
    ``ValueError`` for a token shorter than :data:`ADMIN_TOKEN_MIN` characters
    (generate one with ``scimdock admin-token create``, or
    ``python -c 'import secrets; print(secrets.token_urlsafe(32))'``)."""
    token = os.environ.get("SCIMDOCK_ADMIN_TOKEN", "").strip()
    if not token:
        return None
    if len(token) < ADMIN_TOKEN_MIN:
        raise ValueError(f"SCIMDOCK_ADMIN_TOKEN is too short: use at least {ADMIN_TOKEN_MIN}"
                         " random characters")
    return credentials.hash_secret(token)
