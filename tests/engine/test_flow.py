"""Every step and every branch of the real kneecheck flow, walked as a user would.

The expected next question for each answer is written out here from
flows/kneecheck.yaml on purpose (not computed from the flow), so that a change
to the flow that moves a question shows up as a failing test to review.
"""

from __future__ import annotations

import re

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.flow import Flow
from bot.engine import Finished
from tests.engine.chat import TYPICAL, EngineChat

RESULT = "result"
URGENT = "urgent"
DECLINED = "declined"

SINGLE_NEXT: dict[str, dict[str, str]] = {
    "consent": {"agree": "red_flags", "decline": DECLINED},
    "location": {
        "above": "triggers",
        "behind": "behind_muscle",
        "around": "triggers",
        "twitching": "triggers",
        "not_sure": "triggers",
    },
    "behind_muscle": {"hamstring": "triggers", "calf": "triggers", "not_sure": "triggers"},
    "frequency": {"rarely": "water", "weekly": "water", "most_days": "water", "at_night": "water"},
    "water": {"low": "diet", "ok": "diet", "not_sure": "diet"},
    "diet": {"balanced": "activity", "mixed": "activity", "poor": "activity"},
    "activity": {"light": "sitting", "moderate": "sitting", "heavy": "sitting"},
    "sitting": {"under_4h": "age", "h4_8": "age", "over_8h": "age"},
    "age": {
        "a18_39": "conditions",
        "a40_54": "conditions",
        "a55_64": "conditions",
        "a65_plus": "conditions",
    },
    # Reached with a clot risk ticked (pregnant), above the knee: pain in one leg, or maybe
    # one, is a same-day clot check.
    "one_leg": {"one": URGENT, "both": RESULT, "not_sure": URGENT},
    # Reached with the calf behind the knee: pain on walking is a GP visit (circulation).
    "walking": {"yes": RESULT, "no": RESULT, "not_sure": RESULT},
}
"""Single-choice step -> option -> the next question (or how the check ends)."""

MULTI_NEXT: dict[str, dict[str, str]] = {
    "red_flags": {
        "clot_breathless": URGENT,
        "cold_pale_leg": URGENT,
        "clot_leg": URGENT,
        "cant_bear_weight": URGENT,
        "hot_swollen_fever": URGENT,
        "numb_weak": URGENT,
        "dark_urine": URGENT,
        "long_cramp": URGENT,
        "cauda_equina": URGENT,
        "compartment": URGENT,
        "knee_locks": URGENT,
        "none": "location",
    },
    "triggers": {
        "exercise": "frequency",
        "sitting": "frequency",
        "injury": "frequency",
        "dehydration": "frequency",
        "not_sure": "frequency",
    },
    "conditions": {
        "nerve": "risks",
        "thyroid": "risks",
        "medicines": "risks",
        "diabetes": "risks",
        "smoker": "risks",
        "none": "risks",
        "not_sure": "risks",
    },
    # Above the knee (the typical walk): a clot risk asks about one leg; none ends the check.
    "risks": {
        "pregnant": "one_leg",
        "clot_before": "one_leg",
        "journey": "one_leg",
        "surgery": "one_leg",
        "cancer": "one_leg",
        "none": RESULT,
    },
}
"""Multi-choice step -> the one option ticked before Done -> what comes next."""

BEHIND_PATH = (
    "consent", "red_flags", "location", "behind_muscle", "triggers", "frequency",
    "water", "diet", "activity", "sitting", "age", "conditions", "risks", "walking",
)  # fmt: skip
ABOVE_PATH = tuple(s for s in BEHIND_PATH if s not in ("behind_muscle", "walking"))


