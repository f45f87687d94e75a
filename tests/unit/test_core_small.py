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
    new = credentials.generate(credentials.SYSTEM_RANDOM)
    assert new.key_id.startswith("sk_") and ":" not in new.key_id
    assert len(new.secret) == 43  # 32 random bytes, URL-safe Base64 without padding
    assert credentials.decode_token(new.token) == (new.key_id, new.secret)
    assert credentials.verify(new.secret, new.secret_hash)
    assert not credentials.verify(new.secret + "x", new.secret_hash)
    assert credentials.generate(credentials.SYSTEM_RANDOM).secret != new.secret


def test_credentials_are_drawn_from_the_randomness_they_are_given() -> None:
    drawn: list[int] = []

    def counting(n: int) -> bytes:
        drawn.append(n)
        return bytes(range(n))

    new = credentials.generate(counting)
    assert drawn == [8, 32]  # 64 bits of key id, 256 bits of secret
    assert new.key_id == "sk_0001020304050607"
    assert new.secret == base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
    assert new.secret == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    assert new.secret_hash == credentials.hash_secret(new.secret)
    assert credentials.generate(counting) == new  # same bytes, same credential
    assert credentials.generate_admin(counting, tenant_admin=True).key_id == "sat_0001020304050607"
    assert credentials.generate_admin(counting, tenant_admin=False).key_id.startswith("sop_")


def test_future_expiry_is_judged_against_the_instant_given() -> None:
    now = "2025-01-31T12:00:00.000000Z"
    assert (
        credentials.future_expiry("2025-01-31T12:00:00.000001Z", now)
        == "2025-01-31T12:00:00.000001Z"
    )
    assert (
        credentials.future_expiry("2025-01-31T14:00:01+02:00", now) == "2025-01-31T12:00:01.000000Z"
    )
    for past in ("2025-01-31T12:00:00Z", "2001-01-01"):
        with pytest.raises(ValueError, match="future"):
            credentials.future_expiry(past, now)
    with pytest.raises(ValueError, match="ISO 8601"):
        credentials.future_expiry("tomorrow", now)


def test_key_status_at_the_instant_given() -> None:
    at = "2025-01-31T12:00:00.000000Z"
    assert credentials.key_status(None, None, at) == "active"
    assert credentials.key_status(None, "2025-01-31T12:00:00.000001Z", at) == "active"
    assert credentials.key_status(None, at, at) == "expired"  # expired from that instant on
    assert credentials.key_status("2025-01-01T00:00:00.000000Z", None, at) == "revoked"


def test_decode_token_tolerates_missing_padding_and_urlsafe_alphabet() -> None:
    raw = b"sk_1:s3cr>t?"
    std = base64.b64encode(raw).decode()
    assert credentials.decode_token(std.rstrip("=")) == ("sk_1", "s3cr>t?")
    assert credentials.decode_token(base64.urlsafe_b64encode(raw).decode()) == ("sk_1", "s3cr>t?")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "   ",
        "!!!",
        base64.b64encode(b"nocolon").decode(),
        base64.b64encode(b":secret").decode(),
        base64.b64encode(b"key:").decode(),
        "a" * 2000,
    ],
)
def test_decode_token_rejects_malformed(token: str) -> None:
    assert credentials.decode_token(token) is None


@given(st.text(max_size=200))
def test_decode_token_never_raises(token: str) -> None:
    credentials.decode_token(token)


@pytest.mark.parametrize(
    "start,count,expected",
    [
        (None, None, (1, 1000)),
        (0, 10, (1, 10)),
        (-5, 10, (1, 10)),
        (3, -1, (3, 0)),
        (2, 0, (2, 0)),
        (1, 5000, (1, 1000)),
    ],
)
def test_paging_rules_of_rfc7644(
    start: int | None, count: int | None, expected: tuple[int, int]
) -> None:
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
