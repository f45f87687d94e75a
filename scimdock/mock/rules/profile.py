"""Behaviour profiles of the mock (docs/mock.md, "Profiles"): how a
tenant's service provider behaves where RFC 7644 leaves a choice, as data
read at the few places that decide (scimdock.mock.profiles, handlers).

A profile is a JSON object; every field is optional and the defaults are
scimdock's own behaviour. :data:`PRESETS` names the documented ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from scimdock.core.filter.ast import And, Compare, Filter, Or


class ProfileError(ValueError):
    """A profile that is not one (400 invalidValue, exit status 2)."""


@dataclass(frozen=True)
class Profile:
    #: A label: a preset's name, or what the caller calls it.
    name: str = "scimdock"
    #: PATCH answers: ``default`` (Users 200 with the resource; Groups 204
    #: unless attributes are asked for), ``resource`` (200 with it) or
    #: ``noContent`` (204): RFC 7644 §3.5.2 allows either.
    patchResponse: str = "default"
    #: ``all``, ``eq`` (only ``eq`` comparisons, joined by ``and``/``or``) or
    #: ``none`` (400 invalidFilter; /ServiceProviderConfig filter.supported
    #: false, RFC 7643 §5).
    filter: str = "all"
    #: ``count`` honoured, or ``ignore``d (RFC 7644 §3.4.2.4: a provider
    #: may return fewer results); ``maxCount`` caps it.
    count: str = "honour"
    maxCount: int | None = None
    #: ETags sent and checked, and advertised (RFC 7644 §3.14), or not.
    etag: bool = True
    #: User attributes a POST or PUT must carry, beyond ``userName``
    #: (paths such as ``emails``, ``name.familyName``, ``externalId``).
    requiredAttributes: tuple[str, ...] = field(default_factory=tuple)
    #: RFC-strict (``scimdock serve --strict``) for this tenant only.
    strict: bool = False
    #: ``userName`` compared as given: ``Alice`` and ``alice`` are two users,
    #: and ``userName eq "alice"`` finds only the second (RFC 7643 §4.1.1
    #: makes it caseExact false; /Schemas then says true). Kept by the store
    #: (it decides uniqueness), not with the rest of the profile.
    userNameCaseExact: bool = False

    def view(self) -> dict[str, Any]:
        out = asdict(self)
        out["requiredAttributes"] = list(self.requiredAttributes)
        return out

    def is_default(self) -> bool:
        return replace(self, name=DEFAULT.name) == DEFAULT


DEFAULT = Profile()

_CHOICES = {
    "patchResponse": ("default", "resource", "noContent"),
    "filter": ("all", "eq", "none"),
    "count": ("honour", "ignore"),
}

#: The named profiles, each a service provider's behaviour that RFC 7644 allows.
PRESETS: dict[str, Profile] = {
    p.name: p
    for p in (
        DEFAULT,
        Profile(name="rfc-strict", strict=True),
        Profile(name="patch-no-content", patchResponse="noContent"),
        Profile(name="patch-resource", patchResponse="resource"),
        Profile(name="no-filter", filter="none"),
        Profile(name="eq-only", filter="eq"),
        Profile(name="small-pages", maxCount=10),
        Profile(name="no-etag", etag=False),
        Profile(name="case-sensitive-username", userNameCaseExact=True),
        Profile(
            name="minimal",
            patchResponse="noContent",
            filter="eq",
            etag=False,
            maxCount=100,
        ),
    )
}


def parse_profile(raw: Any) -> Profile:
    """A profile from its JSON form, or a preset's name."""
    if isinstance(raw, str):
        if raw not in PRESETS:
            raise ProfileError(f"no profile named {raw!r}; presets: {', '.join(PRESETS)}")
        return PRESETS[raw]
    if not isinstance(raw, dict):
        raise ProfileError("a profile is a JSON object or a preset's name")
    base = DEFAULT
    if "preset" in raw:
        base = parse_profile(raw["preset"])
    known = set(asdict(DEFAULT)) | {"preset"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ProfileError(f"unknown profile field {unknown[0]!r}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "preset":
            continue
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ProfileError(f"{key} must be one of {', '.join(_CHOICES[key])}")
        if key in ("etag", "strict", "userNameCaseExact") and not isinstance(value, bool):
            raise ProfileError(f"{key} must be true or false")
        if key == "maxCount" and value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ProfileError("maxCount must be a non-negative integer or null")
        if key == "name" and (not isinstance(value, str) or not 0 < len(value) <= 100):
            raise ProfileError("name must be a string of 1 to 100 characters")
        if key == "requiredAttributes":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and 0 < len(v) <= 200 for v in value
            ):
                raise ProfileError("requiredAttributes must be a list of attribute paths")
            value = tuple(value)
        values[key] = value
    if "name" not in values and "preset" not in raw:
        values["name"] = "custom"
    return replace(base, **values)


def only_eq(node: Filter) -> bool:
    """Whether a filter uses ``eq`` comparisons only (RFC 7644 §3.4.2.2)."""
    if isinstance(node, Compare):
        return node.op.lower() == "eq"
    if isinstance(node, (And, Or)):
        return only_eq(node.left) and only_eq(node.right)
    return False  # not, pr, a value path


def missing(doc: dict[str, Any], paths: tuple[str, ...]) -> str | None:
    """The first of ``paths`` the POST/PUT body ``doc`` has no value for
    (names case-insensitive, RFC 7643 §2.1; empty is unassigned, §2.5)."""
    for path in paths:
        value: Any = doc
        for part in path.split("."):
            if isinstance(value, list):
                value = [v.get(_key(v, part)) for v in value if isinstance(v, dict)]
                value = [v for v in value if v not in (None, "", [], {})]
            elif isinstance(value, dict):
                value = value.get(_key(value, part))
            else:
                value = None
        if value in (None, "", [], {}):
            return path
    return None


def _key(obj: dict[str, Any], name: str) -> str:
    return next((k for k in obj if isinstance(k, str) and k.lower() == name.lower()), name)
