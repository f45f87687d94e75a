"""The replay format: identity-provider request flows as YAML, and the small
template and matcher language their runner (:mod:`scimdock.check.flows`)
uses, for ``scimdock check --suite entra|okta`` and for the contract tests.

A flow file::

    name: Entra ID Test Connection
    idp: entra                      # entra | okta | ... (the folder says the same)
    source:                         # at least one citation
      - title: 'Microsoft Learn, "Tutorial: Develop and plan provisioning ..."'
        section: User Operations / Get User by query - Zero results
        url: https://learn.microsoft.com/...
    notes: free text                # optional: what the flow shows
    needs: [empty]                  # optional: runs only on a tenant with no user
                                    # or group (the flow counts them all)
    vars: {guid: 9a7c1f6e-...}      # optional starting variables
    steps:
      - name: query a random userName
        method: GET
        path: /Users?filter=userName eq "{{guid}}"
        query: {count: 2}           # optional, merged into the query string
        headers: {Content-Type: application/json}   # optional
        auth: none | wrong          # optional: no Authorization, or an unknown token
        api: admin                  # optional: the admin API with the operator's
                                    # token (set-up an administrator does, such
                                    # as registering an extension schema)
        body: {...}                 # JSON body (templated)
        status: 200
        expect:                     # dotted paths → exact values, JSON types kept
          totalResults: 0           # ("1" is not 1, 1 is not true)
          "emails[0].value": a@b.c  # quote keys with [ ] inside {...}
        absent: [password]          # paths that must not exist (or hold [])
        present: [id, meta.created] # paths that must exist
        length: {Resources: 0}      # list lengths
        unordered:                  # a list in any order: the same items, each
          "members[*].value": ["{{u1}}", "{{u2}}"]   # as often; a path that is
                                    # absent counts as [] (SCIM omits empty lists)
        header: {Content-Type: application/scim+json}   # response header prefixes
        capture: {uid: id}          # variable ← path of the response body
        collect: {seen: "Resources[*].id"}   # list variable += every value at path
        repeat: 150 | {from: 1, to: 150, step: 100}   # run the step for each value
        as: i                       # the loop variable (default i)
      - name: every user exactly once
        check:                      # a step without a request
          same: [seen, created]     # equal as multisets: each item exactly once
          distinct: [seen]          # no duplicates
          count: {seen: 150}        # list lengths
      - name: a step of scimdock's own
        own: why                    # scimdock's choice where the sources leave it
                                    # open: ``scimdock check`` leaves the step out
        ...
      - name: a step the server does not pass yet
        known_issue: what is wrong and who must fix it
        ...                         # the flow is an expected failure (xfail) at
                                    # this step; once it passes, the runner fails
                                    # and asks for the marker to be removed

Templates: ``{{name}}`` is replaced by a variable anywhere in strings, keys
and paths; a string that is exactly ``{{name}}`` takes the variable's value
with its JSON type (``startIndex: "{{start}}"`` stays a number). Predefined:
``CORE``, ``ENT`` (the enterprise extension URN), ``GROUP``, ``PATCHOP``,
``LIST``, ``ERROR``; ``tenant``, the name of the flow's tenant; ``p``, the
prefix every name of a user or group the flow creates starts with (what
``scimdock check`` recognises as its own), and ``P``, the same in capitals.

Paths: ``a.b``, ``a[0].b``, ``a[*].b`` (every element). A key that itself
contains dots — the enterprise URN ``...:enterprise:2.0:User`` — is matched
as the longest key of the object that the remaining path starts with, so
``{{ENT}}.manager.value`` works.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONSTANTS: dict[str, Any] = {
    "CORE": "urn:ietf:params:scim:schemas:core:2.0:User",
    "ENT": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "GROUP": "urn:ietf:params:scim:schemas:core:2.0:Group",
    "PATCHOP": "urn:ietf:params:scim:api:messages:2.0:PatchOp",
    "LIST": "urn:ietf:params:scim:api:messages:2.0:ListResponse",
    "ERROR": "urn:ietf:params:scim:api:messages:2.0:Error",
}
_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_STEP_KEYS = frozenset(
    {
        "name",
        "method",
        "path",
        "query",
        "headers",
        "auth",
        "api",
        "body",
        "status",
        "expect",
        "absent",
        "present",
        "length",
        "unordered",
        "header",
        "capture",
        "collect",
        "repeat",
        "as",
        "check",
        "known_issue",
        "own",
    }
)
_MISSING = object()


class ReplayError(AssertionError):
    """A flow file that is malformed, or a step whose answer does not match."""


# --- loading -------------------------------------------------------------------


@dataclass
class Flow:
    file: Path
    name: str
    idp: str
    sources: list[dict[str, str]]
    steps: list[dict[str, Any]]
    vars: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.file.parent.name}/{self.file.name}"


def load_flow(file: Path) -> Flow:
    """Read and check one flow file; every mistake names the file."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ReplayError(f"{file}: not YAML: {exc}") from None
    where = f"{file.parent.name}/{file.name}"
    if not isinstance(raw, dict):
        raise ReplayError(f"{where}: a flow is a mapping")
    unknown = set(raw) - {"name", "idp", "source", "steps", "vars", "notes", "needs"}
    if unknown:
        raise ReplayError(f"{where}: unknown keys {sorted(unknown)}")
    sources = raw.get("source")
    if isinstance(sources, dict):
        sources = [sources]
    if not sources or not all(isinstance(s, dict) and s.get("title") for s in sources):
        raise ReplayError(
            f"{where}: 'source' must cite at least one document (title, section, url)"
        )
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ReplayError(f"{where}: 'steps' must be a non-empty list")
    for n, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise ReplayError(f"{where}: step {n} is not a mapping")
        bad = set(step) - _STEP_KEYS
        if bad:
            raise ReplayError(f"{where}: step {n} has unknown keys {sorted(bad)}")
        if "check" not in step and ("method" not in step or "path" not in step):
            raise ReplayError(f"{where}: step {n} needs 'method' and 'path' (or is a 'check')")
        if "check" not in step and "status" not in step:
            raise ReplayError(f"{where}: step {n} needs an expected 'status'")
    return Flow(
        file,
        str(raw.get("name") or file.stem),
        str(raw.get("idp") or file.parent.name),
        sources,
        steps,
        dict(raw.get("vars") or {}),
        tuple(str(n) for n in raw.get("needs") or ()),
    )


