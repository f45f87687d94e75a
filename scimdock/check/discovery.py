"""Discovery first: what the target says it supports (RFC 7644 §4), read
from /ServiceProviderConfig, /ResourceTypes and /Schemas before any other
request, and the one place that decides what may be tested. A check that
needs a feature the target does not offer is reported as skipped, with
:meth:`Discovery.lacks`'s reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scimdock.check.model import member
from scimdock.check.target import Target

#: ServiceProviderConfig's feature flags (RFC 7643 §5), and RFC 9865 §4's cursor.
FEATURES = ("patch", "bulk", "filter", "sort", "etag", "changePassword")
CORE_SCHEMAS = {
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
}


@dataclass
class Discovery:
    spc: dict[str, Any] = field(default_factory=dict)
    resource_types: list[dict[str, Any]] = field(default_factory=list)
    schemas: list[dict[str, Any]] = field(default_factory=list)
    #: Why a discovery document could not be read (then nothing is supported).
    problems: list[str] = field(default_factory=list)

    def supports(self, feature: str) -> bool:
        if feature == "cursor":
            return member(member(self.spc, "pagination"), "cursor") is True
        return member(member(self.spc, feature), "supported") is True

    @property
    def endpoints(self) -> dict[str, str]:
        """Resource type name → endpoint (``User`` → ``/Users``)."""
        return {
            str(member(rt, "name")): str(member(rt, "endpoint"))
            for rt in self.resource_types
            if member(rt, "name") and member(rt, "endpoint")
        }

    @property
    def schema_ids(self) -> set[str]:
        ids = {str(member(s, "id")) for s in self.schemas if member(s, "id")}
        for rt in self.resource_types:
            ids |= {str(member(e, "schema")) for e in member(rt, "schemaExtensions") or []}
        return ids

    @property
    def extensions(self) -> set[str]:
        """The target's own schema extensions (beyond RFC 7643's)."""
        return {s for s in self.schema_ids if ":extension:" in s} - CORE_SCHEMAS

    def lacks(self, *needs: str) -> str | None:
        """Why a check that needs ``needs`` cannot run here, or None."""
        if self.problems:
            return f"discovery failed: {self.problems[0]}"
        for need in needs:
            if need in ("User", "Group"):
                if need not in self.endpoints:
                    return f"/ResourceTypes lists no {need} resource type"
            elif need == "cursor":
                if not self.supports("cursor"):
                    return "ServiceProviderConfig pagination.cursor is not true (RFC 9865 §4)"
            elif need.startswith("urn:"):
                if need not in self.schema_ids:
                    return f"/Schemas does not list {need}"
            elif not self.supports(need):
                return f"ServiceProviderConfig {need}.supported is not true (RFC 7643 §5)"
        return None


def discover(target: Target) -> Discovery:
    """Read the three discovery endpoints (RFC 7644 §4)."""
    found = Discovery()
    spc = _read(target, "/ServiceProviderConfig", found)
    found.spc = spc if isinstance(spc, dict) else {}
    found.resource_types = _listed(_read(target, "/ResourceTypes", found))
    found.schemas = _listed(_read(target, "/Schemas", found))
    return found


def _read(target: Target, path: str, found: Discovery) -> Any:
    try:
        response = target.get(path)
    except Exception as exc:  # no answer at all: every check that needs it skips
        found.problems.append(f"GET {path}: {exc}")
        return None
    if response.status_code != 200:
        found.problems.append(f"GET {path} answered {response.status_code}")
        return None
    try:
        return response.json()
    except ValueError:
        found.problems.append(f"GET {path} answered no JSON")
        return None


def _listed(doc: Any) -> list[dict[str, Any]]:
    """A ListResponse's ``Resources`` (RFC 7644 §4), or a bare JSON array."""
    items = member(doc, "Resources") if isinstance(doc, dict) else doc
    return [item for item in items or [] if isinstance(item, dict)]
