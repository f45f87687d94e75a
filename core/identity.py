"""A User's ``userName``: one Unicode form, and text a person can read.

RFC 7643 §4.1.1 makes ``userName`` the unique identifier a user types
("case insensitive" per its schema, RFC 7643 §8.7.1) and leaves the
comparison of non-ASCII text to the service provider. Two names that are
canonically equivalent Unicode (Unicode Standard Annex #15: ``café`` with
U+00E9, and ``cafe`` + U+0301 COMBINING ACUTE ACCENT) look the same to
every person and every identity provider's user interface, so they must
be one user:

* on every write the stored ``userName`` is put in Normalization Form C,
  as the PRECIS ``UsernameCasePreserved`` profile does (RFC 8265 §3.4,
  which replaced RFC 7613), so a name is returned as it was sent unless
  its code points had to be composed;
* a ``userName`` that is empty after trimming white space, or holds a
  control character (Unicode general category ``Cc``: ``\\n``, ``\\t``,
  NUL, ...), is refused with 400 ``invalidValue`` (RFC 7644 §3.12); no
  identity provider sends one, and they break logs and user interfaces;
* case-insensitive comparisons (uniqueness, ``userName eq``, every
  ``caseExact: false`` string of a filter) use :func:`fold`, Unicode's
  canonical caseless match (The Unicode Standard, §3.13, D145), so either
  form of a name finds the user.

Nothing else is refused: width, compatibility characters and spaces
inside a name are kept as sent (what identity providers really send).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from scimdock.core.errors import InvalidValue
from scimdock.core.schema import USER_SCHEMA, ResourceType


def fold(text: str) -> str:
    """The canonical caseless form of ``text`` (Unicode §3.13, D145:
    ``NFD(casefold(NFD(text)))``), composed again to NFC so it stays as
    short as the stored text; ASCII folds with ``str.casefold`` alone."""
    if text.isascii():
        return text.casefold()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def user_name(value: str) -> str:
    """``value`` as stored: NFC, or 400 ``invalidValue`` when it is blank
    or holds a control character (RFC 8265 §3.4; RFC 7644 §3.12)."""
    if not value.strip():
        raise InvalidValue("'userName' must not be empty")
    if value.isascii():
        if not value.isprintable():  # in ASCII: exactly the Cc characters
            raise InvalidValue("'userName' must not hold control characters")
        return value
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidValue("'userName' must not hold control characters")
    return unicodedata.normalize("NFC", value)


def normalize_identity(doc: dict[str, Any], rt: ResourceType) -> None:
    """Put a User doc's ``userName`` in its stored form, in place (a doc
    of another resource type is left alone)."""
    if rt.schema.id != USER_SCHEMA.id:  # by id: a tenant's User type is another object
        return
    value = doc.get("userName")
    if isinstance(value, str):
        doc["userName"] = user_name(value)
