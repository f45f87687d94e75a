"""docs/mock.md shows the JSON Schemas the mock validates with: the fault
rule's (scimdock.mock.rules.faultrules) and the seed data's (scimdock.mock.rules.seedfile), as written;
and the defaults of ``scimdock mock`` as its command line has them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scimdock import config
from scimdock.cli import _parser
from scimdock.mock.rules.faultrules import RULE_SCHEMA, parse_rule, parse_rules
from scimdock.mock.rules.seedfile import SEED_SCHEMA

DOC = Path(__file__).resolve().parents[2] / "docs" / "mock.md"


#: A JSON block of the doc, and the kind its ``<!-- example: KIND -->`` line gives.
BLOCK = re.compile(r"(?:<!-- example: (\w+) -->\n)?```json\n(.*?)\n```", re.S)


def examples(kind: str) -> list[object]:
    """The doc's JSON examples of one kind (tests/integration/test_mock_docs.py
    sends each to a running mock)."""
    return [json.loads(b) for k, b in BLOCK.findall(DOC.read_text()) if k == kind]


def test_the_documented_schemas_are_the_ones_in_force() -> None:
    blocks = [(kind, json.loads(b)) for kind, b in BLOCK.findall(DOC.read_text())]
    assert [b for kind, b in blocks if not kind] == [RULE_SCHEMA, SEED_SCHEMA]
    assert {kind for kind, _ in blocks} == {"", "rule", "rules", "find", "verify"}


def test_every_documented_rule_is_a_valid_rule() -> None:
    assert examples("rule") and examples("rules")
    for rule in examples("rule"):
        parse_rule(rule)
    for rules in examples("rules"):
        parse_rules(rules)


def test_the_documented_defaults_are_the_ones_the_mock_binds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/mock.md's option table, ``scimdock mock --help`` and the port
    the command binds when given none (its parser's default) agree."""
    row = next(line for line in DOC.read_text().splitlines() if line.startswith("| `--host`"))
    host, port = re.findall(r"`([^`]+)`", row.split("|")[2])
    assert (host, int(port)) == (config.DEFAULT_HOST, _parser().parse_args(["mock"]).port)
    with pytest.raises(SystemExit):
        _parser().parse_args(["mock", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"(default {port})" in help_text and f"(default {host})" in help_text
