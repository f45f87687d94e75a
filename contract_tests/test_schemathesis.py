"""schemathesis fuzzes the live server against openapi/scim.yaml: every
operation, every check, every phase (examples, coverage, fuzzing, stateful).

Per-operation adjustments live in scimdock/check/schemathesis.toml (shared
with ``scimdock check --suite fuzz``), each
with its reason. The run must report zero failures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import scimdock.check
from conftest import Server, start_server, stop_server
from contract_tests.fuzz import run_schemathesis
from tests.fuzzing import examples as fuzz_examples


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("fuzz"))
    yield srv
    stop_server(srv)


@pytest.mark.runs_long("schemathesis's whole budget: about 1.5 minutes of CPU")
def test_schemathesis_reports_no_failures(fuzz_server: Server, tmp_path: Path) -> None:
    token = fuzz_server.tenant("fuzz")
    examples = str(fuzz_examples(60))
    config = str(Path(scimdock.check.__file__).resolve().parent / "schemathesis.toml")
    run_schemathesis(fuzz_server, fuzz_server.base, config, token, examples, tmp_path)
