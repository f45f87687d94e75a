"""The SQL compiler for filters and sort keys (RFC 7644 §3.4.2.2,
§3.4.2.3) against the real SQLite layout, checked row for row against the
in-memory evaluator."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimdock.core.errors import ScimError
from scimdock.core.filter import (
    MAX_DEPTH,
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    matches,
    normalize_datetime,
    parse_attr_path,
    parse_filter,
    resolve_attr_path,
    resolve_filter,
    to_string,
)
from scimdock.core.schema import ENTERPRISE_USER, USER, Attribute, ResourceType, Schema
from scimdock.store.errors import FilterRefused, SortPathUnknown, Unsortable
from scimdock.store.migrations import migrate
from scimdock.store.sqlfilter import (
    compile_filter,
    compile_order_by,
    compile_sort,
    register_functions,
)
from scimdock.store.sqlfold import folded_json
from tests.fuzzing import examples

ENT = ENTERPRISE_USER


def new_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    register_functions(conn)  # before the migrations: one of them folds documents
    migrate(conn)
    conn.execute(
        "INSERT INTO tenants (id, name, created) VALUES (1, 'one', '2024-01-01T00:00:00.000000Z'),"
        " (2, 'two', '2024-01-01T00:00:00.000000Z')"
    )
    return conn


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    conn = new_db()
    yield conn
    conn.close()


def insert(
    conn: sqlite3.Connection, user: dict[str, Any], tenant: int = 1, rt: ResourceType = USER
) -> None:
    """Store a SCIM user (or a resource of ``rt``) the way the store does:
    indexed columns, doc and its folded form."""
    doc = {k: v for k, v in user.items() if k not in ("id", "meta")}
    active = user.get("active")
    conn.execute(
        "INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, active, doc,"
        " doc_fold, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant,
            user["id"],
            user["userName"],
            user["userName"].casefold(),
            user.get("externalId"),
            None if active is None else int(active),
            json.dumps(doc),
            folded_json(doc, rt),
            normalize_datetime(user["meta"]["created"]),
            normalize_datetime(user["meta"]["lastModified"]),
        ),
    )


def select(conn: sqlite3.Connection, node: Filter) -> set[str]:
    sql, params = compile_filter(node, USER)
    rows = conn.execute(f"SELECT id FROM users WHERE tenant_id = ? AND ({sql})", [1, *params])
    return {r[0] for r in rows}


def resolved(text: str) -> Filter:
    return resolve_filter(parse_filter(text), USER)


def plan(conn: sqlite3.Connection, text: str) -> str:
    sql, params = compile_filter(resolved(text), USER)
    rows = conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM users WHERE tenant_id = ? AND deleted IS NULL"
        f" AND ({sql})",
        [1, *params],
    ).fetchall()
    return " | ".join(r[3] for r in rows)


# --- generated users and filters --------------------------------------------------------

WORDS = [
    "a",
    "A",
    "ab",
    "aB",
    "b",
    "ß",
    "ss",
    "SS",
    "straße",
    "STRASSE",
    "É",
    "é",
    "e",
    "x@y.com",
    "X@Y.COM",
    "",
    "work",
    "Work",
    "home",
    "ǅ",
    "ﬁ",
    "fi",
    "'",
    '"',
    "%",
    "_",
]
STRINGS = st.sampled_from(WORDS) | st.text("aAbßsSÉé@._%", max_size=4)
NOON = datetime(2024, 1, 1, 12, tzinfo=UTC)
INSTANTS = [NOON + timedelta(hours=h) for h in (-30, -1, 0, 0.5, 1, 48)]
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
DATES = st.builds(
    lambda instant, zone: instant.astimezone(zone).isoformat(),
    st.sampled_from(INSTANTS),
    st.sampled_from(OFFSETS),
)
IDS = ["u0", "U1", "u2", "é3", "U4", "u5"]


def _opt(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


EMAIL = _opt(
    value=STRINGS,
    type=st.sampled_from(["work", "Work", "home", "other"]) | STRINGS,
    primary=st.booleans(),
    display=STRINGS,
)
USER_DOC = st.fixed_dictionaries(
    {
        "userName": STRINGS,
        "meta": st.fixed_dictionaries(
            {"created": DATES, "lastModified": DATES, "resourceType": st.just("User")}
        ),
    },
    optional={
        "displayName": STRINGS,
        "title": STRINGS,
        "nickName": STRINGS,
        "externalId": STRINGS,
        "active": st.booleans(),
        "name": _opt(givenName=STRINGS, familyName=STRINGS),
        "emails": st.lists(EMAIL, max_size=3),
        "x509Certificates": st.lists(_opt(value=STRINGS), max_size=2),
        ENT: _opt(department=STRINGS, manager=_opt(value=STRINGS, displayName=STRINGS)),
    },
)
USERS = st.lists(
    USER_DOC, min_size=1, max_size=len(IDS), unique_by=lambda u: u["userName"].casefold()
).map(lambda users: [{**u, "id": IDS[i]} for i, u in enumerate(users)])

ALL_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
STRING_PATHS = [
    "userName",
    "displayName",
    "title",
    "nickName",
    "externalId",
    "id",
    "name.givenName",
    "name.familyName",
    "emails.value",
    "emails.type",
    "emails.display",
    "emails",
    f"{ENT}:department",
    f"{ENT}:manager.value",
    f"{ENT}:manager.displayName",
]
ANY_PATHS = [
    *STRING_PATHS,
    "active",
    "emails.primary",
    "meta.created",
    "meta.lastModified",
    "name",
    "meta",
    f"{ENT}:manager",
    "x509Certificates",
    "x509Certificates.value",
    "phoneNumbers",
]
BOOLS = st.booleans() | st.sampled_from(["True", "false", "FALSE"])


def _compare(
    path: AttrPath, ops: list[str], values: st.SearchStrategy[Any]
) -> st.SearchStrategy[Filter]:
    return st.builds(Compare, st.just(path), st.sampled_from(ops), values)


def _leaf_for(path: AttrPath, kind: str) -> st.SearchStrategy[Filter]:
    presence = st.just(Present(path)) | _compare(path, ["eq", "ne"], st.none())
    typed = {
        "string": _compare(path, ALL_OPS, STRINGS | st.sampled_from(IDS)),
        "binary": _compare(path, ["eq", "ne", "co", "sw", "ew"], STRINGS),
        "boolean": _compare(path, ["eq", "ne"], BOOLS),
        "dateTime": _compare(path, ["eq", "ne", "gt", "ge", "lt", "le"], DATES),
        "resourceType": _compare(
            path, ALL_OPS, st.sampled_from(["User", "user", "Use", "ser", "x"])
        ),
        "complex": st.nothing(),
    }[kind]
    return presence | typed


def _kind(text: str) -> str:
    if text in ("active", "emails.primary", "primary"):
        return "boolean"
    if text in ("meta.created", "meta.lastModified", "created", "lastModified"):
        return "dateTime"
    if text in ("name", "meta", f"{ENT}:manager", "x509Certificates", "phoneNumbers"):
        return "complex"
    return "binary" if text == "x509Certificates.value" else "string"


TOP_LEAVES = st.one_of(
    *(_leaf_for(parse_attr_path(p), _kind(p)) for p in ANY_PATHS),
    _leaf_for(parse_attr_path("meta.resourceType"), "resourceType"),
)
VALUE_FILTER_SUBS = {
    "emails": ["value", "type", "display", "primary"],
    "name": ["givenName", "familyName"],
    f"{ENT}:manager": ["value", "displayName"],
    "meta": ["created", "lastModified"],
}


def _combine(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(And, children, children),
        st.builds(Or, children, children),
        st.builds(Not, children),
    )


def _value_filters() -> st.SearchStrategy[Filter]:
    options = []
    for outer, subs in VALUE_FILTER_SUBS.items():
        inner = st.one_of(*(_leaf_for(AttrPath(s), _kind(s)) for s in subs))
        options.append(
            st.builds(
                ValuePath,
                st.just(parse_attr_path(outer)),
                st.recursive(inner, _combine, max_leaves=4),
            )
        )
    return st.one_of(*options)


FILTERS = st.recursive(TOP_LEAVES | _value_filters(), _combine, max_leaves=6)


#: More examples for a long hunt: SCIMDOCK_FUZZ=deep (tests/fuzzing.py).
EXAMPLES = examples(250)
DECOY = {
    "id": "decoy",
    "userName": "a",
    "displayName": "a",
    "active": False,
    "emails": [{"value": "a"}],
    "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(USERS, st.lists(FILTERS, min_size=1, max_size=4))
def test_sql_agrees_with_matches(users: list[dict[str, Any]], filters: list[Filter]) -> None:
    conn = new_db()
    for user in users:
        insert(conn, user)
    insert(conn, DECOY, tenant=2)  # the query must stay inside tenant 1
    for node in filters:
        f = resolve_filter(node, USER)
        expected = {u["id"] for u in users if matches(f, u, USER)}
        assert select(conn, f) == expected, (to_string(f), compile_filter(f, USER))


# Numbers and multi-valued simple attributes do not occur in the User schema;
# the compiler handles them generically, so check them on a made-up type.
THING = ResourceType(
    "Thing",
    "/Things",
    Schema(
        "urn:example:Thing",
        "Thing",
        "",
        (
            Attribute("count", "integer"),
            Attribute("ratio", "decimal"),
            Attribute("label", case_exact=True),
            Attribute("tags", multi_valued=True),
            Attribute("codes", "integer", multi_valued=True),
            Attribute("flags", "boolean", multi_valued=True),
        ),
    ),
)
BIG = [
    2**63 - 1,
    -(2**63),
    9.223372036854776e18,
    -9.3e18,
]  # int64 edges; literals beyond are refused
INTS = st.integers(-3, 3) | st.sampled_from(BIG[:2])
NUMBERS = INTS | st.sampled_from([0.5, -1.5, 2.0, 1e16])
THING_DOC = _opt(
    count=INTS,
    ratio=NUMBERS,
    label=STRINGS,
    tags=st.lists(STRINGS, max_size=3),
    codes=st.lists(INTS, max_size=3),
    flags=st.lists(st.booleans(), max_size=2),
)
ORDER_OPS = ["eq", "ne", "gt", "ge", "lt", "le"]
THING_LEAVES = st.one_of(
    *(st.builds(Present, st.just(AttrPath(a.name))) for a in THING.schema.attributes),
    *(_compare(AttrPath(a.name), ["eq", "ne"], st.none()) for a in THING.schema.attributes),
    *(
        _compare(AttrPath(n), ORDER_OPS, NUMBERS | st.sampled_from(BIG))
        for n in ("count", "ratio", "codes")
    ),
    _compare(AttrPath("label"), ALL_OPS, STRINGS),
    _compare(AttrPath("tags"), ALL_OPS, STRINGS),
    _compare(AttrPath("flags"), ["eq", "ne"], st.booleans()),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(THING_DOC, min_size=1, max_size=5),
    st.lists(st.recursive(THING_LEAVES, _combine, max_leaves=5), min_size=1, max_size=4),
)
def test_sql_agrees_with_matches_on_numbers_and_simple_lists(
    docs: list[dict[str, Any]], filters: list[Filter]
) -> None:
    conn = new_db()
    things = [
        {
            **doc,
            "id": f"t{i}",
            "userName": f"t{i}",
            "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
        }
        for i, doc in enumerate(docs)
    ]
    for thing in things:
        insert(conn, thing, rt=THING)
    for node in filters:
        f = resolve_filter(node, THING)
        sql, params = compile_filter(f, THING)
        got = {
            r[0]
            for r in conn.execute(f"SELECT id FROM users WHERE tenant_id = 1 AND ({sql})", params)
        }
        assert got == {t["id"] for t in things if matches(f, t, THING)}, (to_string(f), sql, params)


def test_non_object_elements_do_not_break_queries(db: sqlite3.Connection) -> None:
    user = {
        "id": "u0",
        "userName": "x",
        "emails": ["work", 7, None, {"type": "work", "value": "v"}],
        "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
    }
    insert(db, user)
    for text in (
        'emails[type eq "work"]',
        'emails.type eq "work"',
        "emails[value pr]",
        'emails co "v"',
    ):
        f = resolved(text)
        assert matches(f, user, USER) and select(db, f) == {"u0"}, text
    for text in ('emails[type eq "home"]', "emails.display pr"):
        f = resolved(text)
        assert not matches(f, user, USER) and select(db, f) == set(), text


@pytest.mark.parametrize("literal", [2**63, -(2**63) - 1, 10**30])
def test_integer_literals_beyond_64_bits_are_refused(literal: int) -> None:
    with pytest.raises(ScimError) as info:
        resolve_filter(Compare(AttrPath("count"), "gt", literal), THING)
    assert info.value.scim_type == "invalidFilter" and "64-bit" in info.value.detail


# --- parameterisation -----------------------------------------------------------------


def _relabel(node: Filter, change: Callable[[Any], Any]) -> Filter:
    if isinstance(node, (And, Or)):
        return type(node)(_relabel(node.left, change), _relabel(node.right, change))
    if isinstance(node, Not):
        return Not(_relabel(node.expr, change))
    if isinstance(node, ValuePath):
        return ValuePath(node.path, _relabel(node.filter, change))
    if isinstance(node, Compare) and node.value is not None:
        return replace(node, value=change(node.value))
    return node


def _other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if value.endswith("Z") and value[:4].isdigit():
        return "1999-12-31T23:59:59.999999Z"
    return value and "'); DROP TABLE users; --" + value  # keep "" empty: it needs no prefix range


@settings(max_examples=EXAMPLES, deadline=None)
@given(FILTERS)
def test_sql_text_depends_only_on_structure(node: Filter) -> None:
    f = resolve_filter(node, USER)
    if "meta.resourceType" in to_string(f):
        return  # compiled to a constant: depends on the literal by design
    sql, params = compile_filter(f, USER)
    other_sql, other_params = compile_filter(_relabel(f, _other), USER)
    assert sql == other_sql
    assert sql.count("?") == len(params) == len(other_params)
    assert "DROP" not in sql


def test_literals_are_never_spliced(db: sqlite3.Connection) -> None:
    nasty = "x' OR 1=1 --\"é?"
    insert(
        db,
        {
            "id": "u0",
            "userName": nasty,
            "displayName": nasty,
            "emails": [{"value": nasty}],
            "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
        },
    )
    insert(
        db,
        {
            "id": "u1",
            "userName": "other",
            "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
        },
    )
    quoted = json.dumps(nasty)
    for text in (
        f"userName eq {quoted}",
        f"displayName co {quoted}",
        f"emails[value ew {quoted}]",
        f"userName sw {quoted}",
        f"not (title eq {quoted})",
    ):
        f = resolved(text)
        sql, params = compile_filter(f, USER)
        assert nasty not in sql and nasty.casefold() not in sql and "1=1" not in sql
        assert nasty in params or nasty.casefold() in params
        assert select(db, f) == ({"u0", "u1"} if text.startswith("not") else {"u0"})


# --- specific compilations ---------------------------------------------------------------


def test_indexed_columns() -> None:
    assert compile_filter(resolved('userName eq "BJensen"'), USER) == (
        "user_name_key = ?",
        ["bjensen"],
    )
    assert compile_filter(resolved('externalId eq "E1"'), USER) == ("external_id = ?", ["E1"])
    assert compile_filter(resolved("active eq true"), USER) == ("active = ?", [1])
    assert compile_filter(resolved('id eq "X"'), USER) == ("id = ?", ["X"])
    assert compile_filter(resolved('meta.created gt "2024-01-01T01:00:00+01:00"'), USER) == (
        "created > ?",
        ["2024-01-01T00:00:00.000000Z"],
    )
    sql, params = compile_filter(resolved('userName sw "Ab"'), USER)
    assert sql.startswith("(user_name_key >= ? AND user_name_key < ?") and params[:2] == [
        "ab",
        "ac",
    ]
    assert compile_filter(resolved('meta.resourceType eq "User"'), USER) == ("1", [])
    assert compile_filter(resolved('meta.resourceType sw "Group"'), USER) == ("0", [])


@pytest.mark.parametrize(
    "text",
    [
        'meta.location eq "https://x/Users/1"',
        'meta.version eq "W/\\"1\\""',
        "meta.version pr",
        'meta[location co "x"]',
    ],
)
def test_unstored_meta_is_not_filterable(text: str) -> None:
    with pytest.raises(FilterRefused, match="not filterable"):
        compile_filter(resolved(text), USER)


@pytest.mark.parametrize(
    "text, index",
    [
        ('userName eq "bjensen"', "users_user_name"),
        ('userName sw "bj"', "users_user_name"),
        ('externalId eq "x"', "users_external_id"),
        ('meta.lastModified gt "2024-01-01T00:00:00Z"', "users_last_modified"),
        ('id eq "x"', "users_id"),
    ],
)
def test_query_plans_use_indexes(db: sqlite3.Connection, text: str, index: str) -> None:
    assert f"INDEX {index} (" in plan(db, text)


def test_prefix_range_edges(db: sqlite3.Connection) -> None:
    top = "\U0010ffff"
    for i, name in enumerate(["a", "a" + top, "a" + top + "z", "b", "\ud7ffx", "\ue000"]):
        insert(
            db,
            {
                "id": f"u{i}",
                "userName": name,
                "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
            },
        )
    assert select(db, resolved(f'userName sw "a{top}"')) == {"u1", "u2"}
    assert select(db, resolved(f'userName sw "{top}"')) == set()
    assert select(db, resolved('userName sw "\\ud7ff"')) == {"u4"}
    assert select(db, resolved('userName sw ""')) == {f"u{i}" for i in range(6)}


def test_scim_fold_function(db: sqlite3.Connection) -> None:
    assert db.execute(
        "SELECT scim_fold('StraSSe'), scim_fold('Straße'), scim_fold(NULL), scim_fold(5)"
    ).fetchone() == ("strasse", "strasse", None, 5)


def _alternating(depth: int, leaf: str, tail: str) -> str:
    return (
        "".join(f"{leaf} {'and' if i % 2 else 'or'} (" for i in range(depth)) + tail + ")" * depth
    )


DEEP_LEAF = 'name.givenName ew "x"'
DEEP_VP = 'emails[type ew "x" and not (value ew "y")]'


@pytest.mark.parametrize(
    "text",
    [
        "not (" * MAX_DEPTH + DEEP_LEAF + ")" * MAX_DEPTH,
        _alternating(MAX_DEPTH, DEEP_LEAF, DEEP_LEAF),
        "".join(f"{DEEP_LEAF} {'and' if i % 2 else 'or'} not (" for i in range(MAX_DEPTH))
        + DEEP_LEAF
        + ")" * MAX_DEPTH,
        "(" * MAX_DEPTH
        + DEEP_LEAF
        + "".join(f" {'and' if i % 2 else 'or'} {DEEP_LEAF})" for i in range(MAX_DEPTH)),
        _alternating(MAX_DEPTH - 2, DEEP_LEAF, DEEP_VP),
        "emails[" + _alternating(MAX_DEPTH - 1, 'type eq "x"', 'value co "x"') + "]",
        "not (emails[" + _alternating(MAX_DEPTH - 2, 'type eq "x"', 'value co "x"') + "])",
        " or ".join(["id pr"] * 455),
        " and ".join(['emails[value sw "x"]'] * 160),
        " or ".join([DEEP_LEAF] * 160),
    ],
)
def test_deepest_and_longest_filters_compile_and_run(db: sqlite3.Connection, text: str) -> None:
    user = {
        "id": "u0",
        "userName": "x",
        "name": {"givenName": "x"},
        "emails": [{"type": "x", "value": "x"}],
        "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"},
    }
    insert(db, user)
    f = resolved(text)
    assert select(db, f) == ({"u0"} if matches(f, user, USER) else set())


# --- sorting --------------------------------------------------------------------------

SORT_USERS = [
    {
        "id": "u0",
        "userName": "bob",
        "name": {"givenName": "zoë"},
        "emails": [{"value": "B@x", "primary": False}, {"value": "a@x", "primary": True}],
    },
    {
        "id": "u1",
        "userName": "Alice",
        "name": {"givenName": "Émile"},
        "emails": [{"value": "c@x"}, {"value": "A@y"}],
    },
    {"id": "u2", "userName": "carol", "emails": [{"type": "work"}]},
    {"id": "u3", "userName": "Dave", "name": {"givenName": "ADA"}, ENT: {"department": "b"}},
    {"id": "u4", "userName": "eve", "name": {"givenName": "éa"}, ENT: {"department": "A"}},
]


@pytest.mark.parametrize(
    "path, ascending",
    [
        ("userName", ["u1", "u0", "u2", "u3", "u4"]),
        ("name.givenName", ["u3", "u0", "u4", "u1", "u2"]),
        ("emails", ["u0", "u1", "u2", "u3", "u4"]),
        ("emails.value", ["u0", "u1", "u2", "u3", "u4"]),
        (f"{ENT}:department", ["u4", "u3", "u0", "u1", "u2"]),
        ("meta.created", ["u0", "u1", "u2", "u3", "u4"]),
    ],
)
def test_sorting(db: sqlite3.Connection, path: str, ascending: list[str]) -> None:
    for i, user in enumerate(SORT_USERS):
        stamp = f"2024-01-0{i + 1}T00:00:00Z"
        insert(db, {**user, "meta": {"created": stamp, "lastModified": stamp}})
    p = resolve_attr_path(parse_attr_path(path), USER)
    order = [
        r[0] for r in db.execute(f"SELECT id FROM users ORDER BY {compile_order_by(p, USER)}, seq")
    ]
    assert order == ascending
    descending = [
        r[0]
        for r in db.execute(
            f"SELECT id FROM users ORDER BY {compile_order_by(p, USER, descending=True)}, seq DESC"
        )
    ]
    assert descending == ascending[::-1]


def test_sort_expressions() -> None:
    assert (
        compile_sort(resolve_attr_path(parse_attr_path("USERNAME"), USER), USER) == "user_name_key"
    )
    assert (
        compile_sort(resolve_attr_path(parse_attr_path("externalId"), USER), USER) == "external_id"
    )
    assert compile_sort(resolve_attr_path(parse_attr_path("title"), USER), USER) == (
        "json_extract(doc_fold, '$.\"title\"')"
    )
    for bad in ("name", "meta", "meta.location", "meta.version", f"{ENT}:manager"):
        with pytest.raises(Unsortable):
            compile_sort(resolve_attr_path(parse_attr_path(bad), USER), USER)
    with pytest.raises(SortPathUnknown):
        compile_sort(AttrPath("nope"), USER)
