"""What the mock's recording proxy saw of a target service provider
(scimdock.mock.proxy, docs/mock.md "Recording proxy"): its users and groups as
a snapshot in the seed format (scimdock.mock.rules.seedfile), and a behaviour profile
(scimdock.mock.rules.profile) guessed from how it answered, with the evidence for each
guess. Pure: exchanges in, documents out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scimdock.core.errors import ScimError
from scimdock.core.filter.parser import parse_filter
from scimdock.core.schema import CORE_USER
from scimdock.mock.rules.profile import DEFAULT, Profile, only_eq
from scimdock.mock.rules.seedfile import ID_PATTERN

#: Attributes a snapshot leaves out: the server's (RFC 7643 §3.1) and the
#: write-only password (RFC 7643 §4.1.1).
_DROPPED = frozenset({"meta", "password"})
_KINDS = ("users", "groups")


@dataclass(frozen=True)
class Exchange:
    """One request to the target and its answer: ``path`` under the
    target's base URL, ``query`` with lower-case names, ``request`` and
    ``body`` the JSON bodies (``None`` when empty or not JSON),
    ``headers`` the answer's with lower-case names."""

    method: str
    path: str
    query: dict[str, str]
    request: Any
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Recording:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What the target's /ServiceProviderConfig and /Schemas said.
    advertised: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    _patch: dict[str, Counter[int]] = field(default_factory=lambda: {k: Counter() for k in _KINDS})
    #: (only ``eq`` comparisons, accepted) of each filter answered.
    _filters: list[tuple[bool, bool]] = field(default_factory=list)
    _etags: Counter[bool] = field(default_factory=Counter)
    #: (count asked, resources given, whether more were left) of each page.
    _pages: list[tuple[int, int, bool]] = field(default_factory=list)
    #: True: userName compared as given; False: case-insensitively.
    _case: Counter[bool] = field(default_factory=Counter)

    def observe(self, ex: Exchange) -> None:
        self.requests += 1
        parts = [p for p in ex.path.split("/") if p]
        head = parts[0].lower() if parts else ""
        if head == "serviceproviderconfig" and ex.status == 200 and isinstance(ex.body, dict):
            self._config(ex.body)
        if head == "schemas" and ex.status == 200 and isinstance(ex.body, dict):
            for doc in ex.body.get("Resources") or [ex.body]:
                self._schema(doc)
        if head not in _KINDS:
            return
        ok = 200 <= ex.status < 300
        if ex.method == "PATCH" and ok:
            self._patch[head][ex.status] += 1
        self._filter(ex, parts)
        if head == "users" and ex.method == "POST" and len(parts) == 1:
            self._create_case(ex)
        if len(parts) == 2 and parts[1] != ".search":
            if (ex.method == "DELETE" and ok) or ex.status == 404:
                self._store(head).pop(parts[1], None)
                return
        if not ok or not isinstance(ex.body, dict):
            return
        partial = "attributes" in ex.query or "excludedattributes" in ex.query
        if isinstance(ex.body.get("Resources"), list):
            self._page(ex, ex.body)
            for doc in ex.body["Resources"]:
                self._keep(head, doc, merge=True, etag=None)
        else:
            etag = "etag" in ex.headers
            self._keep(head, ex.body, merge=partial, etag=etag)

    def read_back(self, ex: Exchange) -> str | None:
        """The resource path to read after a write answered without its
        resource (a PATCH or PUT answered 204): the recording learns its
        state from the GET."""
        parts = [p for p in ex.path.split("/") if p]
        if (
            ex.method in ("PATCH", "PUT")
            and 200 <= ex.status < 300
            and not isinstance(ex.body, dict)
            and len(parts) == 2
            and parts[0].lower() in _KINDS
        ):
            return "/" + "/".join(parts)
        return None

    def _store(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.users if kind == "users" else self.groups

    def _keep(self, kind: str, doc: Any, *, merge: bool, etag: bool | None) -> None:
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            return
        meta = doc.get("meta")
        version = isinstance(meta, dict) and bool(meta.get("version"))
        self._etags[version if etag is None else (version or etag)] += 1
        store = self._store(kind)
        kept = {k: v for k, v in doc.items() if k.lower() not in _DROPPED}
        store[doc["id"]] = {**store.get(doc["id"], {}), **kept} if merge else kept

    def _config(self, body: dict[str, Any]) -> None:
        for name in ("etag", "filter"):
            value = body.get(name)
            if isinstance(value, dict) and isinstance(value.get("supported"), bool):
                self.advertised[name] = value["supported"]
        found = body.get("filter")
        limit = found.get("maxResults") if isinstance(found, dict) else None
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            self.advertised["maxResults"] = limit

    def _schema(self, doc: Any) -> None:
        if not isinstance(doc, dict) or doc.get("id") != CORE_USER:
            return
        for attribute in doc.get("attributes") or ():
            if isinstance(attribute, dict) and str(attribute.get("name")).lower() == "username":
                if isinstance(attribute.get("caseExact"), bool):
                    self.advertised["userNameCaseExact"] = attribute["caseExact"]

    def _filter(self, ex: Exchange, parts: list[str]) -> None:
        text: Any = None
        if ex.method == "GET" and len(parts) == 1:
            text = ex.query.get("filter")
        elif ex.method == "POST" and parts[-1] == ".search" and isinstance(ex.request, dict):
            text = next((v for k, v in ex.request.items() if k.lower() == "filter"), None)
        if not isinstance(text, str):
            return
        try:
            eq = only_eq(parse_filter(text))
        except ScimError:
            return  # not a filter here either: says nothing of the target's support
        refused = ex.status == 400 and _scim_type(ex.body) == "invalidFilter"
        if 200 <= ex.status < 300 or refused:
            self._filters.append((eq, not refused))

    def _create_case(self, ex: Exchange) -> None:
        """A POST of a userName that a known user has in another case:
        created (compared as given) or 409 (case-insensitively)."""
        name = ex.request.get("userName") if isinstance(ex.request, dict) else None
        if not isinstance(name, str):
            return
        others = {str(u.get("userName")) for u in self.users.values()}
        if name in others or name.casefold() not in {o.casefold() for o in others}:
            return
        if ex.status == 201:
            self._case[True] += 1
        elif ex.status == 409:
            self._case[False] += 1

    def _page(self, ex: Exchange, body: dict[str, Any]) -> None:
        count = ex.query.get("count")
        total, given = body.get("totalResults"), len(body["Resources"])
        start = body.get("startIndex")
        start = start if isinstance(start, int) else 1
        if count is not None and count.isdigit() and isinstance(total, int):
            self._pages.append((int(count), given, total > start - 1 + given))

    def snapshot(self) -> dict[str, Any]:
        """The users and groups seen, as a seed document (scimdock.mock.rules.seedfile): a
        group's members named by ``userName`` or ``displayName``, those
        not seen left out, a group after the groups it contains; the
        target's ids where a seed can keep them."""
        names = {i: u.get("userName") for i, u in self.users.items()}
        titles = {i: g.get("displayName") for i, g in self.groups.items()}
        ordered: list[dict[str, Any]] = []
        done: set[str] = set()

        def visit(group_id: str, path: frozenset[str]) -> None:
            if group_id in done or group_id in path:
                return
            doc = self.groups[group_id]
            members: list[str] = []
            for member in doc.get("members") or ():
                value = member.get("value") if isinstance(member, dict) else None
                if value in self.groups:
                    visit(value, path | {group_id})
                    members.append(str(titles[value]))
                elif value in names:
                    members.append(str(names[value]))
            done.add(group_id)
            ordered.append({**_seedable(doc), "members": sorted(members)})

        for group_id in self.groups:
            visit(group_id, frozenset())
        return {"users": [_seedable(u) for u in self.users.values()], "groups": ordered}

    def profile(self, name: str) -> tuple[Profile, dict[str, str]]:
        """The guessed profile, named ``name``, and why each field is what it is."""
        why: dict[str, str] = {}
        patch = self._patch_response(why)
        filtering = self._filtering(why)
        etag = self._either(
            self._etags,
            "etag",
            f"resources with a version: {self._etags[True]}, without: {self._etags[False]}",
            why,
        )
        count, cap = self._paging(why)
        exact = self._either(
            self._case,
            "userNameCaseExact",
            f"creates of a userName known in another case: {self._case[True]} made,"
            f" {self._case[False]} refused as taken",
            why,
        )
        profile = Profile(
            name=name[:100] or "recorded",
            patchResponse=patch,
            filter=filtering,
            count=count,
            maxCount=cap,
            etag=etag,
            userNameCaseExact=exact,
        )
        return profile, why

    def _either(self, seen: Counter[bool], name: str, evidence: str, why: dict[str, str]) -> bool:
        """What ``seen`` shows most, else what the target advertised (or
        the default profile's ``name``)."""
        found = _majority(seen)
        if found is not None:
            why[name] = evidence
            return found
        advertised = bool(self.advertised.get(name, getattr(DEFAULT, name)))
        why[name] = f"nothing seen; advertised (or the default): {advertised}"
        return advertised

    def _patch_response(self, why: dict[str, str]) -> str:
        seen = {k: _majority(_no_content(c)) for k, c in self._patch.items()}
        why["patchResponse"] = "; ".join(
            f"PATCH /{k.capitalize()}: "
            + (", ".join(f"{s} x{n}" for s, n in sorted(c.items())) or "none")
            for k, c in self._patch.items()
        )
        users, groups = seen["users"], seen["groups"]
        if users is None and groups is None:
            return DEFAULT.patchResponse
        if users is False and groups is not False:
            return "resource" if groups is None else "default"
        if users is True and groups is False:
            return (
                "resource"
                if self._patch["groups"].total() > self._patch["users"].total()
                else "noContent"
            )
        return "noContent" if True in (users, groups) else "resource"

    def _filtering(self, why: dict[str, str]) -> str:
        seen = Counter(self._filters)
        why["filter"] = (
            f"eq-only filters accepted {seen[(True, True)]}, refused {seen[(True, False)]};"
            f" others accepted {seen[(False, True)]}, refused {seen[(False, False)]}"
        )
        if seen[(False, True)]:
            return "all"
        if seen[(True, False)] and not seen[(True, True)]:
            return "none"
        if seen[(True, True)] and seen[(False, False)]:
            return "eq"
        if self.advertised.get("filter") is False:
            why["filter"] += "; filter.supported: false"
            return "none"
        return "all"

    def _paging(self, why: dict[str, str]) -> tuple[str, int | None]:
        ignored = any(given > asked for asked, given, _ in self._pages)
        capped = [given for asked, given, more in self._pages if given < asked and more]
        cap = max(capped) if capped else self.advertised.get("maxResults")
        why["count"] = f"pages asked for: {len(self._pages)}; more than asked given: {ignored}"
        why["maxCount"] = f"pages cut short at {cap}" if capped else f"filter.maxResults: {cap}"
        return ("ignore" if ignored else "honour"), cap


def _majority(seen: Counter[bool]) -> bool | None:
    if not seen:
        return None
    return seen[True] >= seen[False]


def _no_content(statuses: Counter[int]) -> Counter[bool]:
    """How many answers were 204 (True) and how many were not."""
    out: Counter[bool] = Counter()
    for status, n in statuses.items():
        out[status == 204] += n
    return out


def _scim_type(body: Any) -> Any:
    return body.get("scimType") if isinstance(body, dict) else None


def _seedable(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without an id a seed cannot keep (scimdock.mock.rules.seedfile.ID_PATTERN:
    the mock then makes one)."""
    given = doc.get("id")
    if isinstance(given, str) and re.fullmatch(ID_PATTERN, given) and given != "bulkid":
        return doc
    return {k: v for k, v in doc.items() if k != "id"}
