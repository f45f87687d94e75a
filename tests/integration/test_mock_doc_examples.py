"""Every example of docs/mock.md, run against a running mock as the doc
says to run it, and checked to do what the doc says it does: each rule
and list of rules, the matcher of ``find``, each verification and its
verdict, the seed, the ``--json`` line, the curl calls, the conformance
note and the pytest example. An example added to the doc without a check
here fails (each kind's checks are zipped strictly with the doc's
examples). The recording proxy's two commands are run by
tests/integration/test_mock_proxy.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import yaml
from test_mock import mock
from test_mock_conformance import is_scim_error

from scimdock.mock.testing import ScimMock
from tests.unit.test_mock_docs import DOC, examples

__all__ = ["mock"]  # the fixture, shared with test_mock.py
pytestmark = pytest.mark.backend_independent(
    "the mock, which runs on a throwaway SQLite database of its own"
)
pytest_plugins = ["pytester"]

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
ANN = {"schemas": [USER], "userName": "ann@example.com"}
LOOKUP = {"filter": 'userName eq "ann@example.com"'}
OFF = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
TEXT = DOC.read_text(encoding="utf-8")

Client = httpx.Client
Check = Callable[[ScimMock, Client], None]


def scim(mock: ScimMock) -> Client:
    auth = {"Authorization": f"Bearer {mock.token}"}
    return httpx.Client(base_url=mock.url, headers=auth, timeout=10)


def total(client: Client, **params: str) -> int:
    return int(client.get("/Users", params=params).json()["totalResults"])


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


# --- each rule of section 5 does what its sentence says -----------------
def a_429_once(mock: ScimMock, client: Client) -> None:
    first = client.get("/Users")
    assert is_scim_error(first, 429, None) and first.headers["retry-after"] == "2"
    assert client.get("/Users").status_code == 200  # "times": 1


def commit_then_reset(mock: ScimMock, client: Client) -> None:
    with pytest.raises(httpx.TransportError):
        client.post("/Users", json=ANN)
    [entry] = mock.journal(method="POST")
    assert (entry["status"], entry["applied"], entry["appliedStatus"]) == (None, True, 201)
    assert total(client, **LOOKUP) == 1  # the create committed: a lookup finds it


def a_uniqueness_stub(mock: ScimMock, client: Client) -> None:
    taken = client.post("/Users", json=ANN)
    assert is_scim_error(taken, 409, "uniqueness")
    assert taken.json()["detail"] == "userName ann@example.com is taken"
    assert client.post("/Users", json={**ANN, "userName": "bob"}).status_code == 201
    assert total(client) == 1  # ann never reached the server


def an_invalid_filter_stub(mock: ScimMock, client: Client) -> None:
    refused = client.get("/Users", params={"filter": 'emails co "example.com"'})
    assert is_scim_error(refused, 400, "invalidFilter")
    assert refused.json()["detail"] == "emails is not filterable"
    assert client.get("/Users", params=LOOKUP).status_code == 200


def an_etag_stub(mock: ScimMock, client: Client) -> None:
    uid = client.post("/Users", json=ANN).json()["id"]
    stale = client.patch(f"/Users/{uid}", json=OFF, headers={"If-Match": 'W/"1"'})
    assert is_scim_error(stale, 412, None) and stale.json()["detail"] == "The resource has changed"
    assert client.patch(f"/Users/{uid}", json=OFF).status_code == 200


def a_bulk_sequence(mock: ScimMock, client: Client) -> None:
    group = {"schemas": [GROUP], "displayName": "Staff"}
    op = {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": group}
    bulk = {"schemas": [BULK], "Operations": [op]}
    answers = [client.post("/Bulk", json=bulk) for _ in range(3)]
    assert is_scim_error(answers[0], 429, None) and answers[0].headers["retry-after"] == "1"
    assert is_scim_error(answers[1], 500, None)
    assert answers[2].status_code == 200, answers[2].text  # past its end: through
    users_only = {**bulk, "Operations": [{**op, "path": "/Users", "data": ANN}]}
    assert client.post("/Bulk", json=users_only).status_code == 200  # not matched


RULE_CHECKS: list[Check] = [
    a_429_once,
    commit_then_reset,
    a_uniqueness_stub,
    an_invalid_filter_stub,
    an_etag_stub,
    a_bulk_sequence,
]


def test_each_documented_rule_does_what_the_doc_says(mock: ScimMock) -> None:
    with scim(mock) as client:
        for rule, check in zip(examples("rule"), RULE_CHECKS, strict=True):
            mock.isolate(faults=[rule])
            check(mock, client)


def test_the_documented_scenario_hides_a_new_user_from_one_lookup(mock: ScimMock) -> None:
    [rules] = examples("rules")
    mock.isolate(faults=rules)
    with scim(mock) as client:
        assert client.post("/Users", json=ANN).status_code == 201
        assert mock.scenarios() == {"replica": "created"}
        hidden = client.get("/Users", params=LOOKUP)
        assert hidden.status_code == 200 and hidden.json()["Resources"] == []
        assert total(client, **LOOKUP) == 1  # the next lookup finds it
    assert mock.scenarios() == {"replica": "visible"}


# --- section 4: find and verify -----------------------------------------
def test_the_documented_find_finds_the_lookups(mock: ScimMock) -> None:
    [matcher] = examples("find")
    mock.isolate()
    with scim(mock) as client:
        client.get("/Users")  # no filter
        client.get("/users", params=LOOKUP)  # routed as /Users (RFC 7644 §3.2)
        client.post("/Users", json=ANN)
    found = mock.find(**matcher)
    assert [(e["method"], parse_qs(e["query"])) for e in found] == [
        ("GET", {k: [v] for k, v in LOOKUP.items()})
    ]


def test_the_documented_verifications_and_verdict(mock: ScimMock) -> None:
    deactivate, provision = examples("verify")
    # The user of the first, with the id it names (docs/mock.md, section 6).
    uid = "2819c223-7f76-453a-919d-413861904646"
    mock.isolate(seed={"users": [{"id": uid, "userName": "bjensen"}]})
    verdict = mock.verify(**deactivate)
    shown = re.search(r'"summary": ("[^"]*")', TEXT)
    assert shown and verdict["summary"] == json.loads(shown.group(1))
    assert verdict["reasons"] == [verdict["summary"].removeprefix("failed: ")]
    assert (verdict["matched"], verdict["matches"]) == (0, [])
    with scim(mock) as client:
        assert client.patch(f"/Users/{uid}", json=OFF).status_code == 200
        assert mock.verify(**deactivate)["ok"]
        mock.clear_journal()
        client.post("/Users", json=ANN)  # the create before the lookup
        client.get("/Users", params={"filter": 'userName eq "ann@example.com"'})
        assert not mock.verify(**provision)["ok"]
        mock.clear_journal()
        client.get("/Users", params={"filter": 'userName eq "ann@example.com"'})
        assert (
            client.post("/Users", json=ANN).status_code == 409
        )  # made above: matched all the same
        assert mock.verify(**provision)["ok"]
        client.delete(f"/Users/{uid}")
        late = mock.verify(**provision)
    assert not late["ok"] and len(late["unexpected"]) == 1


# --- section 6, 1, 3, 8 and 9: the seed, the --json line, the curl calls --
def test_the_documented_seed_loads_as_described(mock: ScimMock) -> None:
    [text] = re.findall(r"```yaml\n(.*?)\n```", TEXT, re.S)
    mock.isolate()
    made = mock.call("POST", "/seed", yaml.safe_load(text))
    with scim(mock) as client:
        everyone = client.get(f"/Groups/{made['groups']['Everyone']}").json()
        members = {(m["value"], m["type"]) for m in everyone["members"]}
        assert members == {
            (made["groups"]["Engineering"], "Group"),
            (made["users"]["jsmith@example.com"], "User"),
        }
        jsmith = client.get(f"/Users/{made['users']['jsmith@example.com']}").json()
        assert jsmith["active"] is False


def test_the_documented_json_line_has_the_keys_the_mock_prints(mock: ScimMock) -> None:
    shown = re.search(r'^    (\{"tenant": .*\})$', TEXT, re.M)
    assert shown and set(json.loads(shown.group(1))) == set(mock.info)
    assert mock.info["tenant"] == json.loads(shown.group(1))["tenant"]


def curl(command: str, mock: ScimMock) -> httpx.Response:
    """One of the doc's curl commands, sent with httpx: ``-X``, ``-H`` and
    ``-d`` as curl reads them, ``$ADMIN`` and ``$ADMIN_URL`` the mock's."""
    verb = re.search(r"-X (\w+)", command)
    data = re.search(r"-d '([^']*)'", command)
    url = re.search(r'"(\$ADMIN_URL[^"]*)"', command)
    assert url
    headers = dict(h.split(": ", 1) for h in re.findall(r"-H [\"']([^\"']*)[\"']", command))
    headers = {k: v.replace("$ADMIN", mock.admin_token) for k, v in headers.items()}
    target = url.group(1).replace("$ADMIN_URL", mock.admin_url)
    method = verb.group(1) if verb else "GET"
    body = data.group(1).encode() if data else None
    return httpx.request(method, target, headers=headers, content=body, timeout=10)


