"""Answering in your own words, and the multi-choice buttons.

People type "the back of my knee", "hamstrng" or "running and sitting at my
desk"; the engine maps that to the same answers the buttons give, and when it
cannot, it says so and (the second time) lists what it understands.
"""

from __future__ import annotations

import pytest

from bot.engine import Submit
from tests.engine.chat import EngineChat

NO_MATCH = "Sorry, I did not catch that."


@pytest.mark.parametrize(
    ("at_step", "typed", "answer", "next_step"),
    [
        ("consent", "yes", "agree", "red_flags"),
        ("consent", "Yeah, I agree", "agree", "red_flags"),
        ("location", "the back of my knee", "behind", "behind_muscle"),
        ("location", "hamstrng", "behind", "triggers"),
        ("location", "calff", "behind", "triggers"),
        ("location", "front of my thigh", "above", "triggers"),
        ("location", "it's twitching", "twitching", "triggers"),
        ("location", "I don't know", "not_sure", "triggers"),
        ("behind_muscle", "hamstrng", "hamstring", "triggers"),
        ("behind_muscle", "calff", "calf", "triggers"),
        ("behind_muscle", "the lower leg", "calf", "triggers"),
        ("frequency", "they wake me up at night", "at_night", "water"),
        ("frequency", "evry day", "most_days", "water"),
        ("water", "not enough", "low", "diet"),
        ("diet", "mostly takeaway", "poor", "activity"),
        ("activity", "I'm training for a marathon", "heavy", "sitting"),
        ("sitting", "I have a desk job", "over_8h", "age"),
        ("age", "I'm retired", "a65_plus", "conditions"),
    ],
)
def test_a_single_choice_answered_in_own_words(
    chat: EngineChat, at_step: str, typed: str, answer: str, next_step: str
) -> None:
    chat.walk(until=at_step, location="behind")
    reply = chat.say(typed)
    assert (reply.kind, reply.step) == ("question", next_step)
    assert chat.saved.answers[at_step] == answer
    answered = chat.replies[0]
    assert (answered.kind, answered.step) == ("answered", at_step)


def test_several_triggers_in_one_sentence_are_all_picked(chat: EngineChat) -> None:
    chat.walk(until="triggers")
    reply = chat.say("running and sitting at my desk")
    assert reply.step == "frequency"
    assert chat.saved.answers["triggers"] == ("exercise", "sitting")
    assert chat.replies[0].text() == (
        "Hard exercise without warm-up or cool-down, Sitting for a long time"
    )


def test_not_sure_gives_way_to_real_triggers_in_the_same_sentence(chat: EngineChat) -> None:
    chat.walk(until="triggers")
    chat.say("not sure, maybe dehydration after football")
    assert chat.saved.answers["triggers"] == ("exercise", "dehydration")


@pytest.mark.parametrize(("typed", "answer"), [("no", ("none",)), ("thyroid", ("thyroid",))])
def test_conditions_answered_in_own_words(
    chat: EngineChat, typed: str, answer: tuple[str, ...]
) -> None:
    chat.walk(until="conditions")
    assert chat.say(typed).step == "risks"
    assert chat.saved.answers["conditions"] == answer


def test_typing_done_sends_the_ticks(chat: EngineChat) -> None:
    chat.walk(until="triggers")
    chat.tick("injury")
    assert chat.say("done").step == "frequency"
    assert chat.saved.answers["triggers"] == ("injury",)


def test_text_that_matches_nothing_asks_again_then_lists_the_answers(chat: EngineChat) -> None:
    question = chat.walk(until="water")
    first = chat.say("purple monkey dishwasher")
    assert first.kind == "notice"
    assert first.text().startswith(NO_MATCH)
    assert chat.saved.step == "water"

    chat.say("banana")
    notice, again = chat.replies
    assert notice.text().startswith("I still could not match that to an answer.")
    for label in ('"Less than I should, often thirsty"', '"Plenty through the day"', '"Not sure"'):
        assert label in notice.text()
    assert "/back, /restart or /stop" in notice.text()
    assert (again.kind, again.step, again.version) == ("question", "water", question.version)

    assert chat.press("ok").step == "diet"
    assert chat.say("banana").text().startswith(NO_MATCH), "a new question starts afresh"


def test_two_answers_equally_likely_are_not_guessed(chat: EngineChat) -> None:
    chat.walk(until="location")
    assert chat.say("above and behind").text().startswith(NO_MATCH)


def test_typing_after_the_result_says_the_check_is_finished(chat: EngineChat) -> None:
    chat.walk()
    chat.say("above")
    assert "This knee check is finished." in chat.last.text()
    assert not chat.turn.changed


def test_typing_before_starting_says_there_is_no_check(chat: EngineChat) -> None:
    reply = chat.say("hello")
    assert reply.text() == "There is no knee check in progress. Send /start to begin one."


# -- multi-choice buttons ------------------------------------------------------------


def test_ticks_show_on_the_redrawn_question_and_untick_on_a_second_press(
    chat: EngineChat,
) -> None:
    question = chat.walk(until="triggers")
    chat.tick("exercise", "dehydration")
    assert chat.ticked == ["exercise", "dehydration"]
    assert chat.last.version == question.version, "ticking keeps the same buttons valid"
    chat.tick("exercise")
    assert chat.ticked == ["dehydration"]


def test_not_sure_clears_other_ticks_and_a_real_tick_clears_not_sure(chat: EngineChat) -> None:
    chat.walk(until="triggers")
    chat.tick("exercise", "sitting", "not_sure")
    assert chat.ticked == ["not_sure"]
    chat.tick("injury")
    assert chat.ticked == ["injury"]


def test_neither_and_not_sure_exclude_each_other(chat: EngineChat) -> None:
    chat.walk(until="conditions")
    chat.tick("nerve", "thyroid")
    assert chat.ticked == ["nerve", "thyroid"]
    chat.tick("none")
    assert chat.ticked == ["none"]
    chat.tick("not_sure")
    assert chat.ticked == ["not_sure"]


def test_none_of_these_clears_ticked_warning_signs(chat: EngineChat) -> None:
    chat.walk(until="red_flags")
    chat.tick("clot_leg", "none")
    assert chat.ticked == ["none"]
    assert chat.done().step == "location"


def test_done_with_nothing_ticked_asks_to_tick_something(chat: EngineChat) -> None:
    chat.walk(until="triggers")
    reply = chat.done()
    assert reply.kind == "notice"
    assert "Please tick at least one answer" in reply.text()
    assert not chat.turn.changed
    chat.tick("sitting")
    assert chat.done().step == "frequency"


def test_done_with_an_explicit_list_replaces_the_ticks(chat: EngineChat) -> None:
    question = chat.walk(until="triggers")
    chat.tick("injury")
    chat.send(Submit("triggers", question.version, ("sitting", "exercise", "sitting")))
    assert chat.saved.answers["triggers"] == ("exercise", "sitting")
