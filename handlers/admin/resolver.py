"""operationId → handler for openapi/admin.yaml (``createKey`` →
:func:`handlers.admin.keys.create_key`), as :mod:`handlers.resolver` does
for the SCIM document."""

from __future__ import annotations

from scimdock.handlers.admin import access, audit, keys, tenants, tokens, tombstones
from scimdock.handlers.resolver import resolver_for

resolve = resolver_for(tenants, keys, access, tombstones, audit, tokens)
