"""The check-in a reminder starts: warning signs first, then how the knee is doing.

flows/checkin.yaml asks the same warning signs as the knee check, then better /
same / worse, how many spasms and how bad. Worse, or two check-ins in a row that
are not better, tells the user to see a professional; better offers to keep or
stop the reminders. Each finished check-in is a diary entry (a Finished effect).
"""

from __future__ import annotations

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.engine import Finished, Reply, Start
from tests.engine.chat import EngineChat
from tests.engine.test_follow_up import FactChat
from tests.engine.texts import self_care_in

SEE_A_PROFESSIONAL = "please see a doctor or physiotherapist"


def checkin(chat: EngineChat) -> Reply:
    return chat.start(flow="checkin")


def walk_checkin(chat: EngineChat, until: str | None = None, **answers: str) -> Reply:
    """Start a check-in and answer it (typical answers unless given) to ``until`` or its end."""
    checkin(chat)
    return chat.walk(until, **answers)


def finished(chat: EngineChat) -> Finished:
    (effect,) = [e for e in chat.turn.effects if isinstance(e, Finished)]
    return effect


def test_a_check_in_asks_the_warning_signs_first(chat: EngineChat, content: Content) -> None:
    question = checkin(chat)
    assert (question.kind, question.step, question.multi) == ("question", "ck_flags", True)
    assert question.progress == "Question 1 of 4"
    assert chat.saved.flow == "checkin"


def test_the_check_in_warning_signs_are_the_knee_checks(catalog: Catalog) -> None:
    knee = catalog.flow("kneecheck").step("red_flags")
    check = catalog.flow("checkin").step("ck_flags")
    assert knee is not None
    assert check is not None
    assert knee.options == check.options
    content = catalog.content("en")
    assert content.steps["ck_flags"].options == content.steps["red_flags"].options


@pytest.mark.parametrize(
    ("flag", "tier"), [("clot_breathless", "emergency"), ("clot_leg", "urgent")]
)
def test_a_warning_sign_at_a_check_in_gives_urgent_advice_only(
    chat: EngineChat, content: Content, flag: str, tier: str
) -> None:
    checkin(chat)
    chat.tick(flag)
    reply = chat.done()
    assert (reply.kind, reply.tier) == ("urgent", tier)
    assert content.red_flags[flag].advice in reply.text()
    assert self_care_in(reply.text(), content) == []
    assert reply.choices == ()
    effect = finished(chat)
    assert (effect.outcome, effect.tier, effect.flow) == ("ck_urgent", tier, "checkin")


def test_a_warning_sign_typed_mid_check_in_gives_urgent_advice(
    chat: EngineChat, content: Content
) -> None:
    walk_checkin(chat, until="ck_spasms", ck_trend="better")
    reply = chat.say("my calf is swollen")
    assert reply.kind == "urgent"
    assert self_care_in(reply.text(), content) == []
    assert finished(chat).outcome == "ck_urgent"


def test_then_trend_spasms_and_severity_from_0_to_10(chat: EngineChat) -> None:
    checkin(chat)
    assert chat.answer(["none"]).step == "ck_trend"
    assert [c.value for c in chat.last.choices] == ["better", "same", "worse", "back"]
    assert chat.press("same").step == "ck_spasms"
    severity = chat.press("few")
    assert severity.step == "ck_severity"
    labels = [c.label for c in severity.choices if c.action == "choose"]
    assert labels == [str(n) for n in range(11)]


def test_worse_says_to_see_a_doctor_or_physiotherapist(chat: EngineChat, content: Content) -> None:
    reply = walk_checkin(chat, ck_trend="worse")
    assert SEE_A_PROFESSIONAL in reply.text()
    assert content.outcomes["ck_worse"].text in reply.text()
    assert finished(chat).outcome == "ck_worse"


