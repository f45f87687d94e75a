"""Where each resource type's attributes live (SQLite's store/migrations.py,
PostgreSQL's store/pg_schema.py: the same tables and columns), for the
filter and sort compilers (:mod:`store.sqlfilter`, :mod:`store.sqlsort`).

A resource row has indexed columns for the attributes a filter or sort uses
most, and ``doc`` (JSON) for the rest. Two multi-valued attributes are not
in ``doc`` at all but derived from the ``members`` rows: a Group's
``members`` (RFC 7643 §4.2) and a User's read-only ``groups`` (RFC 7643
§4.1.2: direct and, through nested groups, indirect memberships). Both are
described as a :class:`Relation`: one column per sub-attribute of an
element row, and how to test "some element matches" against the outer
row, written once over a :class:`store.sqldialect.Dialect`. Compiled SQL
names the outer table (``users.id``, ``groups.seq``), so the caller's
query must read it under its own name (no alias).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scimdock.core.filter.ast import And, Compare, Filter, Or
from scimdock.core.identity import fold
from scimdock.store.sqldialect import Dialect, Sql

#: SQL for the ``display`` of a member row ``{a}``: as the client gave it,
#: else a user's displayName (``{name}``, the dialect's ``member_name``) or
#: userName, a group's displayName (RFC 7643 §4.2).
MEMBER_DISPLAY = (
    "coalesce({a}.display, CASE {a}.member_type WHEN 'User' THEN "
    "(SELECT coalesce({name}, mu.user_name) FROM users mu"
    " WHERE mu.tenant_id = {a}.tenant_id AND mu.id = {a}.member_id)"
    " ELSE (SELECT mg.display_name FROM groups mg"
    " WHERE mg.tenant_id = {a}.tenant_id AND mg.id = {a}.member_id) END)"
)

#: Restriction of the groups an element filter can match, known from the
#: filter: ``("value", ids)`` or ``("display", names)``, both case-folded.
Seeds = tuple[str, list[str]]


@dataclass(frozen=True)
class Relation:
    """A multi-valued complex attribute kept as rows. ``columns`` maps its
    sub-attributes to SQL over the element alias ``{a}``; ``folded`` names
    those whose column holds text that case-folding leaves unchanged (ids:
    the store assigns lower-case UUIDs), so they compare with the folded
    literal and can use an index. Sub-attributes not in ``columns``
    (``$ref``, rendered by the HTTP layer) cannot be filtered."""

    columns: dict[str, str]
    folded: frozenset[str]

    def column(self, sub: str, alias: str, dialect: Dialect) -> str | None:
        expr = self.columns.get(sub)
        return None if expr is None else expr.format(a=alias, name=dialect.member_name)

    def match(
        self, alias: str, test: Sql, seeds: Seeds | None, tenant_id: int | None, dialect: Dialect
    ) -> Sql:
        """SQL true when some element ``alias`` of the outer row satisfies
        ``test``; ``seeds`` may narrow the search, never the result."""
        raise NotImplementedError


class GroupMembers(Relation):
    """A Group's ``members``: its rows of ``members``, probed per group by
    the primary key (tenant, group, member)."""

    def match(
        self, alias: str, test: Sql, seeds: Seeds | None, tenant_id: int | None, dialect: Dialect
    ) -> Sql:
        return (
            f"EXISTS (SELECT 1 FROM members {alias} WHERE {alias}.tenant_id = groups.tenant_id"
            f" AND {alias}.group_seq = groups.seq AND {test[0]})"
        ), test[1]


class UserGroups(Relation):
    """A User's ``groups`` (RFC 7643 §4.1.2): ``users.id IN`` the users
    having such an element, computed once per query (not per user). A
    recursive CTE first closes the nesting of groups alone — (root, group,
    0) for each live group, then (root, nested group, 1) through members
    that are groups (partial index ``members_nested``); UNION ends the
    recursion on cycles — and then joins the user members of each: a user
    in the root itself is a direct member, else indirect. In SQLite, CROSS
    JOIN fixes the join order (SQLite keeps it): the few groups drive,
    member rows are probed by primary key; in PostgreSQL every join names
    ``tenant_id`` (:data:`store.sqldialect.POSTGRES`). ``seeds`` start
    from the matching groups only. Without a ``tenant_id`` the CTE follows
    each user's tenant (correlated: slow, for ad-hoc use)."""

    def match(
        self, alias: str, test: Sql, seeds: Seeds | None, tenant_id: int | None, dialect: Dialect
    ) -> Sql:
        d = dialect
        t, tp = (d.mark, [tenant_id]) if tenant_id is not None else ("users.tenant_id", [])
        seed, sp = "", list[object]()  # the seeds, or one array parameter of them
        if seeds is not None:
            column = "id" if seeds[0] == "value" else "display_name_fold"
            if d.array_params:
                seed, sp = f" AND {column} = ANY({d.mark})", [list(seeds[1])]
            else:
                seed = f" AND {column} IN ({', '.join([d.mark] * len(seeds[1]))})"
                sp = list(seeds[1])
        nest = f"{alias}_nest"
        kind = grouped = ""
        if f"{alias}.type" in test[0]:  # only "type" needs one row per (user, group)
            kind = ", CASE WHEN min(n.depth) = 0 THEN 'direct' ELSE 'indirect' END AS type"
            # g is the one group of seq n.root: its columns do not split a group
            grouped = " GROUP BY um.member_id, n.root, g.id, g.display_name_fold"
        tj = tp if d.tenant_joins else []  # the groups joins name the tenant again
        nested_tenant = t if d.tenant_joins else "nm.tenant_id"
        root_tenant = f"g.tenant_id = {t} AND " if d.tenant_joins else ""
        sql = (
            f"users.id IN (WITH RECURSIVE {nest}(root, seq, depth) AS ("
            f"SELECT seq, seq, 0 FROM groups WHERE tenant_id = {t} AND deleted IS NULL{seed}"
            f" UNION SELECT n.root, ng.seq, 1 FROM {nest} n"
            f" {d.join} members nm{d.nested_index} ON nm.tenant_id = {t}"
            f" AND nm.group_seq = n.seq AND nm.member_type = 'Group'"
            f" {d.join} groups ng ON ng.tenant_id = {nested_tenant} AND ng.id = nm.member_id)"
            f" SELECT {alias}.member_id FROM (SELECT um.member_id, g.id AS value,"
            f" g.display_name_fold AS display{kind}"
            f" FROM {nest} n {d.join} members um ON um.tenant_id = {t}"
            f" AND um.group_seq = n.seq AND um.member_type = 'User'"
            f" {d.join} groups g ON {root_tenant}g.seq = n.root{grouped}) AS {alias}"
            f" WHERE {test[0]})"
        )
        return sql, [*tp, *sp, *tp, *tj, *tp, *tj, *test[1]]


