"""What the engine does with what a message says: several answers, values, ages, hints."""

from __future__ import annotations

from bot.catalog.content import Content
from tests.engine.chat import EngineChat


def test_several_answers_in_one_message_are_noted_and_not_asked_again(chat: EngineChat) -> None:
    chat.walk(until="location")
    reply = chat.say("cramps behind my knee at night after running, I'm 67")
    kinds = [r.kind for r in chat.replies]
    assert kinds == ["answered", "notice", "question"]
    assert "I also noted" in chat.replies[1].text()
    assert reply.step == "behind_muscle"
    assert reply.progress == "Question 7 of 15"  # noted answers count as done, once
    saved = chat.saved.answers
    assert (saved["location"], saved["frequency"], saved["age"]) == (
        "behind",
        "at_night",
        "a65_plus",
    )
    assert saved["triggers"] == ("exercise",)
    chat.walk()
    asked = {r.step for r in chat.questions}
    assert not asked & {"triggers", "frequency", "age"}


def test_words_for_a_question_not_on_the_path_are_not_kept(chat: EngineChat) -> None:
    chat.walk(until="location")
    chat.say("above the knee, in the calf")  # the calf question is only asked behind the knee
    assert "behind_muscle" not in chat.saved.answers


def test_typed_values_mean_their_value(chat: EngineChat) -> None:
    chat.walk(until="frequency")
    assert chat.say("twice a week").step == "water"
    assert chat.saved.answers["frequency"] == "weekly"
    chat.walk(until="sitting")
    assert chat.say("about 9 hours").step == "age"
    assert chat.saved.answers["sitting"] == "over_8h"
    assert chat.say("42").step == "conditions"
    assert chat.saved.answers["age"] == "a40_54"


def test_an_age_under_18_ends_the_check_kindly_and_is_never_consent(
    chat: EngineChat, content: Content
) -> None:
    chat.start()
    reply = chat.say("yes, I'm 15")
    assert reply.text() == content.outcomes["minor"].text
    assert chat.saved.outcome == "minor"
    assert "consent" not in chat.saved.answers


def test_a_hinted_sign_is_asked_about_and_yes_gives_its_advice(
    chat: EngineChat, content: Content
) -> None:
    chat.walk(until="location")
    question = chat.say("my calf is sore and a bit puffy")
    assert question.step == "confirm"
    assert question.text() == content.ui["confirm_clot_leg"]
    assert chat.saved.answers["location"] == "behind"  # what else it said is kept
    reply = chat.press("yes")
    assert reply.kind == "urgent"
    assert content.red_flags["clot_leg"].advice in reply.text()


def test_no_to_a_hinted_sign_goes_on_with_the_next_question(chat: EngineChat) -> None:
    chat.walk(until="location")
    chat.say("it is a bit puffy")
    assert chat.say("no").step == "location"  # typed no, and nothing else was answered
    chat.say("behind, my calf is a bit puffy")
    assert chat.press("no").step == "triggers"  # the calf was noted on the way


def test_a_resumed_conversation_asks_the_safety_question_first(chat: EngineChat) -> None:
    chat.walk(until="location")
    chat.say("it is a bit puffy")
    assert chat.resume().step == "confirm"
