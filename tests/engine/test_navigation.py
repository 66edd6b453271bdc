"""Moving around a check: back, start over, stop, resume, and buttons that are out of date.

Buttons carry the version of the question they were drawn for. A press on an
older message, a double tap or a forged payload must change nothing and say so.
"""

from __future__ import annotations

import pytest

from bot.catalog.content import Content
from bot.engine import Choose, Stopped, Submit, Toggle
from tests.engine.chat import EngineChat
from tests.engine.test_flow import BEHIND_PATH

STALE = "That question has already moved on, so I did not change anything."
UNKNOWN = "That is not one of the answers to this question, so I did not change anything."
NOT_STARTED = "There is no knee check in progress. Send /start to begin one."


def assert_refused(chat: EngineChat, says: str) -> None:
    assert chat.last.kind == "notice"
    assert says in chat.last.text()
    assert not chat.turn.changed


# -- back ----------------------------------------------------------------------------


def test_back_on_the_first_question_says_it_is_the_first(chat: EngineChat) -> None:
    question = chat.start()
    assert "back" not in [c.value for c in question.choices]
    chat.back()
    assert_refused(chat, "This is already the first question.")


@pytest.mark.parametrize("index", range(1, len(BEHIND_PATH)), ids=BEHIND_PATH[1:])
def test_back_returns_to_the_previous_question_and_a_new_answer_takes(
    chat: EngineChat, index: int
) -> None:
    step, previous = BEHIND_PATH[index], BEHIND_PATH[index - 1]
    here = chat.walk(until=step, location="behind")
    first = next(q for q in chat.questions if q.step == previous)
    assert "back" in [c.value for c in here.choices]
    again = chat.press("Back")
    assert (again.kind, again.step) == ("question", previous)
    assert again.version > here.version
    # The same question with the same answers before it: the same count as the first time.
    assert again.progress == first.progress
    assert again.progress is not None
    assert again.progress.startswith(f"Question {index} of ")
    assert previous not in chat.saved.answers
    chat.walk(until=step, location="behind")
    assert chat.last.progress == here.progress


def test_back_after_a_multi_choice_keeps_the_ticks_to_change_or_send_again(
    chat: EngineChat,
) -> None:
    chat.walk(until="frequency", triggers=["exercise", "sitting"])
    again = chat.back()
    assert again.step == "triggers"
    assert [c.value for c in again.choices if c.selected] == ["exercise", "sitting"]
    chat.tick("sitting")
    assert [c.value for c in chat.last.choices if c.selected] == ["exercise"]
    assert chat.done().step == "frequency"
    assert chat.saved.answers["triggers"] == ("exercise",)


def test_going_back_past_behind_the_knee_drops_the_muscle_question(chat: EngineChat) -> None:
    chat.walk(until="triggers", location="behind", behind_muscle="hamstring")
    chat.back()
    assert chat.back().step == "location"
    assert chat.press("above").step == "triggers"
    assert chat.last.progress == "Question 4 of 14"
    assert "behind_muscle" not in chat.saved.answers
    assert chat.walk().kind == "result"
    assert "Stretch: back of the thigh (hamstring)" not in chat.last.text()


def test_back_after_the_result_reopens_the_last_question(chat: EngineChat) -> None:
    chat.walk(risks=["journey"], one_leg="both")
    reply = chat.back()
    assert reply.step == "one_leg"
    chat.back()
    assert [c.value for c in chat.last.choices if c.selected] == ["journey"]
    chat.tick("none")
    assert chat.done().tier == "self_care"


# -- restart -------------------------------------------------------------------------


def test_start_over_mid_check_clears_the_answers_and_asks_consent_again(
    chat: EngineChat,
) -> None:
    old = chat.walk(until="water")
    chat.restart()
    notice, question = chat.replies
    assert notice.text() == "Starting over. Your earlier answers are cleared."
    assert (question.step, question.progress) == ("consent", "Question 1 of 15")
    assert "back" not in [c.value for c in question.choices]
    assert chat.saved.answers == {}
    chat.press("low", on=old)
    assert_refused(chat, STALE)


def test_restart_after_stopping_begins_a_fresh_check(chat: EngineChat) -> None:
    chat.walk(until="location")
    chat.stop()
    assert chat.restart().step == "consent"
    assert chat.walk().kind == "result"


# -- stop ----------------------------------------------------------------------------


def test_stop_clears_the_answers_and_then_buttons_are_refused(chat: EngineChat) -> None:
    question = chat.walk(until="diet")
    reply = chat.stop()
    assert reply.text().startswith(
        "Stopped. I have cleared the answers of this check and stopped any reminders."
    )
    assert chat.turn.effects == (Stopped(),)
    assert chat.saved.status == "stopped"
    assert chat.saved.answers == {}
    assert chat.saved.step is None

    chat.press("balanced", on=question)
    assert_refused(chat, NOT_STARTED)
    chat.say("balanced")
    assert_refused(chat, NOT_STARTED)
    chat.back()
    assert_refused(chat, NOT_STARTED)
    chat.resume()
    assert_refused(chat, NOT_STARTED)


