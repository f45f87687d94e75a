"""The replay format: identity-provider request flows as YAML, and the small
template language their runner (:mod:`scimdock.check.flows`) uses, for
``scimdock check --suite entra|okta`` and for the contract tests; the
matchers are :mod:`scimdock.check.matching`.

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
