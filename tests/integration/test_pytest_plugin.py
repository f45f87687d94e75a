"""The ``scim_mock`` fixture (scimdock.mock.testing), as a partner's test suite
uses it: pytest finds it through the ``pytest11`` entry point, with no
conftest of its own, and a sample SCIM client is tested against it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
SAMPLE_SUITE = Path(__file__).with_name("sample_client_suite.py")
pytestmark = pytest.mark.backend_independent(
    "the scim_mock fixture, whose mock runs on a SQLite database of its own"
)

SAMPLE_CLIENT_TESTS = '''
import json
import urllib.error
import urllib.request

import pytest


def send(mock, method, path, body=None):
    """A tiny SCIM client: what the partner's real one would do."""
    request = urllib.request.Request(mock.url + path, method=method)
    request.add_header("Authorization", "Bearer " + mock.token)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/scim+json")
    try:
        with urllib.request.urlopen(request, data, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def deprovision(mock, user_name):
    status, page = send(mock, "GET", "/Users?filter=userName%20eq%20%22" + user_name + "%22")
    uid = page["Resources"][0]["id"]
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": False}]}
    for _ in range(3):  # retries on 429, as a polite client does
        status, _ = send(mock, "PATCH", "/Users/" + uid, patch)
        if status != 429:
            return status
    return status


def test_deprovisioning_sends_one_deactivation(scim_mock):
    scim_mock.seed(users=[{"userName": "ann"}])
    assert deprovision(scim_mock, "ann") == 200
    verdict = scim_mock.verify(method="PATCH", path="/Users/*", count={"exactly": 1},
                               patch=[{"op": "Replace", "path": "active", "value": False}])
    assert verdict["ok"], verdict


def test_the_client_retries_after_429(scim_mock):
    scim_mock.seed(users=[{"userName": "bob"}])
    scim_mock.fault(method="PATCH", path="/Users/*", status=429, retryAfter=1, times=1)
    assert deprovision(scim_mock, "bob") == 200
    statuses = [e["status"] for e in scim_mock.journal(method="PATCH")]
    assert statuses == [429, 200]


def test_reset_empties_the_target(scim_mock):
    scim_mock.seed(users=[{"userName": "cy"}])
    assert scim_mock.reset() == {"users": 1, "groups": 0}
    assert send(scim_mock, "GET", "/Users")[1]["totalResults"] == 0


def test_a_client_that_never_deactivates_fails_verification(scim_mock):
    verdict = scim_mock.verify(method="PATCH", count={"exactly": 1})
    assert not verdict["ok"]
'''


def test_the_fixture_drives_a_sample_client_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sample_client=SAMPLE_CLIENT_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_a_failing_client_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad_client="""
def test_client_forgot_the_deactivation(scim_mock):
    verdict = scim_mock.verify(method="PATCH", path="/Users/*", count={"exactly": 1})
    assert verdict["ok"], verdict
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*'matched': 0*"])
    # The mock's log is in the failure's report: its access line of the verify.
    result.stdout.fnmatch_lines(
        ["*scimdock mock log*", '*"path":"/admin/v1/tenants/mock/journal/verify"*']
    )


def test_a_thousand_requests_in_one_test_and_a_prompt_stop(pytester: pytest.Pytester) -> None:
    """The mock writes an access line per request: none of them may fill a
    pipe that nobody reads, which would stop the server (at about 257
    requests, the 64 KiB of a Linux pipe)."""
    pytester.makepyfile(
        test_many="""
import time
import urllib.request


def test_many_requests(scim_mock):
    for _ in range(1000):
        request = urllib.request.Request(scim_mock.url + "/Users")
        request.add_header("Authorization", "Bearer " + scim_mock.token)
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
    started = time.monotonic()
    scim_mock.stop()
    assert scim_mock.process.returncode == 0
    assert time.monotonic() - started < 10
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_sample_suite_of_a_hundred_tests_on_one_session_mock(pytester: pytest.Pytester) -> None:
    """One server for the session, each test's tenant clean and set by its
    marker or fixture parameter, a test of 10,000 requests (its time is
    reported in docs/mock.md, not asserted here)."""
    pytester.makepyfile(test_sample_suite=SAMPLE_SUITE.read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=100)
