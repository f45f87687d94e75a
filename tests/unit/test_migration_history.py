"""A released migration is history (store/migrations.py: "never edit a
released migration: append a new one"): the text each step runs, on SQLite
and on PostgreSQL, is the one every existing database already ran. However
the text is put together in the source, its bytes must stay the same, so
an old database and a new one reach the same schema."""

from __future__ import annotations

import hashlib

from scimdock.store.migrations import MIGRATIONS

#: SHA-256 of each released step's (SQLite, PostgreSQL) text, in order.
RELEASED = [
    (
        "e343fc53bdbb901755a389856f5e5777c7abe16bca6708e8eb44614b75c53762",
        "895b112af39c0befe6bbdca990cdfb9ef9e4b5e76f064162b5dcfdfdb6e9aa84",
    ),
    (
        "038fffdcf7220be0bd692a00213c5ea045c6da46d319c73a76360084e08ee0c3",
        "f02883e600aa6a183b9457297dc070b93da6a25b5f113069028bf480e27aebb9",
    ),
    (
        "ae744cdfd4fdf23742019dfe9d665d17fe743eeb0ab2050702183d27c5bc2edc",
        "6137d1fd8a2739a86220166ac67a0f7e50fe3b94a3ef67018376adb825be33fb",
    ),
    (
        "2406cbe1223d8cd6dcf379ac9f5e26916a155f7fc4cd166210aa33603fd00a43",
        "254d7163b6824191515819c611f0761231dcf2aef87ed7b1b0e0dbd968ad8b9e",
    ),
    (
        "4f77f8048d13d7bf187da184737d1a306633134a3cc16b3757e2975c599d551a",
        "71ff968acec8472e6323bec83cdb09197a702e2427f8a90a78ca2a322debd2bf",
    ),
    (
        "3de46b642e5eb6cbd66ddffba1b3cc8d6ca25c05f9b050da2a79cd6e4793a936",
        "910f696642e6e96e023cb285f1eeaab2f61b7d19baf94be00907ee6f2bcc8811",
    ),
    (
        "5e75117c995608e3d70633d28f4eceaa49198536369ec4831a955bfbfe1dca11",
        "f793089ba5bd10c4f2c2df4e6cf698a2f9514c2185d243a10f3ebfbdc2da6313",
    ),
    (
        "f2e29ac41edfe9fe354d373155a8eb86627da4caa8f148e40e6985de100e6810",
        "aad423a9ae9a441ed0e02f961ad5639b26965c157769ec070e6d8fb81becd1a1",
    ),
    (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "09b6d55602952dca54458b0cb1dd2fbd96c42e62483a4cfa2256cc56d34dba83",
    ),
    (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "4e3565b270019903de05bffed5e88b6e3da49b9188376aad3c167d14deaa3440",
    ),
]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_every_released_step_runs_the_text_it_was_released_with() -> None:
    found = [(_digest(m.sqlite), _digest(m.postgresql)) for m in MIGRATIONS]
    assert found[: len(RELEASED)] == RELEASED
