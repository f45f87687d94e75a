"""Tenant names: the subdomain in ``https://<tenant>.<domain>/scim/v1``."""

from __future__ import annotations

import functools
import re

_LABEL = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)  # fullmatch: "$" also matches before "\n"


def check_name(name: str) -> str:
    """A tenant name must be one lower-case DNS label (RFC 1123 §2.1)."""
    if not _LABEL.fullmatch(name):
        raise ValueError(
            f"invalid tenant name {name!r}: use 1-63 lower-case letters, digits or '-',"
            " not starting or ending with '-'"
        )
    return name


@functools.lru_cache(maxsize=256)
def tenant_from_host(host: str | None, domain: str) -> str | None:
    """``acme`` for ``acme.<domain>[:port]``; ``None`` for any other host.
    Read twice per request (the tenant's and the key's checks), nearly
    always with the same few hosts: remembered (a pure function of its
    arguments; bounded, since a client names the host)."""
    if not host or not domain:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = "." + domain.lower()
    if name.endswith(suffix) and len(name) > len(suffix):
        return name[: -len(suffix)]
    return None


#: What ``SCIMDOCK_PUBLIC_URL`` may hold in place of the tenant's name.
PLACEHOLDER = "{tenant}"


def public_url(template: str, tenant: str | None) -> str | None:
    """The public base URL of ``tenant`` (``https://acme.example.com/scim/v1``
    for ``https://{tenant}.example.com/scim/v1``), without a trailing slash:
    the base of ``meta.location`` (RFC 7643 §3.1). ``None`` when the
    template names a tenant and none is known. A name is one DNS label
    (:func:`check_name`), so it goes into a host or a path as it is."""
    if PLACEHOLDER in template:
        if tenant is None:
            return None
        template = template.replace(PLACEHOLDER, tenant)
    return template.rstrip("/")
