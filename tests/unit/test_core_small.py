"""Unit tests of the small pure modules: credentials, paging, ETags,
tenant names, discovery."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scimdock.core import credentials, discovery
from scimdock.core.paging import page
from scimdock.core.representation import etag, etag_matches
from scimdock.core.schema import USER
from scimdock.core.tenants import check_name


def test_generated_credentials_round_trip_and_verify() -> None:
    new = credentials.generate()
    assert new.key_id.startswith("sk_") and ":" not in new.key_id
    assert len(new.secret) >= 43  # 32 random bytes, URL-safe Base64
    assert credentials.decode_token(new.token) == (new.key_id, new.secret)
    assert credentials.verify(new.secret, new.secret_hash)
    assert not credentials.verify(new.secret + "x", new.secret_hash)
    assert credentials.generate().secret != new.secret


def test_decode_token_tolerates_missing_padding_and_urlsafe_alphabet() -> None:
    raw = b"sk_1:s3cr>t?"
    std = base64.b64encode(raw).decode()
    assert credentials.decode_token(std.rstrip("=")) == ("sk_1", "s3cr>t?")
    assert credentials.decode_token(base64.urlsafe_b64encode(raw).decode()) == ("sk_1", "s3cr>t?")


@pytest.mark.parametrize("token", ["", "   ", "!!!", base64.b64encode(b"nocolon").decode(),
                                   base64.b64encode(b":secret").decode(),
                                   base64.b64encode(b"key:").decode(), "a" * 2000])
def test_decode_token_rejects_malformed(token: str) -> None:
    assert credentials.decode_token(token) is None


@given(st.text(max_size=200))
def test_decode_token_never_raises(token: str) -> None:
    credentials.decode_token(token)


@pytest.mark.parametrize("start,count,expected", [
    (None, None, (1, 1000)), (0, 10, (1, 10)), (-5, 10, (1, 10)), (3, -1, (3, 0)),
    (2, 0, (2, 0)), (1, 5000, (1, 1000)),
])
def test_paging_rules_of_rfc7644(start: int | None, count: int | None,
                                 expected: tuple[int, int]) -> None:
    p = page(start, count, 1000)
    assert (p.start_index, p.count) == expected
    assert p.offset == p.start_index - 1


def test_etags_are_weak_and_compared_weakly() -> None:
    assert etag(3) == 'W/"3"'
    assert etag_matches('W/"3"', 3)
    assert etag_matches('"3"', 3)
    assert etag_matches('W/"1", W/"3"', 3)
    assert etag_matches("*", 9)
    assert not etag_matches('W/"2"', 3)
    assert not etag_matches(None, 3)


@pytest.mark.parametrize("name", ["acme", "a", "acme-corp", "x1"])
def test_tenant_names_are_dns_labels(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "Acme", "-acme", "acme-", "a.b", "a b", "a" * 64, "acme\n"])
def test_bad_tenant_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        check_name(name)


def test_discovery_is_generated_from_the_schema_definition() -> None:
    schemas = discovery.schemas("http://h/scim/v1")
    assert schemas["totalResults"] == 3
    assert {s["name"] for s in schemas["Resources"]} == {"User", "EnterpriseUser", "Group"}
    core = discovery.schema(USER.schema.id.upper(), "http://h/scim/v1")
    assert core is not None
    names = [a["name"] for a in core["attributes"]]
    assert names == [a.name for a in USER.schema.attributes]
    emails = next(a for a in core["attributes"] if a["name"] == "emails")
    assert [s["name"] for s in emails["subAttributes"]] == ["value", "display", "type", "primary"]
    rt, group_rt = discovery.resource_types("http://h/scim/v1")["Resources"]
    assert rt["endpoint"] == "/Users" and rt["meta"]["location"].endswith("/ResourceTypes/User")
    assert group_rt["endpoint"] == "/Groups" and group_rt["schemaExtensions"] == []
    assert group_rt["schema"] == "urn:ietf:params:scim:schemas:core:2.0:Group"
