"""The setting parsers shared by the command line and ``SCIMDOCK_*``
variables (scimdock.config): what they accept, and errors that name the
variable without repeating a secret."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from uvicorn.config import LOG_LEVELS

from scimdock import config


def test_log_levels_are_uvicorns() -> None:
    assert set(config.LOG_LEVELS) == set(LOG_LEVELS)
    assert config.log_level(" WARNING ") == "warning"


@pytest.mark.parametrize("text", ["0", "65536", "99999", "-1", "80.5", "http", ""])
def test_a_port_outside_1_to_65535_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="1 to 65535"):
        config.port(text)


def test_ports_and_proxies_accepted() -> None:
    assert (config.port("1"), config.port(" 65535 ")) == (1, 65535)
    assert config.forwarded_allow_ips("10.0.0.0/8, ::1 ,192.0.2.7") == "10.0.0.0/8,::1,192.0.2.7"
    assert config.forwarded_allow_ips("*") == "*"
    for bad in ("proxy.local", "10.0.0.0/33", ",", "*,10.0.0.1"):
        with pytest.raises(ValueError):
            config.forwarded_allow_ips(bad)


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("SCIMDOCK_MAX_RESULTS", "abc", config.settings),
        ("SCIMDOCK_MAX_RESULTS", "0", config.settings),
        ("SCIMDOCK_STRICT", "maybe", config.settings),
        ("SCIMDOCK_PUBLIC_URL", "acme.example.com", config.settings),
        ("SCIMDOCK_VALIDATE_RESPONSES", "2", config.validate_responses),
        ("SCIMDOCK_SYNCHRONOUS", "OFF", config.synchronous),
        ("SCIMDOCK_PORT", "http", lambda: config.listen_port(None)),
        ("SCIMDOCK_LOG_LEVEL", "loud", lambda: config.server_log_level(None)),
        ("SCIMDOCK_FORWARDED_ALLOW_IPS", "x", lambda: config.trusted_proxies(None)),
        ("SCIMDOCK_WORKERS", "0", lambda: config.workers(None)),
        ("SCIMDOCK_WORKERS", "two", lambda: config.workers(None)),
        ("SCIMDOCK_HEADER_TIMEOUT", "0", config.header_timeout),
        ("SCIMDOCK_BODY_TIMEOUT", "soon", config.body_timeout),
        ("SCIMDOCK_KEEPALIVE_TIMEOUT", "3601", config.keepalive_timeout),
    ],
)
def test_a_bad_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, read: Callable[[], object]
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match=f"^{name}: "):
        read()


def test_the_command_line_wins_and_unset_means_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIMDOCK_PORT", "not a port")
    monkeypatch.setenv("SCIMDOCK_HOST", "::1")
    assert config.listen_port(9000) == 9000  # the environment is not even read
    assert config.host(None) == "::1" and config.host("0.0.0.0") == "0.0.0.0"
    monkeypatch.delenv("SCIMDOCK_PORT")
    assert config.listen_port(None) == config.DEFAULT_PORT
    assert config.settings().max_results == 1000


def test_a_short_admin_token_is_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIMDOCK_ADMIN_TOKEN", "hunter2")
    with pytest.raises(config.ConfigError) as caught:
        config.admin_token_hash()
    assert "hunter2" not in str(caught.value) and "SCIMDOCK_ADMIN_TOKEN" in str(caught.value)


def test_rates_in_the_limits_notation_or_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/configuration.md: the limits' settings and their defaults."""
    item = config.rate(" 25/second ")
    assert item is not None and (item.amount, item.get_expiry()) == (25, 1)
    item = config.rate("5/10 seconds")
    assert item is not None and (item.amount, item.get_expiry()) == (5, 10)
    assert config.rate("OFF") is None
    for bad in ("lots", "0/minute", "5/minute;10/hour", "5/fortnight"):
        with pytest.raises(ValueError, match="600/minute"):
            config.rate(bad)
    for name in (
        "SCIMDOCK_AUTH_FAILURES",
        "SCIMDOCK_RATE_TENANT",
        "SCIMDOCK_RATE_KEY",
        "SCIMDOCK_TENANT_CONCURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    default = config.settings()
    assert str(default.auth_failures) == "20 per 1 minute"
    assert str(default.rate_tenant) == "6000 per 1 minute"
    assert (default.rate_key, default.tenant_concurrency) == (None, 32)
    monkeypatch.setenv("SCIMDOCK_TENANT_CONCURRENCY", "off")
    monkeypatch.setenv("SCIMDOCK_RATE_TENANT", "off")
    assert (config.settings().tenant_concurrency, config.settings().rate_tenant) == (None, None)
    monkeypatch.setenv("SCIMDOCK_TENANT_CONCURRENCY", "0")
    with pytest.raises(config.ConfigError, match="SCIMDOCK_TENANT_CONCURRENCY"):
        config.settings()
