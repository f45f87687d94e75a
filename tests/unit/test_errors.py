"""The typed SCIM errors of core.errors: one class per ``scimType`` of RFC
7644 §3.12 (Table 9) and RFC 9865 §2.1, one per status scimdock answers
without a ``scimType``, each with its status and ``scimType`` on the class,
and the body each one answers."""

from __future__ import annotations

import pytest

from scimdock.core import errors
from scimdock.core.errors import (
    ERROR_SCHEMA,
    SCIM_TYPES,
    Conflict,
    ExpiredCursor,
    Forbidden,
    InternalServerError,
    InvalidCursor,
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    InvalidVers,
    MethodNotAllowed,
    Mutability,
    NoTarget,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ScimError,
    Sensitive,
    ServiceUnavailable,
    TooMany,
    Unauthorized,
    Unimplemented,
    Uniqueness,
    UnsupportedMediaType,
    bad_request,
    error_for,
)

#: Each class with the status and ``scimType`` it must answer: Table 9 of
#: RFC 7644 §3.12 and Table 3 of RFC 9865 §2.1 are 400s, but a taken unique
#: value is a 409 (RFC 7644 §3.3).
WITH_SCIM_TYPE: list[tuple[type[ScimError], int, str]] = [
    (InvalidFilter, 400, "invalidFilter"),
    (TooMany, 400, "tooMany"),
    (Uniqueness, 409, "uniqueness"),
    (Mutability, 400, "mutability"),
    (InvalidSyntax, 400, "invalidSyntax"),
    (InvalidPath, 400, "invalidPath"),
    (NoTarget, 400, "noTarget"),
    (InvalidValue, 400, "invalidValue"),
    (InvalidVers, 400, "invalidVers"),
    (Sensitive, 400, "sensitive"),
    (InvalidCursor, 400, "invalidCursor"),
    (ExpiredCursor, 400, "expiredCursor"),
]
STATUS_ONLY: list[tuple[type[ScimError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (InternalServerError, 500),
    (Unimplemented, 501),
    (ServiceUnavailable, 503),
]
EVERY = [(kind, status, scim_type) for kind, status, scim_type in WITH_SCIM_TYPE] + [
    (kind, status, None) for kind, status in STATUS_ONLY
]


def test_one_class_per_scim_type_of_both_rfcs() -> None:
    assert sorted(scim_type for _, _, scim_type in WITH_SCIM_TYPE) == sorted(SCIM_TYPES)


@pytest.mark.parametrize(("kind", "status", "scim_type"), EVERY)
def test_status_and_scim_type_are_on_the_class(
    kind: type[ScimError], status: int, scim_type: str | None
) -> None:
    assert kind.status == status
    assert kind.scim_type == scim_type
    assert issubclass(kind, ScimError) and issubclass(kind, Exception)


@pytest.mark.parametrize(("kind", "status", "scim_type"), EVERY)
def test_built_from_the_detail_alone(
    kind: type[ScimError], status: int, scim_type: str | None
) -> None:
    error = kind("what went wrong")  # type: ignore[call-arg]
    assert (error.status, error.detail, error.scim_type) == (status, "what went wrong", scim_type)
    assert str(error) == "what went wrong"
    assert error.args == ("what went wrong",)


@pytest.mark.parametrize(("kind", "status", "scim_type"), WITH_SCIM_TYPE)
def test_body_with_a_scim_type(kind: type[ScimError], status: int, scim_type: str) -> None:
    assert kind("detail text").to_dict() == {  # type: ignore[call-arg]
        "schemas": [ERROR_SCHEMA],
        "status": str(status),
        "detail": "detail text",
        "scimType": scim_type,
    }


@pytest.mark.parametrize(("kind", "status"), STATUS_ONLY)
def test_body_without_a_scim_type(kind: type[ScimError], status: int) -> None:
    assert kind("detail text").to_dict() == {  # type: ignore[call-arg]
        "schemas": [ERROR_SCHEMA],
        "status": str(status),
        "detail": "detail text",
    }


@pytest.mark.parametrize(("kind", "status", "scim_type"), EVERY)
def test_the_same_answer_as_the_plain_error_it_replaces(
    kind: type[ScimError], status: int, scim_type: str | None
) -> None:
    typed = kind("same words")  # type: ignore[call-arg]
    plain = ScimError(status, "same words", scim_type)
    assert typed.to_dict() == plain.to_dict()
    assert typed == plain and plain == typed
    assert typed != ScimError(status, "other words", scim_type)


@pytest.mark.parametrize(
    ("kind", "scim_type"),
    [(kind, scim_type) for kind, status, scim_type in WITH_SCIM_TYPE if status == 400],
)
def test_bad_request_gives_the_class_of_its_scim_type(
    kind: type[ScimError], scim_type: str
) -> None:
    error = bad_request(scim_type, "words")
    assert type(error) is kind
    assert (error.status, error.detail, error.scim_type) == (400, "words", scim_type)


def test_bad_request_uniqueness_stays_a_plain_400() -> None:
    """No caller asks for it; a 400 it promised, a 400 it gives, and
    :class:`Uniqueness` is the 409 RFC 7644 §3.3 answers."""
    error = bad_request("uniqueness", "taken")
    assert type(error) is ScimError
    assert error.to_dict()["status"] == "400" and error.scim_type == "uniqueness"


def test_bad_request_refuses_an_unknown_scim_type() -> None:
    with pytest.raises(ValueError, match="unknown scimType"):
        bad_request("notAType", "words")


@pytest.mark.parametrize(("kind", "status", "scim_type"), EVERY)
def test_error_for_finds_every_class(
    kind: type[ScimError], status: int, scim_type: str | None
) -> None:
    error = error_for(status, "words", scim_type)
    assert type(error) is kind and error.detail == "words"


def test_error_for_any_other_answer_is_a_plain_error() -> None:
    for status, scim_type in ((418, None), (429, None), (404, "invalidValue"), (400, None)):
        error = error_for(status, "words", scim_type)
        assert type(error) is ScimError
        assert (error.status, error.scim_type) == (status, scim_type)


def test_every_typed_class_of_the_module_is_listed_here() -> None:
    typed = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, ScimError) and value is not ScimError
    }
    typed = {kind for kind in typed if not kind.__name__.startswith("_")}
    assert typed == {kind for kind, _, _ in EVERY}


def test_the_older_helpers_give_the_typed_errors() -> None:
    assert type(errors.not_found("gone")) is NotFound
    assert errors.not_found().detail == "Resource not found"
    taken = errors.conflict("taken")
    assert type(taken) is Uniqueness and taken.status == 409


def test_the_edge_catches_them_all_as_scim_errors() -> None:
    with pytest.raises(ScimError) as caught:
        raise InvalidFilter("Invalid filter: empty")
    assert caught.value.to_dict()["scimType"] == "invalidFilter"


def test_an_error_is_no_dictionary_key() -> None:
    """Equal by value and mutable, as the dataclass it was: unhashable."""
    with pytest.raises(TypeError):
        hash(NotFound("gone"))
