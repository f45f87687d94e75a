"""Where each resource type's attributes live in PostgreSQL
(store/pg_schema.py), for the PostgreSQL filter and sort compiler
(:mod:`store.pg_filter`): the same columns as SQLite's
(:mod:`store.sqltables`), and the two membership relations written with
PostgreSQL's joins and ``%s`` parameters. Every join of a relation names
``tenant_id``: a tenant's rows are only ever joined with its own.
"""

from __future__ import annotations

from scimdock.store.sqltables import _COMMON, Relation, Seeds, Sql, Table

#: The ``display`` of a member row ``{a}`` (RFC 7643 §4.2): as given, else
#: a user's displayName or userName, a group's displayName.
MEMBER_DISPLAY = (
    "coalesce({a}.display, CASE {a}.member_type WHEN 'User' THEN"
    " (SELECT coalesce(mu.doc ->> 'displayName', mu.user_name) FROM users mu"
    " WHERE mu.tenant_id = {a}.tenant_id AND mu.id = {a}.member_id)"
    " ELSE (SELECT mg.display_name FROM groups mg"
    " WHERE mg.tenant_id = {a}.tenant_id AND mg.id = {a}.member_id) END)"
)


class PgGroupMembers(Relation):
    """A Group's ``members``: its rows, probed by the primary key."""

    def match(self, alias: str, test: Sql, seeds: Seeds | None, tenant_id: int | None) -> Sql:
        return (
            f"EXISTS (SELECT 1 FROM members {alias} WHERE {alias}.tenant_id = groups.tenant_id"
            f" AND {alias}.group_seq = groups.seq AND {test[0]})"
        ), test[1]


class PgUserGroups(Relation):
    """A User's ``groups`` (RFC 7643 §4.1.2), as
    :class:`store.sqltables.UserGroups`: the nesting of the tenant's
    groups closed once per query by a recursive CTE (UNION ends it on
    cycles), then the user members of each; depth 0 is direct."""

    def match(self, alias: str, test: Sql, seeds: Seeds | None, tenant_id: int | None) -> Sql:
        t, tp = ("%s", [tenant_id]) if tenant_id is not None else ("users.tenant_id", [])
        seed, sp = "", []
        if seeds is not None:
            column = "id" if seeds[0] == "value" else "display_name_fold"
            seed, sp = f" AND {column} = ANY(%s)", [list(seeds[1])]
        nest = f"{alias}_nest"
        kind = grouped = ""
        if f"{alias}.type" in test[0]:  # only "type" needs one row per (user, group)
            kind = ", CASE WHEN min(n.depth) = 0 THEN 'direct' ELSE 'indirect' END AS type"
            grouped = " GROUP BY um.member_id, n.root, g.id, g.display_name_fold"
        sql = (
            f"users.id IN (WITH RECURSIVE {nest}(root, seq, depth) AS ("
            f"SELECT seq, seq, 0 FROM groups WHERE tenant_id = {t} AND deleted IS NULL{seed}"
            f" UNION SELECT n.root, ng.seq, 1 FROM {nest} n"
            f" JOIN members nm ON nm.tenant_id = {t}"
            f" AND nm.group_seq = n.seq AND nm.member_type = 'Group'"
            f" JOIN groups ng ON ng.tenant_id = {t} AND ng.id = nm.member_id)"
            f" SELECT {alias}.member_id FROM (SELECT um.member_id, g.id AS value,"
            f" g.display_name_fold AS display{kind}"
            f" FROM {nest} n JOIN members um ON um.tenant_id = {t}"
            f" AND um.group_seq = n.seq AND um.member_type = 'User'"
            f" JOIN groups g ON g.tenant_id = {t} AND g.seq = n.root{grouped}) AS {alias}"
            f" WHERE {test[0]})"
        )
        return sql, [*tp, *sp, *tp, *tp, *tp, *tp, *test[1]]


GROUP_MEMBERS = PgGroupMembers(
    {"value": "{a}.member_id", "type": "{a}.member_type", "display": MEMBER_DISPLAY},
    frozenset({"value"}),
)
USER_GROUPS = PgUserGroups(  # display: the group's displayName, folded
    {"value": "{a}.value", "type": "{a}.type", "display": "{a}.display"},
    frozenset({"value", "display"}),
)
USERS = Table(
    "users",
    {**_COMMON, "userName": "user_name_key", "active": "active"},
    frozenset({"userName"}),
    {"groups": USER_GROUPS},
)
GROUPS = Table(
    "groups",
    {**_COMMON, "displayName": "display_name_fold"},
    frozenset({"displayName"}),
    {"members": GROUP_MEMBERS},
)
TABLES: dict[str, Table] = {"User": USERS, "Group": GROUPS}
DEFAULT = Table("users", dict(_COMMON))


def table_for(rt_id: str) -> Table:
    return TABLES.get(rt_id, DEFAULT)


def jsonb_path(segments: tuple[str, ...]) -> str:
    """``'{"a","b"}'``, a text-array literal for ``#>``, from schema names
    (never from filter text; the same names :func:`store.sqltables.json_path` allows)."""
    for segment in segments:
        if any(c in segment for c in "\"'\\"):
            raise ValueError(f"unsafe name in JSON path: {segment!r}")
    return "'{" + ",".join(f'"{s}"' for s in segments) + "}'"


def elements(jv: str) -> str:
    """The elements of the jsonb array ``jv`` (none when it is not an array)."""
    return (
        f"jsonb_array_elements(CASE WHEN jsonb_typeof({jv}) = 'array' THEN {jv}"
        " ELSE '[]'::jsonb END)"
    )


def string_of(jv: str) -> str:
    """The text of the jsonb value ``jv`` when it is a string, else NULL."""
    return f"(CASE WHEN jsonb_typeof({jv}) = 'string' THEN {jv} #>> '{{}}' END)"