def test_the_documented_curl_calls_answer_as_described(mock: ScimMock) -> None:
    journal, profile = re.findall(r"^    (curl .*?[^\\])$", TEXT, re.M | re.S)
    mock.isolate(seed={"users": [{"userName": f"u{i}"} for i in range(7)]})
    with scim(mock) as client:
        uid = client.get("/Users").json()["Resources"][0]["id"]
        client.patch(f"/Users/{uid}", json=OFF)
        listed = curl(journal, mock).json()["Resources"]
        assert [(e["method"], e["path"]) for e in listed] == [("PATCH", f"/Users/{uid}")]
        answer = curl(profile, mock)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["maxCount"], answer.json()["patchResponse"]) == (5, "noContent")
        assert client.get("/Users", params={"count": 50}).json()["itemsPerPage"] == 5
        assert client.patch(f"/Users/{uid}", json=OFF).status_code == 204


def test_the_documented_conformance_note_is_the_one_the_journal_shows(mock: ScimMock) -> None:
    shown = re.search(r'^    (\{"rule": "boolean-string".*?\})$', TEXT, re.M | re.S)
    assert shown
    note = json.loads(shown.group(1))
    mock.isolate()
    with scim(mock) as client:
        sent = client.post("/Users", json={**ANN, "active": "True"})
        assert sent.status_code == 201, sent.text
    [entry] = mock.journal(method="POST")
    assert note in entry["conformance"]


