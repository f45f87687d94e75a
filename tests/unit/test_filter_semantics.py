"""Resolution against the schema and in-memory evaluation of SCIM filters
(RFC 7644 §3.4.2.2, §3.5.2; RFC 7643 §2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimdock.core.errors import ScimError
from scimdock.core.filter import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    matches,
    matches_element,
    normalize_datetime,
    parse_attr_path,
    parse_filter,
    parse_path,
    resolve_attr_path,
    resolve_filter,
    resolve_path,
    to_string,
)
from scimdock.core.schema import CORE_USER, ENTERPRISE_USER, USER
from tests.fuzzing import examples

ENT = ENTERPRISE_USER
EMAILS = USER.schema.attribute("emails")


def core(attr: str, sub: str | None = None) -> AttrPath:
    return AttrPath(attr, sub, CORE_USER)


def resolve(text: str, *, lenient: bool = True):
    return resolve_filter(parse_filter(text), USER, lenient=lenient)


def resolve_error(text: str, *, lenient: bool = True) -> ScimError:
    with pytest.raises(ScimError) as info:
        resolve(text, lenient=lenient)
    assert info.value.status == 400 and info.value.scim_type == "invalidFilter"
    return info.value


# --- normalize_datetime ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000000Z"),
        ("2024-02-29t12:00:00z", "2024-02-29T12:00:00.000000Z"),
        ("2024-02-29 12:00:00Z", "2024-02-29T12:00:00.000000Z"),
        ("2024-02-29T12:00:00", "2024-02-29T12:00:00.000000Z"),
        ("2024-03-01T01:30:00+02:00", "2024-02-29T23:30:00.000000Z"),
        ("2023-12-31T23:00:00-01:30", "2024-01-01T00:30:00.000000Z"),
        ("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.500000Z"),
        ("2024-01-01T00:00:00.123456789Z", "2024-01-01T00:00:00.123456Z"),
        ("0999-01-01T00:00:00Z", "0999-01-01T00:00:00.000000Z"),
    ],
)
def test_normalize_datetime(text: str, expected: str) -> None:
    assert normalize_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:59:60Z",
        "2024-01-01",
        "2024-01-01T00:00Z",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00+0100",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "",
        "yesterday",
        "２０２４-01-01T00:00:00Z",
        20240101,
    ],
)
def test_normalize_datetime_rejects(text: Any) -> None:
    with pytest.raises(ValueError):
        normalize_datetime(text)


@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1)),
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1)),
    st.integers(-23 * 60, 23 * 60),
    st.integers(-23 * 60, 23 * 60),
)
def test_normalised_strings_order_like_instants(
    a: datetime, b: datetime, off_a: int, off_b: int
) -> None:
    za = a.replace(tzinfo=timezone(timedelta(minutes=off_a)))
    zb = b.replace(tzinfo=timezone(timedelta(minutes=off_b)))
    na, nb = normalize_datetime(za.isoformat()), normalize_datetime(zb.isoformat())
    assert (na < nb) == (za < zb) and (na == nb) == (za == zb)


# --- resolve_filter -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ('USERNAME eq "x"', Compare(core("userName"), "eq", "x")),
        ("ID pr", Present(core("id"))),
        ('externalid eq "E"', Compare(core("externalId"), "eq", "E")),
        ("META.LASTMODIFIED pr", Present(core("meta", "lastModified"))),
        ("name.GIVENNAME pr", Present(core("name", "givenName"))),
        (
            f'{CORE_USER.upper()}:NAME.familyname eq "J"',
            Compare(core("name", "familyName"), "eq", "J"),
        ),
        (f"{CORE_USER}:id pr", Present(core("id"))),
        (f'{ENT.lower()}:DEPARTMENT eq "x"', Compare(AttrPath("department", None, ENT), "eq", "x")),
        (f"{ENT}:manager.VALUE pr", Present(AttrPath("manager", "value", ENT))),
        (f"{ENT}:manager.$REF pr", Present(AttrPath("manager", "$ref", ENT))),
        ('groups.$ref co "x"', Compare(core("groups", "$ref"), "co", "x")),
        ('emails co "@x.com"', Compare(core("emails", "value"), "co", "@x.com")),
        ('EMAILS eq "a@x.com"', Compare(core("emails", "value"), "eq", "a@x.com")),
        ("emails eq null", Compare(core("emails"), "eq", None)),
        ("name ne null", Compare(core("name"), "ne", None)),
        ("emails pr", Present(core("emails"))),
        ("name pr", Present(core("name"))),
        (
            'EMAILS[TYPE eq "work" and not (Value ew ".org")]',
            ValuePath(
                core("emails"),
                And(
                    Compare(AttrPath("type"), "eq", "work"),
                    Not(Compare(AttrPath("value"), "ew", ".org")),
                ),
            ),
        ),
        (
            'emails[type eq "work"].VALUE eq "x"',
            ValuePath(
                core("emails"),
                And(Compare(AttrPath("type"), "eq", "work"), Compare(AttrPath("value"), "eq", "x")),
            ),
        ),
        (
            'meta[created gt "2024-01-01T00:00:00Z"]',
            ValuePath(
                core("meta"), Compare(AttrPath("created"), "gt", "2024-01-01T00:00:00.000000Z")
            ),
        ),
        (
            'active eq "TRUE" or active eq "false"',
            Or(Compare(core("active"), "eq", True), Compare(core("active"), "eq", False)),
        ),
        (
            'emails[primary eq "True"]',
            ValuePath(core("emails"), Compare(AttrPath("primary"), "eq", True)),
        ),
        (
            'meta.created ge "2024-01-01T02:00:00+02:00"',
            Compare(core("meta", "created"), "ge", "2024-01-01T00:00:00.000000Z"),
        ),
    ],
)
def test_resolve_canonicalises(text: str, expected: Any) -> None:
    resolved = resolve(text)
    assert resolved == expected
    assert resolve_filter(parse_filter(to_string(resolved)), USER) == resolved  # idempotent


@pytest.mark.parametrize(
    "text, message",
    [
        ('nope eq "x"', "unknown attribute 'nope'"),
        ("name.middle pr", "unknown sub-attribute 'middle' of 'name'"),
        ("userName.x pr", "unknown sub-attribute 'x' of 'userName'"),
        (f"{ENT}:userName pr", f"unknown attribute '{ENT}:userName'"),
        ("urn:example:Other:department pr", "unknown schema 'urn:example:Other'"),
        ("department pr", "unknown attribute 'department'"),
        ('emails[nope eq "x"]', "unknown sub-attribute 'nope' of 'emails'"),
        ('emails[emails.value eq "x"]', "inside emails[...] use a sub-attribute name of 'emails'"),
        (f'emails[{CORE_USER}:type eq "x"]', "inside emails[...] use a sub-attribute name"),
        ('userName[value eq "x"]', "'userName' is not a complex attribute"),
        ('name.givenName[value eq "x"]', "'name.givenName' is not a complex attribute"),
        ('password eq "secret"', "attribute 'password' cannot be used in a filter"),
        ("password pr", "attribute 'password' cannot be used in a filter"),
        ('name co "x"', "'name' is complex: compare one of its sub-attributes or use 'pr'"),
        (f'{ENT}:manager eq "x"', f"'{ENT}:manager' is complex"),
        ("meta gt 1", "'meta' is complex"),
        ("active gt true", "operator 'gt' is not allowed on boolean attribute 'active'"),
        ('active co "t"', "operator 'co' is not allowed on boolean attribute 'active'"),
        (
            'emails.primary sw "t"',
            "operator 'sw' is not allowed on boolean attribute 'emails.primary'",
        ),
        (
            'meta.created co "2024"',
            "operator 'co' is not allowed on dateTime attribute 'meta.created'",
        ),
        ('x509Certificates.value lt "x"', "operator 'lt' is not allowed on binary attribute"),
        ('x509Certificates gt "x"', "operator 'gt' is not allowed on binary attribute"),
        ("active eq 1", "'active' is boolean: expected true or false, not 1"),
        ('active eq "yes"', "'active' is boolean: expected true or false, not 'yes'"),
        ("userName eq 42", "'userName' is string: expected a quoted string, not 42"),
        ("userName eq true", "expected a quoted string, not True"),
        ("profileUrl eq 1.5", "'profileUrl' is reference: expected a quoted string"),
        (
            'meta.lastModified gt "2024-01-01"',
            "'meta.lastModified' is a dateTime: '2024-01-01' is not an RFC",
        ),
        ("meta.created gt 5", "'meta.created' is dateTime: expected a quoted string, not 5"),
        ("userName co null", "'co null' is not allowed; only 'eq null' and 'ne null' are"),
        ("meta.created gt null", "'gt null' is not allowed"),
    ],
)
def test_resolve_errors(text: str, message: str) -> None:
    assert message in resolve_error(text).detail


def test_strict_mode_refuses_string_booleans() -> None:
    assert "expected true or false" in resolve_error('active eq "true"', lenient=False).detail
    assert resolve("active eq true", lenient=False) == Compare(core("active"), "eq", True)


@pytest.mark.parametrize(
    "attr, ops",
    [
        ("active", "eq ne"),
        ("emails.primary", "eq ne"),
        ("meta.created", "eq ne gt ge lt le"),
        ("userName", "eq ne co sw ew gt ge lt le"),
        ("profileUrl", "eq ne co sw ew gt ge lt le"),
        ("x509Certificates.value", "eq ne co sw ew"),
    ],
)
def test_operator_matrix(attr: str, ops: str) -> None:
    literals = {
        "active": "true",
        "emails.primary": "false",
        "meta.created": '"2024-01-01T00:00:00Z"',
    }
    literal = literals.get(attr, '"x"')
    for op in ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"):
        text = f"{attr} {op} {literal}"
        if op in ops.split():
            assert isinstance(resolve(text), Compare)
        else:
            resolve_error(text)
    assert isinstance(resolve(f"{attr} pr"), Present)


def test_resolver_rejects_hand_built_nested_value_filters() -> None:
    nested = ValuePath(AttrPath("emails"), ValuePath(AttrPath("value"), Present(AttrPath("x"))))
    with pytest.raises(ScimError, match="cannot be nested"):
        resolve_filter(nested, USER)


def test_resolve_long_chains_without_recursion_errors() -> None:
    text = " or ".join(['userName eq "a"'] * 200)
    resolved = resolve(text)
    assert to_string(resolved).count(" or ") == 199
    assert matches(resolved, {"userName": "A"}, USER)


# --- resolve_path / resolve_attr_path ----------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("NAME.GIVENNAME", PatchPath(core("name", "givenName"))),
        ("password", PatchPath(core("password"))),
        (f"{ENT}:MANAGER", PatchPath(AttrPath("manager", None, ENT))),
        (
            'emails[TYPE eq "work"].VALUE',
            PatchPath(core("emails"), Compare(AttrPath("type"), "eq", "work"), "value"),
        ),
        (
            'emails[primary eq "true"]',
            PatchPath(core("emails"), Compare(AttrPath("primary"), "eq", True)),
        ),
        (
            'addresses[type eq "work"].streetaddress',
            PatchPath(core("addresses"), Compare(AttrPath("type"), "eq", "work"), "streetAddress"),
        ),
    ],
)
def test_resolve_path(text: str, expected: PatchPath) -> None:
    assert resolve_path(parse_path(text), USER) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("nickname.x", "unknown sub-attribute 'x' of 'nickName'"),
        ("members", "unknown attribute 'members'"),
        ('members[value eq "1"]', "unknown attribute 'members'"),
        ('emails[type eq "work"].nope', "unknown sub-attribute 'nope' of 'emails'"),
        ('emails[nope eq "work"]', "unknown sub-attribute 'nope' of 'emails'"),
        ('userName[value eq "x"]', "'userName' is not a complex attribute"),
        ("emails[primary gt true]", "operator 'gt' is not allowed"),
    ],
)
def test_resolve_path_errors(text: str, message: str) -> None:
    with pytest.raises(ScimError) as info:
        resolve_path(parse_path(text), USER)
    assert info.value.scim_type == "invalidPath" and message in info.value.detail


def test_resolve_path_strict_mode_refuses_string_booleans() -> None:
    parsed = parse_path('roles[primary eq "True"].value')
    assert resolve_path(parsed, USER).filter == Compare(AttrPath("primary"), "eq", True)
    with pytest.raises(ScimError) as info:
        resolve_path(parsed, USER, lenient=False)
    assert info.value.scim_type == "invalidPath" and "expected true or false" in info.value.detail


def test_resolve_attr_path() -> None:
    assert resolve_attr_path(parse_attr_path("EMAILS.value"), USER) == core("emails", "value")
    assert resolve_attr_path(parse_attr_path(f"{ENT}:costcenter"), USER) == AttrPath(
        "costCenter", None, ENT
    )
    with pytest.raises(ScimError) as info:
        resolve_attr_path(parse_attr_path("bogus"), USER)
    assert info.value.scim_type == "invalidPath"


# --- matches ---------------------------------------------------------------------------

BABS: dict[str, Any] = {
    "schemas": [CORE_USER, ENT],
    "id": "2819c223-7f76",
    "externalId": "Babs-Ext",
    "userName": "BJensen@Example.com",
    "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": ""},
    "displayName": "Straße Babs",
    "nickName": "",
    "title": "Tour Guide",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
        {"type": "other"},
    ],
    "phoneNumbers": [],
    "addresses": [{}],
    ENT: {
        "department": "Tour Operations",
        "manager": {"value": "26118915-6090", "displayName": "John"},
    },
    "meta": {
        "resourceType": "User",
        "created": "2024-01-01T10:00:00+02:00",
        "lastModified": "2024-06-01T08:00:00.25Z",
        "version": 'W/"3"',
    },
}


@pytest.mark.parametrize(
    "text, expected",
    [
        # case-insensitive strings: every operator
        ('userName eq "bjensen@example.COM"', True),
        ('userName eq "bjensen"', False),
        ('userName co "JENSEN@"', True),
        ('userName sw "bj"', True),
        ('userName ew ".COM"', True),
        ('userName gt "BJ"', True),
        ('userName lt "BJ"', False),
        ('userName ge "bjensen@example.com"', True),
        ('userName le "bjensen@example.com"', True),
        ('userName ne "bjensen@example.com"', False),
        ('displayName eq "STRASSE BABS"', True),
        ('displayName co "ss"', True),
        ('displayName sw "STRAS"', True),
        ('userName co ""', True),
        ('nickName co ""', True),
        ('nickName eq ""', True),
        ('title sw ""', True),
        # caseExact strings
        ('externalId eq "Babs-Ext"', True),
        ('externalId eq "babs-ext"', False),
        ('externalId co "s-E"', True),
        ('id eq "2819C223-7F76"', False),
        ('id sw "2819c"', True),
        ('id gt "2819c223-7f76"', False),
        # absent attributes and ne
        ('locale eq "en"', False),
        ('locale ne "en"', True),
        ('locale co ""', False),
        ('locale gt "a"', False),
        ('not (locale eq "en")', True),
        # pr / null
        ("title pr", True),
        ("nickName pr", False),
        ("locale pr", False),
        ("name.middleName pr", False),
        ("name pr", True),
        ("emails pr", True),
        ("phoneNumbers pr", False),
        ("addresses pr", True),
        ("nickName eq null", True),
        ("title eq null", False),
        ("title ne null", True),
        ("locale ne null", False),
        ("phoneNumbers eq null", True),
        ("ims eq null", True),
        ("ims pr", False),
        ("meta pr", True),
        ("addresses.formatted pr", False),
        ("emails.value pr", True),
        ("emails.display pr", False),
        # multi-valued: any element
        ('emails.type eq "HOME"', True),
        ('emails.type eq "pager"', False),
        ('emails.type ne "home"', False),
        ('emails.type ne "pager"', True),
        ('emails co "jensen.ORG"', True),
        ('emails ew "@example.com"', True),
        ("emails.value eq null", False),
        ("emails.display eq null", True),
        ('emails[type eq "work" and value co "jensen.org"]', False),
        ('emails.type eq "work" and emails.value co "jensen.org"', True),
        ('emails[type eq "home" and value co "jensen.org"]', True),
        ('emails[type eq "home"].value ew ".ORG"', True),
        ('emails[type eq "work"].value ew ".org"', False),
        ('emails[not (type eq "work")]', True),
        ('emails[type eq "other" and value pr]', False),
        ("emails[value eq null]", True),
        ("phoneNumbers[value pr or not (value pr)]", False),
        # booleans
        ("active eq true", True),
        ("active eq false", False),
        ("active ne false", True),
        ('active eq "TRUE"', True),
        ("emails.primary eq true", True),
        ("emails.primary eq false", False),
        ('emails[primary eq true and type eq "work"]', True),
        ("emails.primary ne true", False),
        # dateTime (stored with an offset, compared as instants)
        ('meta.created eq "2024-01-01T08:00:00Z"', True),
        ('meta.created gt "2024-01-01T08:00:00Z"', False),
        ('meta.created ge "2024-01-01T09:00:00+01:00"', True),
        ('meta.created lt "2024-01-01T08:00:00.000001Z"', True),
        ('meta.lastModified gt "2024-06-01T08:00:00.2Z"', True),
        ('meta.lastModified le "2024-06-01T08:00:00Z"', False),
        (
            'meta[created lt "2025-01-01T00:00:00Z" and lastModified gt "2024-01-01T00:00:00Z"]',
            True,
        ),
        ('meta.resourceType eq "User"', True),
        ('meta.resourceType eq "user"', False),
        # extension
        (f'{ENT}:department sw "tour"', True),
        (f'{ENT}:department eq "Tour"', False),
        (f'{ENT}:manager.value eq "26118915-6090"', True),
        (f'{ENT}:manager.displayName co "OH"', True),
        (f"{ENT}:manager.$ref pr", False),
        (f'{ENT}:organization ne "x"', True),
        (f"{ENT}:manager pr", True),
        (f'{ENT}:manager[value sw "2611" and displayName eq "john"]', True),
        # complex single-valued sub-attributes and value filters
        ('name.givenName eq "barbara"', True),
        ('name[givenName eq "Barbara" and familyName sw "J"]', True),
        ('name[not (givenName eq "x")]', True),
        ('name.formatted ne "x"', True),
        # logic
        ('userName sw "b" and (title co "guide" or locale pr)', True),
        ('not (userName sw "b") or title eq "x"', False),
        ("locale pr or not (locale pr)", True),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert matches(resolve(text), BABS, USER) is expected


def test_absent_complex_and_extension_never_match() -> None:
    bare = {"id": "1", "userName": "x", "meta": {"created": "2024-01-01T00:00:00Z"}}
    for text, expected in [
        ('name[not (givenName eq "x")]', False),
        ('name.givenName ne "x"', True),
        ("name pr", False),
        (f"{ENT}:department pr", False),
        (f'{ENT}:department ne "x"', True),
        ("emails eq null", True),
        ('emails[not (type eq "x")]', False),
        ('emails.type ne "x"', True),
        ("active ne true", True),
        ("active eq false", False),
        ('meta.lastModified lt "2030-01-01T00:00:00Z"', False),
        ('meta.created lt "2030-01-01T00:00:00Z"', True),
    ]:
        assert matches(resolve(text), bare, USER) is expected, text


def test_wrong_json_types_never_match() -> None:
    odd = {
        "userName": 5,
        "active": 1,
        "displayName": ["x"],
        "emails": [{"value": 1, "primary": "true"}, "x"],
        "meta": {"created": "garbage"},
    }
    for text in (
        'userName eq "5"',
        "active eq true",
        'displayName eq "x"',
        'emails.value eq "1"',
        "emails.primary eq true",
        'meta.created lt "2999-01-01T00:00:00Z"',
        "emails[value pr]",
    ):
        assert matches(resolve(text), odd, USER) is (text == "emails[value pr]"), text


def test_matches_element() -> None:
    work = {"value": "BJensen@Example.com", "type": "Work", "primary": True}
    assert matches_element(
        resolve_path(parse_path('emails[type eq "work"]'), USER).filter, work, EMAILS
    )
    inner = resolve_path(
        parse_path('emails[type eq "home" or value ew "example.COM"]'), USER
    ).filter
    assert matches_element(inner, work, EMAILS)
    assert matches_element(Present(AttrPath("display")), work, EMAILS) is False
    assert matches_element(Compare(AttrPath("display"), "ne", "x"), work, EMAILS) is True
    assert matches_element(Compare(AttrPath("primary"), "eq", True), work, EMAILS) is True
    assert matches_element(Present(AttrPath("value")), "not-an-object", EMAILS) is False  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        matches_element(Present(AttrPath("nope")), work, EMAILS)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.sampled_from(
        ["userName", "displayName", "externalId", "emails.type", "emails", f"{ENT}:department"]
    ),
    st.sampled_from(["eq", "co", "sw", "ew", "gt", "lt"]),
    st.text("aAßsSÉé", max_size=3),
)
def test_ne_is_not_eq_and_not_inverts(attr: str, op: str, literal: str) -> None:
    f_eq = resolve(f'{attr} eq "{literal}"')
    assert matches(resolve(f'{attr} ne "{literal}"'), BABS, USER) is not matches(f_eq, BABS, USER)
    f_op = resolve(f'{attr} {op} "{literal}"')
    assert matches(Not(f_op), BABS, USER) is not matches(f_op, BABS, USER)