def variables_of(flow: Flow, tenant: str, prefix: str) -> dict[str, Any]:
    """A flow's starting variables: ``tenant``, ``p``/``P`` (the name
    prefix) and its own ``vars``, which may use them."""
    base = {"tenant": tenant, "p": prefix, "P": prefix.upper()}
    return {**base, **render(flow.vars, base)}


# --- templates -----------------------------------------------------------------


def render(value: Any, variables: dict[str, Any]) -> Any:
    """Substitute ``{{name}}`` in every string (and mapping key) of ``value``."""
    if isinstance(value, str):
        whole = _VAR.fullmatch(value.strip())
        if whole:
            return _lookup_var(whole.group(1), variables)
        return _VAR.sub(lambda m: _text(_lookup_var(m.group(1), variables)), value)
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if isinstance(value, dict):
        return {render(k, variables): render(v, variables) for k, v in value.items()}
    return value


def _lookup_var(name: str, variables: dict[str, Any]) -> Any:
    if name in variables:
        return variables[name]
    if name in CONSTANTS:
        return CONSTANTS[name]
    raise ReplayError(f"unknown variable {{{{{name}}}}} (known: {sorted(variables)})")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def loop_values(spec: Any) -> list[Any]:
    """``repeat: N`` → 1..N; ``repeat: {from, to, step}`` → that range
    (inclusive); ``repeat: [a, b]`` → those values."""
    if isinstance(spec, bool):
        raise ReplayError(f"bad repeat {spec!r}")
    if isinstance(spec, int):
        return list(range(1, spec + 1))
    if isinstance(spec, list):
        return spec
    if isinstance(spec, dict) and isinstance(spec.get("to"), int):
        return list(range(int(spec.get("from", 1)), spec["to"] + 1, int(spec.get("step", 1))))
    raise ReplayError(f"bad repeat {spec!r}: a count, a list or {{from, to, step}}")


# --- paths ---------------------------------------------------------------------


