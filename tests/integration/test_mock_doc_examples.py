"""Every JSON example of docs/mock.md, sent to a running mock as the doc
says to send it: each rule and list of rules taken, each journal query
and verification answered."""

from __future__ import annotations

import pytest
from test_mock import mock

from scimdock.mock.testing import ScimMock
from tests.unit.test_mock_docs import examples

__all__ = ["mock"]  # the fixture, shared with test_mock.py
pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)


def test_every_json_example_of_the_doc_is_taken(mock: ScimMock) -> None:
    for rule in examples("rule"):
        [*_, added] = mock.call("POST", "/faults", rule)["Resources"]
        assert added["rule"] == rule
    for rules in examples("rules"):
        listed = mock.call("PUT", "/faults", {"rules": rules})["Resources"]
        assert [r["rule"] for r in listed] == rules
    for matcher in examples("find"):
        assert mock.find(**matcher) == []
    verdicts = [mock.verify(**spec) for spec in examples("verify")]
    assert verdicts and all(v["ok"] is False and v["summary"] for v in verdicts)
