"""Parser, printer and bounds of the SCIM filter language (RFC 7644
§3.4.2.2) and PATCH paths (§3.5.2)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scimdock.core.errors import ScimError
from scimdock.core.filter import (
    COMPARE_OPS,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    parse_attr_path,
    parse_filter,
    parse_path,
    patch_path_string,
    to_string,
)
from scimdock.core.schema import CORE_USER, ENTERPRISE_USER, USER
from tests.fuzzing import examples

ENT = ENTERPRISE_USER


def P(attr: str, sub: str | None = None, urn: str | None = None) -> AttrPath:
    return AttrPath(attr, sub, urn)


def eq(attr: str, value: object) -> Compare:
    return Compare(P(attr), "eq", value)


def pr(attr: str) -> Present:
    return Present(P(attr))


def error_of(text: str, parse=parse_filter) -> ScimError:
    with pytest.raises(ScimError) as info:
        parse(text)
    return info.value


# --- operators, values, paths ---------------------------------------------------


@pytest.mark.parametrize("op", COMPARE_OPS)
def test_every_compare_operator_in_any_case(op: str) -> None:
    for written in (op, op.upper(), op.capitalize()):
        assert parse_filter(f'title {written} "x"') == Compare(P("title"), op, "x")


def test_present_in_any_case() -> None:
    assert parse_filter("title pr") == parse_filter("title PR") == pr("title")


@pytest.mark.parametrize(
    "text, value",
    [
        ('a eq "plain"', "plain"),
        (r'a eq "q\"uote\\back\/slash"', 'q"uote\\back/slash'),
        (r'a eq "\b\f\n\r\t"', "\b\f\n\r\t"),
        (r'a eq "\u00e9\u00C9"', "éÉ"),
        (r'a eq "\ud83d\ude00"', "\U0001f600"),
        ('a eq "straße É 😀"', "straße É 😀"),
        ('a eq ""', ""),
        ("a eq 0", 0),
        ("a eq -12", -12),
        ("a eq 1.5", 1.5),
        ("a eq -0.25e2", -25.0),
        ("a eq 1E3", 1000.0),
        ("a eq 12345678901234567890", 12345678901234567890),
        ("a eq true", True),
        ("a eq FALSE", False),
        ("a eq Null", None),
    ],
)
def test_values(text: str, value: object) -> None:
    node = parse_filter(text)
    assert isinstance(node, Compare) and node.value == value and type(node.value) is type(value)


@pytest.mark.parametrize(
    "text, path",
    [
        ("userName pr", P("userName")),
        ("USERNAME pr", P("USERNAME")),  # names kept as written
        ("name.givenName pr", P("name", "givenName")),
        ("meta.lastModified pr", P("meta", "lastModified")),
        ("groups.$ref pr", P("groups", "$ref")),
        ("x-y_z9 pr", P("x-y_z9")),
        (f"{ENT}:department pr", P("department", None, ENT)),
        (f"{ENT}:manager.value pr", P("manager", "value", ENT)),
        (f"{ENT}:manager.$ref pr", P("manager", "$ref", ENT)),
        (f"{CORE_USER}:name.familyName pr", P("name", "familyName", CORE_USER)),
        ("urn:Custom:Schema:v1.2.3:attr pr", P("attr", None, "urn:Custom:Schema:v1.2.3")),
    ],
)
def test_attribute_paths(text: str, path: AttrPath) -> None:
    assert parse_filter(text) == Present(path)


def test_keyword_named_attributes() -> None:
    assert parse_filter("not pr") == pr("not")
    assert parse_filter('and eq "x" or or eq "y"') == Or(eq("and", "x"), eq("or", "y"))
    assert parse_filter("not[value pr]") == ValuePath(P("not"), pr("value"))


# --- precedence and grouping -----------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    assert parse_filter("a pr or b pr and c pr") == Or(pr("a"), And(pr("b"), pr("c")))
    assert parse_filter("a pr and b pr or c pr") == Or(And(pr("a"), pr("b")), pr("c"))


def test_left_associative() -> None:
    assert parse_filter("a pr and b pr and c pr") == And(And(pr("a"), pr("b")), pr("c"))
    assert parse_filter("a pr or b pr or c pr") == Or(Or(pr("a"), pr("b")), pr("c"))


def test_grouping_and_not() -> None:
    assert parse_filter("(a pr or b pr) and c pr") == And(Or(pr("a"), pr("b")), pr("c"))
    assert parse_filter("a pr and (b pr and c pr)") == And(pr("a"), And(pr("b"), pr("c")))
    assert parse_filter("not (a pr) and b pr") == And(Not(pr("a")), pr("b"))
    assert parse_filter("not (a pr or b pr)") == Not(Or(pr("a"), pr("b")))
    assert parse_filter("NOT(a pr)or(b pr)") == Or(Not(pr("a")), pr("b"))
    assert parse_filter("((a pr))") == pr("a")


def test_whitespace_is_flexible() -> None:
    assert parse_filter(' \ta  eq\n"x"\r\n') == eq("a", "x")
    assert parse_filter('a eq"x"and(b pr)') == And(eq("a", "x"), pr("b"))


# --- value filters ---------------------------------------------------------------


def test_value_filter() -> None:
    assert parse_filter('emails[type eq "work" and value co "@x.com"]') == ValuePath(
        P("emails"), And(eq("type", "work"), Compare(P("value"), "co", "@x.com"))
    )
    assert parse_filter(f"{CORE_USER}:emails[primary eq true]") == ValuePath(
        P("emails", None, CORE_USER), eq("primary", True)
    )
    assert parse_filter('emails[not (type eq "home")] or a pr') == Or(
        ValuePath(P("emails"), Not(eq("type", "home"))), pr("a")
    )


def test_entra_value_filter_with_sub_attribute() -> None:
    assert parse_filter('emails[type eq "work"].value eq "x@y.com"') == ValuePath(
        P("emails"), And(eq("type", "work"), eq("value", "x@y.com"))
    )
    assert parse_filter('emails[type eq "work" or type eq "home"].value pr and a pr') == And(
        ValuePath(P("emails"), And(Or(eq("type", "work"), eq("type", "home")), pr("value"))),
        pr("a"),
    )


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Invalid filter: empty"),
        (
            "userName",
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'userName' but "
            "found end of input at position 9",
        ),
        (
            'userName xx "a"',
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'userName' "
            "but found 'xx' at position 10",
        ),
        (
            "userName eq",
            "expected a value (a quoted string, number, true, false or null) after 'eq' but found "
            "end of input at position 12",
        ),
        ("userName eq bjensen", "after 'eq' but found 'bjensen' at position 13"),
        ('userName eq "abc', "unterminated string at position 13"),
        ('a eq "x" b pr', "expected 'and', 'or' or end of filter but found 'b' at position 10"),
        ('a eq "x")', "expected 'and', 'or' or end of filter but found ')' at position 9"),
        ('(a eq "x"', "expected 'and', 'or' or ')' but found end of input at position 10"),
        ('emails[type eq "x"', "expected 'and', 'or' or ']' but found end of input at position 19"),
        (
            'emails[type eq "x").value pr',
            "expected 'and', 'or' or ']' but found ')' at position 19",
        ),
        (
            "a pr and",
            "expected an attribute path, '(' or 'not' but found end of input at position 9",
        ),
        ("a pr and )", "expected an attribute path, '(' or 'not' but found ')' at position 10"),
        ("not a pr", "expected '(' after 'not' but found 'a' at position 5"),
        ("a eq 01", "malformed number '01' at position 6"),
        ("a eq 1.", "malformed number '1.' at position 6"),
        ("a eq 12ab", "malformed number '12ab' at position 6"),
        ("a eq 1e999", "number '1e999' is out of range at position 6"),
        ("a eq #", "unexpected character '#' at position 6"),
        ('a eq "\\x"', "invalid escape '\\x' in string at position 7"),
        ('a eq "\\u12"', "invalid \\u escape in string at position 7"),
        ('a eq "\\ud800"', "unpaired surrogate escape in string at position 7"),
        ('a eq "\\udc00\\ud800"', "unpaired surrogate escape in string at position 7"),
        ('a eq "\\u0000"', "U+0000 is not allowed in string at position 7"),
        ('a eq "x\ty"', "control character '\\t' in string at position 8"),
        ("a.b.c pr", "too many '.' in attribute path 'a.b.c' at position 1"),
        ("a..b pr", "invalid attribute name '' at position 3"),
        ("a.1b pr", "invalid attribute name '1b' at position 3"),
        ("a_b.$x pr", "invalid attribute name '$x' at position 5"),
        ("urn:x:2.0:User: pr", "invalid attribute name '' at position 16"),
        ("foo:bar pr", "invalid schema URI 'foo' in 'foo:bar' at position 1"),
        ("emails[value[type pr]]", "value filters cannot be nested at position 13"),
        (
            'emails[type eq "a"].',
            "expected a sub-attribute name after '.' but found end of input at position 21",
        ),
        ('emails[type eq "a"].va.x eq 1', "invalid attribute name 'va.x' at position 21"),
        ("émail pr", "unexpected character 'é' at position 1"),
    ],
)
def test_syntax_errors_name_the_position(text: str, message: str) -> None:
    err = error_of(text)
    assert err.status == 400 and err.scim_type == "invalidFilter"
    assert message in err.detail, err.detail
    assert err.detail.startswith("Invalid filter: ")


@pytest.mark.parametrize("value", [None, 42, b"a eq 1", ["a pr"]])
def test_non_string_input(value: object) -> None:
    err = error_of(value)  # type: ignore[arg-type]
    assert err.scim_type == "invalidFilter" and "must be a string" in err.detail


def test_length_bound() -> None:
    base = 'displayName eq "'
    fits = base + "x" * (MAX_FILTER_LENGTH - len(base) - 1) + '"'
    assert len(fits) == MAX_FILTER_LENGTH
    assert isinstance(parse_filter(fits), Compare)
    err = error_of(fits + " ")
    assert err.scim_type == "invalidFilter" and "longer than 4096" in err.detail
    assert error_of(" " * 10_000_000).scim_type == "invalidFilter"


@pytest.mark.parametrize("opener, closer", [("(", ")"), ("not (", ")"), ("NOT(", ")")])
def test_depth_bound(opener: str, closer: str) -> None:
    ok = opener * MAX_DEPTH + "a pr" + closer * MAX_DEPTH
    assert parse_filter(ok) is not None
    deep = opener * (MAX_DEPTH + 1) + "a pr" + closer * (MAX_DEPTH + 1)
    err = error_of(deep)
    assert (
        err.scim_type == "invalidFilter" and f"nested deeper than {MAX_DEPTH} levels" in err.detail
    )


def test_depth_counts_brackets() -> None:
    inner = "(" * (MAX_DEPTH - 1) + "type pr" + ")" * (MAX_DEPTH - 1)
    assert isinstance(parse_filter(f"emails[{inner}]"), ValuePath)
    err = error_of(f"emails[({inner})]")
    assert "nested deeper" in err.detail and err.detail.endswith(f"position {8 + MAX_DEPTH - 1}")


def test_huge_flat_filters_do_not_recurse() -> None:
    text = " or ".join(["a pr"] * 500)
    node = parse_filter(text)
    assert to_string(node) == text
    assert parse_filter(" and ".join(["not (a pr)"] * 250)) is not None


# --- PATCH paths and attribute paths ---------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("name.givenName", PatchPath(P("name", "givenName"))),
        ("userName", PatchPath(P("userName"))),
        (f"{ENT}:manager", PatchPath(P("manager", None, ENT))),
        (f"{ENT}:manager.value", PatchPath(P("manager", "value", ENT))),
        ('members[value eq "2819c223"]', PatchPath(P("members"), eq("value", "2819c223"))),
        ('emails[type eq "work"].value', PatchPath(P("emails"), eq("type", "work"), "value")),
        (
            'EMAILS[TYPE EQ "work" AND primary EQ TRUE].Display',
            PatchPath(P("EMAILS"), And(eq("TYPE", "work"), eq("primary", True)), "Display"),
        ),
        (
            f'{CORE_USER}:emails[type eq "work"]',
            PatchPath(P("emails", None, CORE_USER), eq("type", "work")),
        ),
        ("  name.givenName  ", PatchPath(P("name", "givenName"))),
    ],
)
def test_parse_path(text: str, expected: PatchPath) -> None:
    assert parse_path(text) == expected
    assert parse_path(patch_path_string(expected)) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Invalid path: empty"),
        ('userName eq "x"', "expected '[' or end of path but found 'eq' at position 10"),
        (
            'emails[type eq "work"]value',
            "expected '.' or end of path but found 'value' at position 23",
        ),
        ('emails[type eq "work"].value.x', "invalid attribute name 'value.x' at position 24"),
        ("emails[type]", "expected an operator"),
        ('"x"', "expected an attribute path but found '\"x\"' at position 1"),
        ("emails[value[x pr]]", "value filters cannot be nested"),
    ],
)
def test_parse_path_errors(text: str, message: str) -> None:
    err = error_of(text, parse_path)
    assert err.scim_type == "invalidPath" and message in err.detail, err.detail


def test_parse_attr_path() -> None:
    assert parse_attr_path("name.givenName") == P("name", "givenName")
    assert parse_attr_path(f"{ENT}:manager.displayName") == P("manager", "displayName", ENT)
    assert parse_attr_path("meta.lastModified") == P("meta", "lastModified")
    for bad in ("", "a b", "emails[type pr]", "a.b.c", "1a", 'a eq "x"'):
        assert error_of(bad, parse_attr_path).scim_type == "invalidPath"


# --- printer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "node, text",
    [
        (Compare(P("a"), "eq", 'q"\\\n\x01é'), 'a eq "q\\"\\\\\\n\\u0001é"'),
        (Compare(P("a"), "gt", 1.5), "a gt 1.5"),
        (Compare(P("a"), "ne", None), "a ne null"),
        (Compare(P("a"), "eq", False), "a eq false"),
        (Compare(P("a"), "le", -3), "a le -3"),
        (Or(pr("a"), And(pr("b"), pr("c"))), "a pr or b pr and c pr"),
        (And(Or(pr("a"), pr("b")), pr("c")), "(a pr or b pr) and c pr"),
        (And(pr("a"), And(pr("b"), pr("c"))), "a pr and (b pr and c pr)"),
        (Or(pr("a"), Or(pr("b"), pr("c"))), "a pr or (b pr or c pr)"),
        (Not(And(pr("a"), pr("b"))), "not (a pr and b pr)"),
        (
            ValuePath(P("emails", None, CORE_USER), Or(eq("type", "x"), pr("value"))),
            f'{CORE_USER}:emails[type eq "x" or value pr]',
        ),
        (Present(P("manager", "value", ENT)), f"{ENT}:manager.value pr"),
    ],
)
def test_printer(node: Filter, text: str) -> None:
    assert to_string(node) == text
    assert parse_filter(text) == node


def test_printer_refuses_non_json_values() -> None:
    with pytest.raises(ValueError):
        to_string(Compare(P("a"), "eq", float("nan")))


# --- properties ------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)
LITERALS = {
    "string": TEXT,
    "reference": TEXT,
    "binary": TEXT,
    "boolean": st.booleans(),
    "dateTime": st.datetimes().map(lambda d: d.isoformat() + "Z"),
    "complex": st.none(),
}


def _cased(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper()])


def _leaf(paths: st.SearchStrategy[AttrPath], attr_type: str) -> st.SearchStrategy[Filter]:
    """``pr`` or any comparison; mostly type-appropriate literals, sometimes
    others (the parser does not type-check)."""
    numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    values = LITERALS[attr_type] | st.none() | numbers
    return st.builds(Present, paths) | st.builds(
        Compare, paths, st.sampled_from(COMPARE_OPS), values
    )


def _combine(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(And, children, children),
        st.builds(Or, children, children),
        st.builds(Not, children),
    )


def _top_leaves() -> list[st.SearchStrategy[Filter]]:
    """Leaves on every attribute and sub-attribute of the User schemas,
    written in random case, core ones with or without their URN."""
    out = []
    for schema in USER.schemas:
        core = schema is USER.schema
        urns = st.sampled_from([None, CORE_USER, CORE_USER.upper()]) if core else st.just(schema.id)
        for attr in schema.attributes:
            for sub in (None, *attr.sub_attributes):
                subs = _cased(sub.name) if sub else st.none()
                out.append(
                    _leaf(st.builds(AttrPath, _cased(attr.name), subs, urns), (sub or attr).type)
                )
    return out


def _value_paths() -> list[st.SearchStrategy[Filter]]:
    """``attr[...]`` on every complex core attribute, paths relative."""
    out = []
    for attr in USER.schema.attributes:
        if attr.type == "complex":
            inner = st.one_of(
                *(_leaf(st.just(AttrPath(s.name)), s.type) for s in attr.sub_attributes)
            )
            inner = st.recursive(inner, _combine, max_leaves=4)
            out.append(st.builds(ValuePath, st.just(AttrPath(attr.name)), inner))
    return out


FILTERS = st.recursive(st.one_of(*_top_leaves(), *_value_paths()), _combine, max_leaves=10)


def _depth(node: Filter) -> int:
    """Nesting the printed form needs (an upper bound)."""
    if isinstance(node, (And, Or)):
        return 1 + max(_depth(node.left), _depth(node.right))
    if isinstance(node, (Not, ValuePath)):
        return 1 + _depth(node.expr if isinstance(node, Not) else node.filter)
    return 0


@settings(max_examples=examples(400), deadline=None)
@given(FILTERS)
def test_round_trip_of_random_trees(node: Filter) -> None:
    assume(_depth(node) <= MAX_DEPTH)
    text = to_string(node)
    assume(len(text) <= MAX_FILTER_LENGTH)
    parsed = parse_filter(text)
    assert parsed == node
    assert repr(parsed) == repr(node)  # same literal types too (True is not 1)
    assert to_string(parsed) == text


@settings(max_examples=examples(1000), deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_scim_error(text: str) -> None:
    for parse in (parse_filter, parse_path, parse_attr_path):
        try:
            parse(text)
        except ScimError as err:
            assert err.status == 400 and err.scim_type in ("invalidFilter", "invalidPath")


TOKENS = st.sampled_from(
    [
        "a",
        "emails",
        "name.givenName",
        f"{ENT}:manager.value",
        "eq",
        "EQ",
        "co",
        "pr",
        "gt",
        "and",
        "or",
        "not",
        "(",
        ")",
        "[",
        "]",
        ".",
        ".value",
        '"x"',
        '"\\u00e9"',
        '"\\"',
        "1",
        "-2.5e3",
        "true",
        "null",
        " ",
        " ",
        " ",
        "\t",
        "urn:",
        ":",
        "$ref",
        "0x1",
        '"',
        "\\",
    ]
)


@settings(max_examples=examples(1500), deadline=None)
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_token_soup_parses_canonically_or_raises(text: str) -> None:
    try:
        node = parse_filter(text)
    except ScimError as err:
        assert err.scim_type == "invalidFilter"
        assert "position" in err.detail or err.detail == "Invalid filter: empty"
        return
    assert parse_filter(to_string(node)) == node
    try:
        path = parse_path(text)
    except ScimError as err:
        assert err.scim_type == "invalidPath"
    else:
        assert parse_path(patch_path_string(path)) == path
