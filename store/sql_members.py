"""Member rows beside their group (RFC 7643 §4.2), written once for every
backend as transaction scripts (store.sqlscript)."""

from __future__ import annotations

from scimdock.store.sqldialect import Dialect
from scimdock.store.sqlscript import Script, run


def drop_resource(
    d: Dialect, tenant_id: int, member_id: str, member_type: str, now: str
) -> Script[None]:
    """A deleted user or group leaves every group it was in; those groups
    change (new ``meta.version`` and ``lastModified``, RFC 7644 §3.14)."""
    yield run(
        "UPDATE groups SET version = version + 1, last_modified = ? WHERE tenant_id = ? AND seq IN"
        " (SELECT group_seq FROM members WHERE tenant_id = ? AND member_id = ?"
        " AND member_type = ?)",
        (now, tenant_id, tenant_id, member_id, member_type),
    )
    yield run(
        "DELETE FROM members WHERE tenant_id = ? AND member_id = ? AND member_type = ?",
        (tenant_id, member_id, member_type),
    )
