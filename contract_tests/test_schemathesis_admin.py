"""schemathesis fuzzes the live server against openapi/admin.yaml with the
operator token: every operation, every check, every phase (examples,
coverage, fuzzing, stateful through the document's links).

Per-operation adjustments live in contract_tests/schemathesis_admin.toml,
each with its reason. The run must report zero failures. It takes well
under two minutes on two cores at the default example count.

The tombstone operations are reached with generated ids only (404): no
operation of this document creates a tombstone (a SCIM DELETE does), so
no link can lead to one; their success paths are covered over HTTP in
tests/integration/test_admin_lifecycle.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Client, Server, start_server, stop_server
from contract_tests.fuzz import run_schemathesis
from tests.fuzzing import examples as fuzz_examples


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The mock's journal and faults on, so that their operations are fuzzed too.
    mock = {"SCIMDOCK_JOURNAL": "100", "SCIMDOCK_FAULTS": "on"}
    srv = start_server(tmp_path_factory.mktemp("fuzz-admin"), env=mock)
    yield srv
    stop_server(srv)


@pytest.mark.runs_long("schemathesis's whole budget: about 1.5 minutes of CPU")
def test_schemathesis_admin_reports_no_failures(fuzz_server: Server, tmp_path: Path) -> None:
    # A tenant with users, live, inactive and deleted, under the name the
    # document's examples use, so that the examples phase reads real data
    # (until the fuzzer deletes the tenant, which it may).
    scim = Client(fuzz_server, fuzz_server.tenant("acme"))
    for i in range(20):
        made = scim.post("/Users", json={"userName": f"user{i}@example.com", "active": i % 3 != 0})
        if i % 2:
            scim.delete(f"/Users/{made.json()['id']}")
    examples = str(fuzz_examples(40))
    run_schemathesis(
        fuzz_server,
        fuzz_server.admin,
        "schemathesis_admin.toml",
        fuzz_server.operator_token,
        examples,
        tmp_path,
    )