def get_all(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (``[*]`` fans out); [] when there is none."""
    path = path.strip()
    if not path:
        return [data]
    if path.startswith("["):
        end = path.index("]")
        index, rest = path[1:end], path[end + 1 :].lstrip(".")
        if not isinstance(data, list):
            return []
        if index == "*":
            return [v for item in data for v in get_all(item, rest)]
        i = int(index)
        return get_all(data[i], rest) if -len(data) <= i < len(data) else []
    if not isinstance(data, dict):
        return []
    key = _longest_key(data, path)
    if key is None:
        return []
    rest = path[len(key) :].lstrip(".")
    return get_all(data[key], rest)


def _longest_key(data: dict[str, Any], path: str) -> str | None:
    """The longest key equal to ``path`` or to a prefix of it that ends
    where a ``.`` or ``[`` starts the rest (keys are matched exactly)."""
    best = None
    for key in data:
        if not isinstance(key, str):
            continue
        if path == key or (path.startswith(key) and path[len(key)] in ".["):
            if best is None or len(key) > len(best):
                best = key
    return best


def get_one(data: Any, path: str) -> Any:
    found = get_all(data, path)
    if "[*]" in path:
        return found
    return found[0] if found else _MISSING


# --- matching ------------------------------------------------------------------


def check_answer(
    step: dict[str, Any], status: int, body: Any, headers: dict[str, str], variables: dict[str, Any]
) -> list[str]:
    """Every mismatch between a response and the step's expectations."""
    problems: list[str] = []
    want = render(step["status"], variables)
    if status != want:
        problems.append(f"status: expected {want}, got {status}")
        return problems  # the rest would only repeat that
    for path, expected in (render(step.get("expect") or {}, variables)).items():
        got = get_one(body, path)
        if got is _MISSING:
            problems.append(f"{path}: expected {expected!r}, but it is absent")
        elif not same_json(got, expected):
            problems.append(f"{path}: expected {expected!r}, got {got!r}")
    for path in render(step.get("absent") or [], variables):
        got = get_one(body, path)
        if got is not _MISSING and got != []:
            problems.append(f"{path}: expected absent, got {got!r}")
    for path in render(step.get("present") or [], variables):
        if get_one(body, path) is _MISSING:
            problems.append(f"{path}: expected present, but it is absent")
    for path, n in (render(step.get("length") or {}, variables)).items():
        got = get_one(body, path)
        if not isinstance(got, list) or len(got) != n:
            shown = len(got) if isinstance(got, list) else got
            problems.append(f"{path}: expected a list of {n}, got {shown!r}")
    for path, expected in (render(step.get("unordered") or {}, variables)).items():
        got = get_one(body, path)
        found = [] if got is _MISSING else got
        if (
            not isinstance(expected, list)
            or not isinstance(found, list)
            or not same_multiset(found, expected)
        ):
            problems.append(f"{path}: expected {expected!r} in any order, got {found!r}")
    lower = {k.lower(): v for k, v in headers.items()}
    for name, prefix in (render(step.get("header") or {}, variables)).items():
        got = lower.get(name.lower())
        if got is None or not got.startswith(str(prefix)):
            problems.append(f"header {name}: expected {prefix!r}..., got {got!r}")
    return problems


def same_json(a: Any, b: Any) -> bool:
    """JSON equality that keeps JSON's types apart at every depth: ``1`` is
    not ``true`` and ``"1"`` is not ``1`` (``1`` and ``1.0`` are equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def same_multiset(got: list[Any], expected: list[Any]) -> bool:
    """The same items, in any order, each as often (compared with
    :func:`same_json`, so JSON types stay apart)."""
    left = list(got)
    for item in expected:
        index = next((i for i, x in enumerate(left) if same_json(x, item)), None)
        if index is None:
            return False
        del left[index]
    return not left


def capture(step: dict[str, Any], body: Any, variables: dict[str, Any]) -> list[str]:
    """Apply ``capture`` and ``collect``; a missing path is a mismatch."""
    problems = []
    for name, path in (step.get("capture") or {}).items():
        got = get_one(body, render(path, variables))
        if got is _MISSING:
            problems.append(f"capture {name}: nothing at {path!r}")
        else:
            variables[name] = got
    for name, path in (step.get("collect") or {}).items():
        found = get_all(body, render(path, variables))
        variables.setdefault(name, []).extend(found)
    return problems


def run_check(check: dict[str, Any], variables: dict[str, Any]) -> list[str]:
    """A request-less step: ``same`` (multiset equality: every item exactly
    once), ``distinct`` (no duplicates), ``count`` (list lengths)."""
    problems = []
    for a, b in _pairs(check.get("same")):
        left, right = (
            Counter(map(_hashable, variables.get(a, []))),
            Counter(map(_hashable, variables.get(b, []))),
        )
        if left != right:
            extra, missing = left - right, right - left
            dupes = [k for k, n in left.items() if n > 1]
            problems.append(
                f"{a} and {b} differ: {len(extra)} extra, {len(missing)} missing, "
                f"duplicates in {a}: {dupes[:5]}"
            )
    for name in check.get("distinct") or []:
        counts = Counter(map(_hashable, variables.get(name, [])))
        dupes = [k for k, n in counts.items() if n > 1]
        if dupes:
            problems.append(f"{name} has duplicates: {dupes[:5]}")
    for name, n in (check.get("count") or {}).items():
        got = len(variables.get(name, []))
        if got != n:
            problems.append(f"{name}: expected {n} items, got {got}")
    return problems


def _pairs(spec: Any) -> list[tuple[str, str]]:
    if not spec:
        return []
    if isinstance(spec[0], str):
        return [(spec[0], spec[1])]
    return [(p[0], p[1]) for p in spec]


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value
