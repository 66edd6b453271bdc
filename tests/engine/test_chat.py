"""The test driver itself: it presses what a user could press and keeps what the shell keeps."""

from __future__ import annotations

import pytest

from tests.engine.chat import T0, EngineChat, NoSuchChoice


def test_a_button_is_found_by_option_id_or_by_its_exact_label(chat: EngineChat) -> None:
    chat.start()
    assert chat.press("Yes, I am 18+ and understand").step == "red_flags"
    assert chat.press("None of these").step == "red_flags"
    assert chat.press("Done").step == "location"


def test_pressing_a_button_that_is_not_there_names_the_ones_that_are(chat: EngineChat) -> None:
    chat.start()
    with pytest.raises(NoSuchChoice, match=r"no button 'maybe'.*agree \('Yes, I am 18\+"):
        chat.press("maybe")


def test_nothing_to_press_before_the_first_message(chat: EngineChat) -> None:
    with pytest.raises(NoSuchChoice):
        chat.press("agree")


def test_the_session_is_kept_only_when_the_turn_changed_it(chat: EngineChat) -> None:
    location = chat.walk(until="location")
    chat.back()
    kept = chat.session
    chat.press("above", on=location)  # an older message: refused
    assert not chat.turn.changed
    assert chat.session is kept
    assert chat.saved.step == "red_flags"


def test_the_clock_moves_one_second_per_event_and_never_sleeps(chat: EngineChat) -> None:
    chat.start()
    chat.press("agree")
    assert chat.now == T0 + 2
    assert len(chat.turns) == 2
    assert [r.kind for r in chat.transcript] == ["question", "answered", "question"]


def test_walk_answers_typically_unless_told_otherwise(chat: EngineChat) -> None:
    reply = chat.walk(location="behind", behind_muscle="hamstring", conditions=["nerve"])
    assert reply.kind == "result"
    assert chat.saved.answers["behind_muscle"] == "hamstring"
    assert chat.saved.answers["conditions"] == ("nerve",)
    assert chat.saved.answers["diet"] == "balanced"
