"""scimdock.mock.rules.seedfile: what a seed entry keeps (its id and meta, docs/mock.md
"Reset and seed") and how a seed file is read."""

from __future__ import annotations

import pytest
import yaml

from scimdock.core.errors import InvalidValue, Uniqueness
from scimdock.mock.rules.seedfile import Given, loads, plan


def test_an_entry_keeps_its_id_and_meta_in_the_stores_form() -> None:
    meta = {"created": "2011-08-01T20:29:49+02:00", "version": 'W/"3"', "location": "ignored"}
    seeds = plan(
        {
            "users": [{"id": "u-1", "userName": "ann", "meta": meta}, {"userName": "bob"}],
            "groups": [{"id": "g.1", "displayName": "Staff", "members": ["ann"]}],
        }
    )
    assert [g for _, _, g in seeds.users] == [
        Given("u-1", "2011-08-01T18:29:49.000000Z", None, 3),
        Given(None, None, None, 1),
    ]
    assert seeds.groups[0][3] == Given("g.1", None, None, 1)
    assert "id" not in seeds.users[0][1] and "meta" not in seeds.users[0][1]


@pytest.mark.parametrize(
    ("entry", "error", "says"),
    [
        ({"id": "bulkid"}, InvalidValue, "'bulkId' is no id (RFC 7643 §3.1)"),
        ({"meta": {"lastModified": "nope"}}, InvalidValue, "meta.lastModified: not an ISO 8601"),
        (
            {"meta": {"created": "2020-01-02", "lastModified": "2020-01-01T23:59:59Z"}},
            InvalidValue,
            "meta.lastModified is before meta.created",
        ),
        ({"id": "Upper"}, InvalidValue, "must be text matching the pattern"),
        ({"meta": {"version": 'W/"0"'}}, InvalidValue, "must be text matching the pattern"),
    ],
)
def test_an_id_or_meta_a_seed_cannot_keep(
    entry: dict[str, object], error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as refused:
        plan({"users": [{"userName": "ann", **entry}]})
    assert says in str(refused.value.detail)  # type: ignore[attr-defined]


def test_one_id_given_twice_is_409_naming_both() -> None:
    with pytest.raises(Uniqueness) as refused:
        plan({"groups": [{"id": "g", "displayName": "A"}, {"id": "g", "displayName": "B"}]})
    assert refused.value.detail == "seed data: groups/1: id 'g' is taken by groups/0"


def test_a_file_is_read_as_json_else_as_yaml() -> None:
    assert loads('{"users": [{"userName": "on"}]}') == {"users": [{"userName": "on"}]}
    assert loads(b"users:\n  - userName: ann\n") == {"users": [{"userName": "ann"}]}
    with pytest.raises(yaml.YAMLError):
        loads("users: [unclosed")