@pytest.mark.parametrize("last", ["same", "worse"])
def test_two_check_ins_in_a_row_not_better_say_to_see_a_professional(
    catalog: Catalog, last: str
) -> None:
    chat = FactChat(catalog, {"last_trend": last})
    reply = walk_checkin(chat, ck_trend="same")
    assert SEE_A_PROFESSIONAL in reply.text()
    assert finished(chat).outcome == "ck_worse"


@pytest.mark.parametrize("last", [None, "better", "unknown"])
def test_the_same_after_no_or_a_better_check_in_is_just_recorded(
    catalog: Catalog, content: Content, last: str | None
) -> None:
    chat = FactChat(catalog, {} if last is None else {"last_trend": last})
    reply = walk_checkin(chat, ck_trend="same")
    assert content.outcomes["ck_same"].text in reply.text()
    assert finished(chat).outcome == "ck_same"
    assert reply.choices == ()


def test_better_offers_to_keep_or_stop_the_reminders(chat: EngineChat, content: Content) -> None:
    reply = walk_checkin(chat, ck_trend="better")
    assert content.outcomes["ck_better"].text in reply.text()
    assert [(c.action, c.value, c.label) for c in reply.choices] == [
        ("reminder", "keep", content.ui["reminders_keep"]),
        ("reminder", "stop", content.ui["reminders_stop"]),
    ]
    assert finished(chat).outcome == "ck_better"


def test_a_finished_check_in_is_a_diary_entry(chat: EngineChat) -> None:
    walk_checkin(chat, ck_trend="worse", ck_spasms="many", ck_severity="s8")
    effect = finished(chat)
    assert (effect.kind, effect.flow, effect.tier) == ("checkin", "checkin", None)
    assert effect.answer("ck_trend") == "worse"
    assert effect.answer("ck_spasms") == "many"
    assert effect.answer("ck_severity") == "s8"
    assert chat.saved.status == "done"


# -- moving around, and typing ---------------------------------------------------------


def test_back_within_a_check_in_returns_to_the_previous_question(chat: EngineChat) -> None:
    walk_checkin(chat, until="ck_severity", ck_trend="worse")
    assert chat.back().step == "ck_spasms"
    assert chat.back().step == "ck_trend"
    assert "ck_trend" not in chat.saved.answers
    chat.press("better")
    chat.press("none")
    chat.press("s1")
    assert finished(chat).outcome == "ck_better"


def test_stop_within_a_check_in_clears_it(chat: EngineChat) -> None:
    walk_checkin(chat, until="ck_spasms")
    reply = chat.stop()
    assert reply.kind == "notice"
    assert chat.saved.status == "stopped"
    assert chat.saved.answers == {}


def test_typed_answers_work_within_a_check_in(chat: EngineChat) -> None:
    checkin(chat)
    assert chat.say("none of these").step == "ck_trend"
    assert chat.say("a bit better").step == "ck_spasms"
    assert chat.say("a couple").step == "ck_severity"
    chat.say("7")
    effect = finished(chat)
    assert (effect.outcome, effect.answer("ck_severity")) == ("ck_better", "s7")
    assert effect.answer("ck_spasms") == "few"


# -- one conversation at a time ----------------------------------------------------------


def test_a_check_in_started_explicitly_replaces_a_knee_check_in_progress(
    chat: EngineChat,
) -> None:
    chat.walk(until="location")
    question = checkin(chat)
    assert question.step == "ck_flags"
    assert chat.saved.flow == "checkin"
    assert chat.saved.answers == {}


def test_a_plain_start_during_a_check_in_offers_to_resume_it(chat: EngineChat) -> None:
    walk_checkin(chat, until="ck_spasms")
    prompt = chat.send(Start())
    assert prompt.kind == "prompt"
    assert [c.value for c in prompt.choices] == ["resume", "restart"]
    assert not chat.turn.changed
    assert chat.saved.flow == "checkin"
    assert chat.press("resume").step == "ck_spasms"


def test_the_resume_prompt_counts_the_check_in_questions(chat: EngineChat) -> None:
    walk_checkin(chat, until="ck_spasms")
    prompt = chat.send(Start())
    assert "Question 3 of 4" in prompt.text()
