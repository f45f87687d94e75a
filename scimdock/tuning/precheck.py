"""A compiled pre-check for request bodies, when jsonschema-rs is installed.

Connexion validates each body with Python jsonschema (Draft 4 plus its
``nullable`` extension): about 0.3 ms for an Entra ``POST /Users`` body, a
tenth of the request. jsonschema-rs (Rust) answers "valid?" for the same
schema in a few microseconds. The pre-check only ever *accepts*: a body it
finds valid goes on as Connexion would have let it; anything else — invalid,
or beyond what it can judge — goes to Connexion's validator, which decides
and words the error as before. So it must never accept what Connexion would
refuse:

* same draft (4), and Connexion's ``nullable`` / ``x-nullable`` rewritten
  into the schema as Draft 4 says it (``"null"`` added to ``type`` and to
  ``enum`` where the schema is nullable: exactly what Connexion's
  ``NullableTypeValidator`` and ``NullableEnumValidator`` let through);
* the same format checks: Connexion's ``Draft4Validator.FORMAT_CHECKER``
  functions, called back for their formats (others are checked by
  jsonschema-rs, i.e. more strictly than Connexion, which ignores them);
* no pre-check for a schema with ``oneOf`` or ``not``: where a stricter part
  can make the whole more lenient.

Where the two still differ, jsonschema-rs is the stricter (regular
expressions without Python's ``$``-before-newline, no ``NaN``), which only
sends the body down the slow path. tests/unit/test_tuning_precheck.py checks
"pre-check valid ⇒ Connexion valid" on thousands of generated bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import Draft4Validator

try:  # a dependency of schemathesis; optional in production (speed only)
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None

_UNSAFE = ("oneOf", "not")


def _walk(node: Any) -> Any:
    """A copy of ``node`` with Connexion's nullable extension in Draft 4 terms."""
    if isinstance(node, list):
        return [_walk(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _walk(v) for k, v in node.items()}
    if node.get("x-nullable") is True or node.get("nullable"):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _unsafe(node: Any) -> bool:
    if isinstance(node, list):
        return any(_unsafe(v) for v in node)
    if isinstance(node, dict):
        return any(k in _UNSAFE for k in node) or any(_unsafe(v) for v in node.values())
    return False


def _format(name: str) -> Callable[[str], bool]:
    checker = Draft4Validator.FORMAT_CHECKER
    return lambda value: bool(checker.conforms(value, name))


def precheck(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A ``body -> bool`` that is True only for bodies Connexion accepts;
    ``None`` when there is none for this schema (or no jsonschema-rs)."""
    # References are inlined already; the components Connexion attaches are
    # unused (another operation's ``oneOf`` there says nothing of this one).
    own = {k: v for k, v in schema.items() if k != "components"}
    if jsonschema_rs is None or _unsafe(own):
        return None
    rewritten = _walk(own)
    formats = {name: _format(name) for name in Draft4Validator.FORMAT_CHECKER.checkers}
    try:
        validator = jsonschema_rs.Draft4Validator(rewritten, validate_formats=True, formats=formats)
    except Exception:  # a schema it cannot compile: Connexion's path only
        return None

    def check(body: Any) -> bool:
        try:
            return bool(validator.is_valid(body))
        except Exception:  # e.g. a value it cannot convert: let Connexion judge
            return False

    return check
