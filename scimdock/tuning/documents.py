"""The OpenAPI documents parsed with libyaml (PyYAML's C loader) when it
is installed.

Given a file, Connexion renders it as a Jinja2 template and parses it with
PyYAML's pure-Python safe loader: about 0.12 s per document here, on every
start. ``add_api`` also accepts the parsed document, and then does the same
with it (string keys enforced, validated, references resolved), so the
start-up is that much shorter. A document that uses Jinja2 markup or refers
to another file is left to Connexion (those need its template rendering
and its base URI).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_JINJA = ("{{", "{%", "{#")
_EXTERNAL_REF = re.compile(r"\$ref['\"]?:\s*+(?!['\"]?#)")


def load(path: Path) -> dict[str, Any]:
    """``yaml.safe_load`` of ``path``, with the C parser when available."""
    return dict(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER))


def document(path: Path) -> dict[str, Any] | Path:
    """What to give ``add_api`` for ``path``: the parsed document, or the
    path itself when Connexion's own loading is needed."""
    text = path.read_text(encoding="utf-8")
    if any(m in text for m in _JINJA) or _EXTERNAL_REF.search(text):
        return path
    return dict(yaml.load(text, Loader=_LOADER))
