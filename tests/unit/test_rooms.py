"""Imports flow one way (docs/architecture.md, "Imports"): the core
imports nothing else of ours, the store only the core; the mock's pure
rules only the core and each other; the mock's admin handlers none of its
runtime layers; its client and pytest plugin only each other. Read from
the source, so a module no test imports is checked all the same."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT

MOCK = ROOT / "scimdock" / "mock"
#: The mock's runtime: the layers in front of Connexion, the client, the plugin.
RUNTIME = ("journal", "journal_entry", "faults", "profiles", "proxy", "client", "testing")


def _ours(path: Path) -> Iterator[str]:
    """The ``scimdock`` names ``path`` imports (``from m import x`` as ``m.x``)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        yield from (n for n in names if n == "scimdock" or n.startswith("scimdock."))


def _within(name: str, *allowed: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


ROOMS = [
    ("core", sorted((ROOT / "core").rglob("*.py")), ("scimdock.core",)),
    ("store", sorted((ROOT / "store").rglob("*.py")), ("scimdock.core", "scimdock.store")),
    (
        "mock rules",
        sorted((MOCK / "rules").glob("*.py")),
        ("scimdock.core", "scimdock.mock.rules"),
    ),
    ("mock client", [MOCK / "client.py", MOCK / "testing.py"], ("scimdock.mock.client",)),
]


@pytest.mark.parametrize(("room", "files", "allowed"), ROOMS, ids=[r[0] for r in ROOMS])
def test_a_room_imports_only_what_it_may(room: str, files: list[Path], allowed: tuple[str]) -> None:
    assert files, room
    wrong = [
        f"{f.relative_to(ROOT)}: {name}"
        for f in files
        for name in _ours(f)
        if not _within(name, *allowed)
    ]
    assert wrong == []


def test_the_mock_handlers_import_none_of_its_runtime() -> None:
    runtime = tuple(f"scimdock.mock.{m}" for m in RUNTIME)
    files = sorted((MOCK / "handlers").glob("*.py"))
    assert files
    wrong = [
        f"{f.relative_to(ROOT)}: {name}"
        for f in files
        for name in _ours(f)
        if _within(name, *runtime)
    ]
    assert wrong == []
