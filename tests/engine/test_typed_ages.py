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
