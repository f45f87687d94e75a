"""Tenant names: the subdomain in ``https://<tenant>.<domain>/scim/v1``."""

from __future__ import annotations

import re

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # fullmatch: "$" also matches before "\n"


def check_name(name: str) -> str:
    """A tenant name must be one lower-case DNS label (RFC 1123 §2.1)."""
    if not _LABEL.fullmatch(name):
        raise ValueError(
            f"invalid tenant name {name!r}: use 1-63 lower-case letters, digits or '-',"
            " not starting or ending with '-'"
        )
    return name
