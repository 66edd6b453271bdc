"""Numbers typed at the age question: the answer is the first number, not any number."""

from __future__ import annotations

from bot.catalog.catalog import Catalog
from bot.engine import Session, Text, advance

NOW = 1_780_000_000


def at_age(catalog: Catalog, text: str) -> Session | None:
    turn = advance(
        catalog, Session(flow="kneecheck", step="age", shown=1, version=1), Text(text), now=NOW
    )
    return turn.session


def test_a_measurement_after_the_age_is_not_an_age(catalog: Catalog) -> None:
    session = at_age(catalog, "75+. my left calf is 3cm bigger than the right")
    assert session is not None
    assert session.outcome != "minor"


def test_a_bare_young_age_or_an_age_said_as_one_is_still_a_minor(catalog: Catalog) -> None:
    for text in ("13", "I'm 15", "2 kids at home and I'm 16"):
        session = at_age(catalog, text)
        assert session is not None
        assert session.outcome == "minor", text


def test_a_very_long_message_is_answered_and_the_user_told_only_its_start_was_read(
    catalog: Catalog,
) -> None:
    content = catalog.content(None)
    start = Session(flow="kneecheck", step="location", shown=1, version=1)
    long = "behind the knee " + "and so on " * 1_000
    turn = advance(catalog, start, Text(long), now=NOW)
    assert turn.session is not None
    assert turn.session.answers.get("location") == "behind"
    assert turn.replies[-1].text() == content.ui["text_cut"]
    short = advance(catalog, start, Text("behind the knee"), now=NOW)
    assert all(r.text() != content.ui["text_cut"] for r in short.replies)
