"""The filter and sort compilers in PostgreSQL's dialect (store.sqlfilter,
store.sqlsort with store.sqldialect.POSTGRES) against the
real PostgreSQL layout, checked row for row against the in-memory
evaluator with the generated users and filters of test_filter_sql.

Case-insensitive strings compare by the same full case folding as the
evaluator (``ß`` as ``ss``, ``ﬁ`` as ``fi``): the database reads
``doc_fold``, folded in Python when written (store.sqlfold), and the
literal is folded the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from scimdock.core.filter import Filter, matches, normalize_datetime, resolve_filter, to_string
from scimdock.core.filter.parser import parse_attr_path
from scimdock.core.filter.resolve import resolve_attr_path
from scimdock.core.identity import fold
from scimdock.core.schema import USER, ResourceType
from scimdock.store.postgres import PostgresStore
from scimdock.store.sqldialect import POSTGRES
from scimdock.store.sqlfilter import compile_filter
from scimdock.store.sqlfold import folded_doc
from scimdock.store.sqlsort import order_clause
from tests.postgres_cluster import PostgresCluster
from tests.unit.test_filter_sql import (
    DECOY,
    EXAMPLES,
    FILTERS,
    SORT_USERS,
    THING,
    THING_DOC,
    THING_LEAVES,
    USERS,
    _combine,
)


@pytest.fixture(scope="module")
def pg(postgres_cluster: PostgresCluster) -> Iterator[psycopg.Connection[Any]]:
    url = postgres_cluster.new_database()
    PostgresStore(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO tenants(id, name, created) VALUES (1, 'one', 'x'), (2, 'two', 'x')"
        )
        yield conn


def _load(
    conn: psycopg.Connection[Any],
    users: list[dict[str, Any]],
    tenant: int = 1,
    rt: ResourceType = USER,
) -> None:
    for user in users:
        doc = {k: v for k, v in user.items() if k not in ("id", "meta")}
        meta = user.get("meta", {})
        active = user.get("active")
        conn.execute(
            "INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, active,"
            " doc, doc_fold, created, last_modified)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                tenant,
                user["id"],
                user["userName"],
                fold(user["userName"]),
                user.get("externalId"),
                active,
                Jsonb(doc),
                Jsonb(folded_doc(doc, rt)),
                normalize_datetime(meta.get("created", "2024-01-01T00:00:00Z")),
                normalize_datetime(meta.get("lastModified", "2024-01-01T00:00:00Z")),
            ),
        )


def _agree(
    conn: psycopg.Connection[Any],
    rt: ResourceType,
    users: list[dict[str, Any]],
    nodes: list[Filter],
) -> None:
    conn.execute("DELETE FROM users")
    _load(conn, users, rt=rt)
    _load(conn, [DECOY], tenant=2)  # the query must stay inside tenant 1
    for node in nodes:
        f = resolve_filter(node, rt)
        sql, params = compile_filter(f, rt, dialect=POSTGRES)
        got = {
            r[0]
            for r in conn.execute(f"SELECT id FROM users WHERE tenant_id = 1 AND ({sql})", params)
        }
        assert got == {u["id"] for u in users if matches(f, u, rt)}, (to_string(f), sql, params)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(USERS, st.lists(FILTERS, min_size=1, max_size=4))
def test_sql_agrees_with_matches(
    pg: psycopg.Connection[Any], users: list[dict[str, Any]], filters: list[Filter]
) -> None:
    _agree(pg, USER, users, filters)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(THING_DOC, min_size=1, max_size=5),
    st.lists(st.recursive(THING_LEAVES, _combine, max_leaves=5), min_size=1, max_size=4),
)
def test_sql_agrees_with_matches_on_numbers_and_simple_lists(
    pg: psycopg.Connection[Any], docs: list[dict[str, Any]], filters: list[Filter]
) -> None:
    things = [{**doc, "id": f"t{i}", "userName": f"t{i}"} for i, doc in enumerate(docs)]
    _agree(pg, THING, things, filters)


@pytest.mark.parametrize(
    "path, ascending",
    [
        ("userName", ["u1", "u0", "u2", "u3", "u4"]),
        ("name.givenName", ["u3", "u0", "u4", "u1", "u2"]),
        ("emails", ["u0", "u1", "u2", "u3", "u4"]),
        ("emails.value", ["u0", "u1", "u2", "u3", "u4"]),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            ["u4", "u3", "u0", "u1", "u2"],
        ),
        ("meta.created", ["u0", "u1", "u2", "u3", "u4"]),
    ],
)
def test_sorting(pg: psycopg.Connection[Any], path: str, ascending: list[str]) -> None:
    """The same orders as SQLite's (test_filter_sql.test_sorting)."""
    pg.execute("DELETE FROM users")
    stamped = [
        {**u, "meta": {"created": f"2024-01-0{i + 1}T00:00:00.000000Z"}}
        for i, u in enumerate(SORT_USERS)
    ]
    for user in stamped:
        user["meta"]["lastModified"] = user["meta"]["created"]
    _load(pg, stamped)
    p = resolve_attr_path(parse_attr_path(path), USER)
    for descending, expected in ((False, ascending), (True, ascending[::-1])):
        order = order_clause(p, USER, descending=descending, dialect=POSTGRES)
        rows = pg.execute(f"SELECT id FROM users ORDER BY {order}").fetchall()
        assert [r[0] for r in rows] == expected