def test_stop_twice_or_before_starting_changes_nothing_but_still_cancels(
    chat: EngineChat,
) -> None:
    chat.stop()
    assert not chat.turn.changed
    assert chat.turn.effects == (Stopped(),)
    chat.start()
    chat.stop()
    assert chat.turn.changed
    chat.stop()
    assert not chat.turn.changed
    assert chat.turn.effects == (Stopped(),)


def test_start_after_stop_begins_again_without_a_resume_prompt(chat: EngineChat) -> None:
    chat.walk(until="triggers")
    chat.stop()
    reply = chat.start()
    assert (reply.kind, reply.step) == ("question", "consent")


# -- resume --------------------------------------------------------------------------


def test_start_during_a_check_offers_to_continue_or_start_over(chat: EngineChat) -> None:
    question = chat.walk(until="water")
    prompt = chat.start()
    assert prompt.kind == "prompt"
    assert "You have a knee check in progress (Question 6 of 14)" in prompt.text()
    assert [(c.value, c.label) for c in prompt.choices] == [
        ("resume", "Continue"),
        ("restart", "Start over"),
    ]
    assert not chat.turn.changed

    again = chat.press("Continue")
    assert (again.step, again.version) == (question.step, question.version)
    assert not chat.turn.changed
    assert chat.press("low").step == "diet"


def test_start_over_from_the_resume_prompt(chat: EngineChat) -> None:
    chat.walk(until="water")
    chat.start()
    chat.press("Start over")
    assert chat.replies[0].text().startswith("Starting over")
    assert chat.last.step == "consent"


def test_start_on_the_first_question_just_asks_it_again(chat: EngineChat) -> None:
    chat.start()
    reply = chat.start()
    assert (reply.kind, reply.step) == ("question", "consent")


def test_ticks_not_yet_sent_count_as_a_check_in_progress(chat: EngineChat) -> None:
    chat.walk(until="red_flags")
    chat.back()
    chat.start()
    assert chat.last.kind == "question"  # consent again: nothing answered, nothing ticked
    chat.press("agree")
    chat.tick("none")
    assert chat.start().kind == "prompt"
    assert chat.press("Continue").step == "red_flags"
    assert chat.ticked == ["none"]


def test_continue_without_a_check_says_there_is_none(chat: EngineChat) -> None:
    chat.resume()
    assert_refused(chat, NOT_STARTED)
    chat.walk()
    chat.resume()
    assert_refused(chat, NOT_STARTED)


# -- out-of-date and forged buttons --------------------------------------------------


def test_a_button_on_an_older_question_changes_nothing(chat: EngineChat) -> None:
    old = chat.walk(until="location")
    chat.press("behind")
    before = chat.session
    chat.press("above", on=old)
    assert_refused(chat, STALE)
    assert "Please answer the latest question." in chat.last.text()
    assert chat.session == before


def test_a_double_tap_answers_once(chat: EngineChat) -> None:
    question = chat.walk(until="frequency")
    first = chat.press("weekly")
    assert first.step == "water"
    chat.press("weekly", on=question)
    assert_refused(chat, STALE)
    assert chat.saved.step == "water"
    assert chat.press("ok").step == "diet"


def test_pressing_an_answer_after_the_result_changes_nothing(chat: EngineChat) -> None:
    question = chat.walk(until="conditions")
    chat.walk()
    chat.press("none", on=question)  # the last question's buttons, still on screen
    assert_refused(chat, STALE)


def test_an_unknown_option_is_refused(chat: EngineChat) -> None:
    question = chat.walk(until="location")
    chat.send(Choose("location", "knee_cap", question.version))
    assert_refused(chat, UNKNOWN)


def test_an_answer_for_another_question_is_refused(chat: EngineChat) -> None:
    question = chat.walk(until="location")
    chat.send(Choose("frequency", "rarely", question.version))
    assert_refused(chat, STALE)


def test_a_tick_on_a_single_choice_question_is_refused(chat: EngineChat) -> None:
    question = chat.walk(until="location")
    chat.send(Toggle("location", "above", question.version))
    assert_refused(chat, UNKNOWN)


def test_a_single_choice_on_a_multi_choice_question_is_refused(chat: EngineChat) -> None:
    question = chat.walk(until="triggers")
    chat.send(Choose("triggers", "exercise", question.version))
    assert_refused(chat, UNKNOWN)
    chat.send(Submit("triggers", question.version, ("exercise", "yoga")))
    assert_refused(chat, UNKNOWN)


def test_a_button_from_the_future_is_refused(chat: EngineChat) -> None:
    question = chat.walk(until="location")
    chat.send(Choose("location", "above", question.version + 1))
    assert_refused(chat, STALE)


def test_answers_before_starting_are_refused(chat: EngineChat) -> None:
    chat.send(Choose("consent", "agree", 1))
    assert_refused(chat, NOT_STARTED)
    assert chat.session is None


def test_the_resume_prompt_shows_the_question_that_waits(
    chat: EngineChat, content: Content
) -> None:
    """ "2" meant for the question would start over: the prompt shows which question waits."""
    chat.walk(until="water")
    prompt = chat.start()
    assert prompt.kind == "prompt"
    assert content.steps["water"].question in prompt.text()
    assert [c.label for c in prompt.choices] == ["Continue", "Start over"]
