"""core/bulk.py: operations, their order and bulkId references (RFC 7644 §3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from scimdock.core import bulk
from scimdock.core.errors import ScimError
from scimdock.core.schema import GROUP, USER


def _post(bulk_id: str, path: str = "/Users", **data: Any) -> dict[str, Any]:
    return {"method": "POST", "path": path, "bulkId": bulk_id, "data": data}


def test_operations_are_read_with_their_resource_type_and_target() -> None:
    plan = bulk.plan(
        {
            "Operations": [
                _post("u", userName="a"),
                {"method": "patch", "path": "/Groups/g1", "data": {"Operations": []}},
                {"method": "DELETE", "path": "/Users/bulkId:u", "version": 'W/"1"'},
            ]
        },
        lenient=True,
    )
    post, patch, delete = plan.operations
    assert (post.rt, post.target, post.bulk_id) == (USER, None, "u")
    assert (patch.method, patch.rt, patch.target) == ("PATCH", GROUP, "g1")
    assert (delete.needs, delete.version) == (frozenset({"u"}), 'W/"1"')
    assert plan.order == [0, 1, 2] and not plan.circular


def test_an_operation_waits_for_the_posts_it_names() -> None:
    plan = bulk.plan(
        {
            "Operations": [
                _post("g", "/Groups", displayName="G", members=[{"value": "bulkId:u"}]),
                _post("u", userName="a"),
                _post("v", userName="b"),
            ]
        },
        lenient=True,
    )
    assert plan.order == [1, 0, 2]


def test_circles_are_found_and_what_waits_on_them_too() -> None:
    plan = bulk.plan(
        {
            "Operations": [
                _post("a", "/Groups", displayName="A", members=[{"value": "bulkId:b"}]),
                _post("b", "/Groups", displayName="B", members=[{"value": "bulkId:a"}]),
                _post("c", "/Groups", displayName="C", members=[{"value": "bulkId:a"}]),
                _post("self", "/Groups", displayName="S", members=[{"value": "bulkId:self"}]),
                _post("d", userName="d"),
            ]
        },
        lenient=True,
    )
    assert plan.circular == {0, 1, 2, 3}
    assert plan.order[0] == 4


@pytest.mark.parametrize(
    "op",
    [
        {"method": "POST", "path": "/Users", "data": {"userName": "no bulkId"}},
        {"method": "POST", "path": "/Users/x", "bulkId": "a", "data": {}},
        {"method": "PUT", "path": "/Users", "data": {}},
        {"method": "PATCH", "path": "/Users/x"},
        {"method": "DELETE", "path": "/Widgets/x"},
        {"method": "DELETE"},
    ],
)
def test_malformed_operations_fail_alone(op: dict[str, Any]) -> None:
    plan = bulk.plan({"Operations": [op, _post("ok", userName="x")]}, lenient=True)
    assert plan.operations[0].error is not None
    assert plan.operations[0].error.status == 400
    assert plan.operations[1].error is None


def test_a_bulk_id_used_twice_and_case_of_endpoints() -> None:
    plan = bulk.plan({"Operations": [_post("a"), _post("a")]}, lenient=True)
    assert [op.error is None for op in plan.operations] == [True, False]
    strict = bulk.plan({"Operations": [_post("a", "/users")]}, lenient=False)
    assert strict.operations[0].error is not None
    assert bulk.plan({"Operations": [_post("a", "/users")]}, lenient=True).operations[0].rt is USER


def test_too_many_operations_is_413() -> None:
    ops = [_post(str(i)) for i in range(bulk.MAX_OPERATIONS + 1)]
    with pytest.raises(ScimError) as err:
        bulk.plan({"Operations": ops}, lenient=True)
    assert err.value.status == 413


def test_resolve_replaces_references_and_refuses_what_it_cannot() -> None:
    op = bulk.plan(
        {
            "Operations": [
                {
                    "method": "PUT",
                    "path": "/Groups/bulkId:g",
                    "data": {
                        "displayName": "G",
                        "members": [{"value": "bulkId:u"}, {"value": "x"}],
                    },
                }
            ]
        },
        lenient=True,
    ).operations[0]
    target, data = bulk.resolve(op, {"g": "G1", "u": "U1"})
    assert target == "G1"
    assert data["members"] == [{"value": "U1"}, {"value": "x"}]
    with pytest.raises(ScimError) as err:
        bulk.resolve(op, {"g": "G1"})
    assert (err.value.status, err.value.scim_type) == (400, "invalidValue")
    with pytest.raises(ScimError) as err:
        bulk.resolve(op, {"g": "G1", "u": None})
    assert err.value.status == 409


def test_fold_request_folds_each_operation_by_its_path() -> None:
    body = {
        "operations": [
            {
                "Method": "POST",
                "Path": "/Users",
                "BulkId": "a",
                "Data": {"USERNAME": "x", "bad": 1},
            },
            {"method": "PATCH", "path": "/Groups/1", "data": {"operations": [{"OP": "add"}]}},
            {"method": "DELETE", "path": "/Users/1"},
        ]
    }
    assert bulk.fold_request(body, lenient=True) == {
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "x"}},
            {"method": "PATCH", "path": "/Groups/1", "data": {"Operations": [{"op": "add"}]}},
            {"method": "DELETE", "path": "/Users/1"},
        ]
    }
    same = {"Operations": [{"method": "DELETE", "path": "/Users/1"}]}
    assert bulk.fold_request(same, lenient=True) is same
