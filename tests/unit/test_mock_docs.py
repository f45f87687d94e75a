"""docs/mock.md shows the JSON Schemas the mock validates with: the fault
rule's (core.faultrules) and the seed data's (core.seedfile), as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scimdock.core.faultrules import RULE_SCHEMA
from scimdock.core.seedfile import SEED_SCHEMA

DOC = Path(__file__).resolve().parents[2] / "docs" / "mock.md"


def test_the_documented_schemas_are_the_ones_in_force() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(), re.S)
    assert [json.loads(b) for b in blocks] == [RULE_SCHEMA, SEED_SCHEMA]
