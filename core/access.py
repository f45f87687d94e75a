"""May this user sign in? The check the application calls at sign-in.

The vendor's contract for provisioning: deactivating a user (``active`` false,
RFC 7643 §4.1.1) keeps every piece of data and the account, and the user
cannot sign in; a user deleted through SCIM (a tombstone) cannot either;
and a tenant whose SCIM access the operator switched off (its
credentials refused) refuses sign-in too.

Reasons, checked in this order (the first that applies is given):

- ``notFound``: no such user, live or tombstoned, in this tenant;
- ``deleted``: the user was deleted through SCIM (kept until purged);
- ``tenantDisabled``: the tenant's SCIM access is switched off;
- ``inactive``: ``active`` is false;
- ``active``: allowed. A user without ``active`` counts as active: the
  attribute is optional and only an explicit false deactivates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UserState = Literal["live", "deleted", "unknown"]
Reason = Literal["active", "inactive", "deleted", "tenantDisabled", "notFound"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason


def decide(*, tenant_scim_enabled: bool, state: UserState, active: object = None) -> Decision:
    """The decision for a user in ``state`` whose ``active`` is ``active``
    (``None`` when absent)."""
    if state == "unknown":
        return Decision(False, "notFound")
    if state == "deleted":
        return Decision(False, "deleted")
    if not tenant_scim_enabled:
        return Decision(False, "tenantDisabled")
    if active is False:
        return Decision(False, "inactive")
    return Decision(True, "active")
