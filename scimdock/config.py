"""Configuration from the environment (docs/configuration.md).

Each setting has one parser (a function of the text that returns the value
or raises :class:`ValueError` saying what is wrong). The command line uses
the same parsers for its options (scimdock.cli); a bad ``SCIMDOCK_*`` value
raises :class:`ConfigError`, whose message names the variable.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import limits

from scimdock.core import credentials
from scimdock.settings import (
    DEFAULT_AUTH_FAILURES,
    DEFAULT_RATE_TENANT,
    DEFAULT_TENANT_CONCURRENCY,
    Settings,
)

if TYPE_CHECKING:
    from scimdock.store.base import Store

T = TypeVar("T")

DEFAULT_DB = "./data/scimdock.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: uvicorn's default: trust ``X-Forwarded-*`` from a proxy on this machine only.
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"
#: uvicorn's log levels (``uvicorn.config.LOG_LEVELS``), most severe first.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
#: The shortest SCIMDOCK_ADMIN_TOKEN accepted: it guards every tenant.
ADMIN_TOKEN_MIN = 24
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class ConfigError(Exception):
    """A bad setting: one line naming the variable (never a secret's value)."""


# --- parsers: text -> value, ValueError with a reason ---------------------
def port(text: str) -> int:
    """A TCP port to listen on (RFC 793 ports, 0 excluded: no random port)."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise ValueError(f"a port is a whole number from 1 to 65535, not {text!r}")
    return value


def log_level(text: str) -> str:
    value = text.strip().lower()
    if value not in LOG_LEVELS:
        raise ValueError(f"a log level is one of {', '.join(LOG_LEVELS)}; not {text!r}")
    return value


def forwarded_allow_ips(text: str) -> str:
    """``*`` or a comma-separated list of IP addresses and networks (CIDR).
    Checked here: uvicorn takes anything else as a literal that never matches."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if items == ["*"]:
        return "*"
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network (or give '*')") from None
    if not items:
        raise ValueError("give IP addresses or networks, comma-separated, or '*'")
    return ",".join(items)


def _positive(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"a whole number of 1 or more, not {text!r}")
    return value


def worker_count(text: str) -> int:
    """How many server processes share the port: a whole number of 1 or more."""
    return _positive(text)


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in _TRUE + _FALSE:
        raise ValueError(f"one of {', '.join(_TRUE)} or {', '.join(v for v in _FALSE if v)}")
    return value in _TRUE


def _synchronous(text: str) -> str:
    value = text.strip().upper()
    if value not in ("FULL", "NORMAL"):
        raise ValueError(f"FULL or NORMAL, not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise ValueError(f"a number of seconds above 0 and at most 3600, not {text!r}")
    return value


def rate(text: str) -> limits.RateLimitItem | None:
    """A rate in the ``limits`` library's notation (``600/minute``,
    ``25/second``, ``1000 per hour``), or ``off``."""
    value = text.strip()
    if value.lower() == "off":
        return None
    try:
        if ";" in value or "," in value:
            raise ValueError(value)
        item = limits.parse(value)
    except ValueError:
        raise ValueError(
            f"a rate such as 600/minute or 25/second (or 'off'), not {text!r}"
        ) from None
    if item.amount < 1:
        raise ValueError(f"a rate of at least 1, such as 600/minute, not {text!r}")
    return item


def _cap(text: str) -> int | None:
    """A whole number of 1 or more, or ``off``."""
    return None if text.strip().lower() == "off" else _positive(text)


def _public_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"an http or https URL such as https://acme.example.com/scim/v1, not {text!r}"
        )
    return text.strip().rstrip("/")


def _env(name: str, parse: Callable[[str], T], default: T) -> T:
    """``parse`` of the variable ``name``, or ``default`` when it is unset or empty."""
    text = os.environ.get(name, "")
    if not text.strip():
        return default
    try:
        return parse(text)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


# --- settings ----------------------------------------------------------------
def db_path(cli_value: str | None) -> str:
    return cli_value or os.environ.get("SCIMDOCK_DB") or DEFAULT_DB


def host(cli_value: str | None) -> str:
    return cli_value or os.environ.get("SCIMDOCK_HOST", "").strip() or DEFAULT_HOST


def listen_port(cli_value: int | None) -> int:
    return cli_value if cli_value is not None else _env("SCIMDOCK_PORT", port, DEFAULT_PORT)


def workers(cli_value: int | None) -> int:
    """Server processes on the one port (``serve --workers``, scimdock.worker)."""
    return cli_value if cli_value is not None else _env("SCIMDOCK_WORKERS", worker_count, 1)


def server_log_level(cli_value: str | None) -> str:
    return cli_value or _env("SCIMDOCK_LOG_LEVEL", log_level, "info")


def trusted_proxies(cli_value: str | None) -> str:
    return cli_value or _env(
        "SCIMDOCK_FORWARDED_ALLOW_IPS", forwarded_allow_ips, DEFAULT_FORWARDED_ALLOW_IPS
    )


def settings(*, strict: bool = False, domain: str | None = None) -> Settings:
    """Settings from ``SCIMDOCK_*`` variables; command-line values win."""
    return Settings(
        domain=domain or os.environ.get("SCIMDOCK_DOMAIN", "").strip() or "localhost",
        max_results=_env("SCIMDOCK_MAX_RESULTS", _positive, 1000),
        lenient=not (strict or _env("SCIMDOCK_STRICT", _flag, False)),
        public_url=_env("SCIMDOCK_PUBLIC_URL", _public_url, None),
        admin_token_hash=admin_token_hash(),
        max_body=_env("SCIMDOCK_MAX_BODY", _positive, Settings.max_body),
        max_upload=_env("SCIMDOCK_MAX_UPLOAD", _positive, Settings.max_upload),
        max_string=_env("SCIMDOCK_MAX_STRING", _positive, Settings.max_string),
        max_values=_env("SCIMDOCK_MAX_VALUES", _positive, Settings.max_values),
        auth_failures=_env("SCIMDOCK_AUTH_FAILURES", rate, limits.parse(DEFAULT_AUTH_FAILURES)),
        rate_tenant=_env("SCIMDOCK_RATE_TENANT", rate, limits.parse(DEFAULT_RATE_TENANT)),
        rate_key=_env("SCIMDOCK_RATE_KEY", rate, None),
        tenant_concurrency=_env("SCIMDOCK_TENANT_CONCURRENCY", _cap, DEFAULT_TENANT_CONCURRENCY),
        cursor_key=cursor_key(),
        cursor_timeout=_env("SCIMDOCK_CURSOR_TIMEOUT", _positive, Settings.cursor_timeout),
    )


def cursor_key() -> bytes:
    """The HMAC key of cursors (RFC 9865, core.cursor): SHA-256 of
    ``SCIMDOCK_CURSOR_KEY``, so every process and instance given the same
    text honours each other's cursors; else random, for this process only."""
    text = os.environ.get("SCIMDOCK_CURSOR_KEY", "")
    return hashlib.sha256(text.encode()).digest() if text else secrets.token_bytes(32)


def validate_responses() -> bool:
    return _env("SCIMDOCK_VALIDATE_RESPONSES", _flag, False)


def tuned() -> bool:
    """``SCIMDOCK_TUNING=off`` runs Connexion and uvicorn exactly as shipped
    (every part of scimdock/tuning/ skipped): the same answers, more CPU
    per request. For checking that claim (``make test-untuned``) and for
    ruling the tuning out when something looks wrong."""
    return os.environ.get("SCIMDOCK_TUNING", "on").strip().lower() not in (
        "off",
        "0",
        "false",
        "no",
    )


def query_budget() -> float:
    """The longest a list or search may run, in seconds (store.sqlite)."""
    return _env("SCIMDOCK_QUERY_BUDGET", _seconds, 10.0)


def max_header() -> int:
    """Bytes a request line and its headers may hold (scimdock.protocol)."""
    return _env("SCIMDOCK_MAX_HEADER", _positive, 65536)


def header_timeout() -> float:
    """Seconds for a request's line and headers to arrive (scimdock.protocol)."""
    return _env("SCIMDOCK_HEADER_TIMEOUT", _seconds, 10.0)


def body_timeout() -> float:
    """Seconds for a request's whole body to arrive (scimdock.protocol)."""
    return _env("SCIMDOCK_BODY_TIMEOUT", _seconds, 30.0)


def keepalive_timeout() -> float:
    """Seconds a connection may sit idle between requests (uvicorn's
    ``timeout_keep_alive``)."""
    return _env("SCIMDOCK_KEEPALIVE_TIMEOUT", _seconds, 5.0)


def readers() -> int:
    """How many reads of lists and searches run at once (store.sqlite)."""
    return _env("SCIMDOCK_READERS", _positive, 4)


def pool_size() -> int:
    """Most connections each process keeps to PostgreSQL (store.postgres)."""
    return _env("SCIMDOCK_POOL_SIZE", _positive, 10)


def open_store(setting: str) -> Store:
    """The store of the database setting ``setting`` (a SQLite path or a
    URL, scimdock.store.opening) with every store setting of the environment."""
    from scimdock.store.opening import open_store as open_setting

    return open_setting(
        setting,
        synchronous=synchronous(),
        query_budget=query_budget(),
        readers=readers(),
        pool_size=pool_size(),
    )


def synchronous() -> str:
    """``FULL`` (default: an acknowledged write survives power loss) or ``NORMAL``."""
    return _env("SCIMDOCK_SYNCHRONOUS", _synchronous, "FULL")


def admin_token_hash() -> bytes | None:
    """SHA-256 of ``SCIMDOCK_ADMIN_TOKEN`` (an operator token given whole),
    or ``None`` when unset. Hashed once at start; the value itself is
    never kept, logged or repeated in an error. Compare with
    :func:`core.credentials.verify_verbatim`. :class:`ConfigError` for a
    token shorter than :data:`ADMIN_TOKEN_MIN` characters (generate one with
    ``scimdock admin-token create``, or
    ``python -c 'import secrets; print(secrets.token_urlsafe(32))'``)."""
    token = os.environ.get("SCIMDOCK_ADMIN_TOKEN", "").strip()
    if not token:
        return None
    if len(token) < ADMIN_TOKEN_MIN:
        raise ConfigError(
            f"SCIMDOCK_ADMIN_TOKEN is too short: use at least {ADMIN_TOKEN_MIN} random characters"
        )
    return credentials.hash_secret(token)


def _entries(text: str) -> int:
    """A whole number of 0 or more, or ``off`` (0)."""
    if text.strip().lower() in _FALSE:
        return 0
    return _positive(text)


def journal_size() -> int:
    """Entries of each tenant's request journal (scimdock.mock.journal); 0: off."""
    return _env("SCIMDOCK_JOURNAL", _entries, 0)


def faults_enabled() -> bool:
    """Whether fault rules may be set (scimdock.mock.faults): off by default."""
    return _env("SCIMDOCK_FAULTS", _flag, False)