def _cases(table: dict[str, dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(step, option, to) for step, nexts in table.items() for option, to in nexts.items()]


def _assert_next(chat: EngineChat, after: str) -> None:
    reply = chat.last
    if after == RESULT:
        assert reply.kind == "result"
    elif after == URGENT:
        assert reply.kind == "urgent"
    elif after == DECLINED:
        assert reply.kind == "info"
    else:
        assert (reply.kind, reply.step) == ("question", after)


def test_the_tables_above_cover_every_option_of_every_step(flow: Flow) -> None:
    in_flow = {s.id: {o.id for o in s.options} for s in flow.steps}
    in_tables = {step: set(nexts) for step, nexts in {**SINGLE_NEXT, **MULTI_NEXT}.items()}
    assert in_tables == in_flow
    assert {s.id for s in flow.steps if s.kind == "multi"} == set(MULTI_NEXT)


def test_the_check_opens_with_the_consent_question(chat: EngineChat) -> None:
    reply = chat.start()
    assert (reply.kind, reply.step) == ("question", "consent")
    assert "not a substitute for professional medical care" in reply.text()
    assert "18 or older" in reply.text()
    assert [c.value for c in reply.choices] == ["agree", "decline"]


@pytest.mark.parametrize(("step", "option", "after"), _cases(SINGLE_NEXT))
def test_each_single_choice_answer_leads_where_the_flow_says(
    chat: EngineChat, step: str, option: str, after: str
) -> None:
    chat.walk(
        until=step,
        location="behind" if step in ("behind_muscle", "walking") else "above",
        risks=["pregnant"] if step == "one_leg" else ["none"],
    )
    asked = chat.last
    chat.press(option)
    _assert_next(chat, after)
    answered = chat.replies[0]
    assert answered.kind == "answered"
    assert (answered.step, answered.version) == (step, asked.version)
    assert answered.text() == next(c.label for c in asked.choices if c.value == option)


@pytest.mark.parametrize(("step", "option", "after"), _cases(MULTI_NEXT))
def test_each_multi_choice_answer_leads_where_the_flow_says(
    chat: EngineChat, step: str, option: str, after: str
) -> None:
    chat.walk(until=step)
    chat.tick(option)
    assert chat.last.step == step, "ticking alone does not move on"
    assert [c.value for c in chat.last.choices if c.selected] == [option]
    chat.done()
    _assert_next(chat, after)


def test_declining_consent_ends_politely_with_the_adults_only_text(chat: EngineChat) -> None:
    chat.start()
    reply = chat.press("No")
    assert reply.kind == "info"
    assert "kneecheck is only for adults" in reply.text()
    assert "talk to a doctor, pharmacist or physiotherapist" in reply.text()
    assert chat.turn.effects == (Finished("declined", None),)
    assert chat.saved.status == "done"


def test_a_full_check_ends_in_a_result_and_a_finished_effect(chat: EngineChat) -> None:
    reply = chat.walk()
    assert reply.kind == "result"
    assert chat.turn.effects == (Finished("assessment", "self_care"),)
    assert chat.saved.status == "done"
    assert chat.saved.step is None
    assert chat.saved.answers == {
        "consent": "agree",
        "red_flags": ("none",),
        "location": "above",
        "triggers": ("exercise",),
        "frequency": "rarely",
        "water": "ok",
        "diet": "balanced",
        "activity": "moderate",
        "sitting": "under_4h",
        "age": "a18_39",
        "conditions": ("none",),
        "risks": ("none",),
    }


@pytest.mark.parametrize(("location", "path"), [("above", ABOVE_PATH), ("behind", BEHIND_PATH)])
def test_every_question_says_which_question_it_is_and_counts_up_by_one(
    chat: EngineChat, location: str, path: tuple[str, ...]
) -> None:
    chat.walk(location=location)
    assert [q.step for q in chat.questions] == list(path)
    numbers, totals = [], []
    for question in chat.questions:
        assert question.progress is not None
        assert question.progress in question.text()
        found = re.fullmatch(r"Question (\d+) of (\d+)", question.progress)
        assert found, question.progress
        numbers.append(int(found[1]))
        totals.append(int(found[2]))
        assert int(found[1]) <= int(found[2])
    assert numbers == list(range(1, len(path) + 1))
    assert totals == sorted(totals, reverse=True)  # never "of 12" then "of 13"


def test_the_total_shrinks_once_an_answer_rules_a_question_out(chat: EngineChat) -> None:
    start = chat.walk(until="location").progress
    assert start == "Question 3 of 15"  # the longest path: behind the knee, with a clot risk
    assert chat.press("behind").progress == "Question 4 of 15"  # which muscle is asked
    chat.back()
    assert chat.press("above").progress == "Question 4 of 14"  # no muscle question


def test_multi_choice_questions_explain_tick_then_done(chat: EngineChat) -> None:
    reply = chat.walk(until="red_flags")
    assert reply.multi
    assert "Tick all that apply, then press Done." in reply.text()
    assert [c.value for c in reply.choices][-2:] == ["done", "back"]


@pytest.mark.parametrize("locale", ["en-GB", "en_US", "xx", "de"])
def test_unknown_or_regional_locales_fall_back_to_english(chat: EngineChat, locale: str) -> None:
    reply = chat.start(locale=locale)
    assert reply.step == "consent"
    assert "Hi, I am kneecheck." in reply.text()
    assert chat.saved.locale == "en"
    assert chat.walk().kind == "result"


def test_every_step_has_a_typical_answer_for_walking(catalog: Catalog) -> None:
    assert set(TYPICAL) == {"confirm"} | {s.id for f in catalog.flows.values() for s in f.steps}
