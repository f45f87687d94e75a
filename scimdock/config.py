"""Configuration from the environment (docs/configuration.md)."""

from __future__ import annotations

import os

from handlers.runtime import Settings

DEFAULT_DB = "./data/scimdock.db"


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
    )


def validate_responses() -> bool:
    return _flag("SCIMDOCK_VALIDATE_RESPONSES")


def synchronous() -> str:
    """``FULL`` (default: an acknowledged write survives power loss) or ``NORMAL``."""
    return os.environ.get("SCIMDOCK_SYNCHRONOUS", "FULL").upper()
