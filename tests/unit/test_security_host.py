"""Which tenant a Host header names (handlers.security.tenant_from_host)."""

from __future__ import annotations

import pytest

from scimdock.handlers.security import tenant_from_host


@pytest.mark.parametrize(
    "host,domain,expected",
    [
        ("acme.localhost:8080", "localhost", "acme"),
        ("ACME.example.com", "example.com", "acme"),
        ("acme.example.com.", "example.com", "acme"),
        ("example.com", "example.com", None),
        ("127.0.0.1:8080", "localhost", None),
        ("localhost:8080", "localhost", None),
        ("[::1]:8080", "localhost", None),
        ("acme.other.org", "example.com", None),
        (None, "localhost", None),
        ("acme.localhost", "", None),
    ],
)
def test_tenant_from_host(host: str | None, domain: str, expected: str | None) -> None:
    assert tenant_from_host(host, domain) == expected