@dataclass(frozen=True)
class Table:
    """The table of a resource type: indexed ``columns`` by attribute path
    (``folded``: the column holds :func:`core.identity.fold` text, compared with the
    folded literal) and the attributes kept as :class:`Relation`."""

    name: str
    columns: dict[str, str]
    folded: frozenset[str] = frozenset()
    relations: dict[str, Relation] = field(default_factory=dict)


#: The columns of every resource table.
COMMON_COLUMNS = {
    "externalId": "external_id",
    "id": "id",
    "meta.created": "created",
    "meta.lastModified": "last_modified",
}

GROUP_MEMBERS = GroupMembers(
    {"value": "{a}.member_id", "type": "{a}.member_type", "display": MEMBER_DISPLAY},
    frozenset({"value"}),
)
USER_GROUPS = UserGroups(  # display: the group's displayName, folded
    {"value": "{a}.value", "type": "{a}.type", "display": "{a}.display"},
    frozenset({"value", "display"}),
)

USERS = Table(
    "users",
    {**COMMON_COLUMNS, "userName": "user_name_key", "active": "active"},
    frozenset({"userName"}),
    {"groups": USER_GROUPS},
)
GROUPS = Table(
    "groups",
    {**COMMON_COLUMNS, "displayName": "display_name_fold"},
    frozenset({"displayName"}),
    {"members": GROUP_MEMBERS},
)
#: By resource type id. Other types (tests' made-up ones) read the users
#: table layout through :data:`DEFAULT`: common columns, the rest in ``doc``.
TABLES: dict[str, Table] = {"User": USERS, "Group": GROUPS}
DEFAULT = Table("users", dict(COMMON_COLUMNS))


def table_for(rt_id: str) -> Table:
    return TABLES.get(rt_id, DEFAULT)


def seeds_of(node: Filter) -> Seeds | None:
    """What an element filter says the element's group must be: ``value eq``
    or ``display eq`` literals (joined by ``or``, or one side of an ``and``),
    folded; None when it does not say."""
    if (
        isinstance(node, Compare)
        and node.op == "eq"
        and isinstance(node.value, str)
        and node.path.attr in ("value", "display")
        and node.path.sub is None
    ):
        return node.path.attr, [fold(node.value)]
    if isinstance(node, Or):
        left, right = seeds_of(node.left), seeds_of(node.right)
        if left is None or right is None or left[0] != right[0]:
            return None
        return left[0], left[1] + right[1]
    if isinstance(node, And):
        return seeds_of(node.left) or seeds_of(node.right)
    return None
