"""The matchers of the replay language (:mod:`scimdock.check.replay`):
paths into a JSON answer (``a.b``, ``a[0].b``, ``a[*].b``, an enterprise
URN as one key), the step's expectations checked against an answer, the
values a step keeps (``capture``, ``collect``), and the request-less
``check`` steps."""

from __future__ import annotations

from collections import Counter
from typing import Any

from scimdock.check.replay import render

_MISSING = object()


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