# --- section 7: the pytest example, as a client team runs it ------------
SYNC_TOOL = (
    '''
"""A sync tool that deactivates ann, retrying after a 429 (RFC 6585 §4)."""
import httpx


def run(base_url, token):
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer " + token}) as client:
        [user] = client.get("/Users", params={"filter": 'userName eq "ann@example.com"'}).json()["Resources"]
        body = {"schemas": ["%s"],
                "Operations": [{"op": "replace", "path": "active", "value": False}]}
        for _ in range(3):
            if client.patch("/Users/" + user["id"], json=body).status_code != 429:
                return
'''
    % PATCH
)  # noqa: UP031  (a file's text, not a format of ours)


def test_the_documented_pytest_example_runs(pytester: pytest.Pytester) -> None:
    [code] = re.findall(r"```python\n(.*?)\n```", TEXT, re.S)
    pytester.makepyfile(my_sync_tool=SYNC_TOOL)
    pytester.makepyfile(test_example="import pytest\nimport my_sync_tool\n\n" + code)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=3)


def check_the_doc_has_what_these_tests_read() -> dict[str, Any]:
    """What the tests above read of the doc, counted (a new example of a
    kind read here must come with its check)."""
    return {
        "curl": len(re.findall(r"^    curl ", TEXT, re.M)),
        "yaml": TEXT.count("```yaml\n"),
        "python": TEXT.count("```python\n"),
    }


def test_no_example_is_left_without_a_check() -> None:
    assert check_the_doc_has_what_these_tests_read() == {"curl": 2, "yaml": 1, "python": 1}
