"""Warning signs: urgent advice first, nothing that could dilute it, and the check ends.

A red flag can be ticked on the safety question or typed in the user's own
words at any point. Either way the user reads the advice for that sign, the
disclaimer last, and none of the self-care text (relief, stretches, treatment,
tips) that the result would otherwise give.
"""

from __future__ import annotations

import pytest

from bot.catalog.content import Content, Tier
from bot.catalog.flow import Flow
from bot.engine import Finished, Reply
from tests.engine.chat import EngineChat
from tests.engine.texts import self_care_in

SEEN = [
    ("clot_leg", "my calf hurts and is swollen"),
    ("clot_leg", "I think I have a DVT"),
    ("clot_leg", "could it be a blood clot?"),
    ("clot_leg", "my leg is red and swollen"),
    ("clot_breathless", "difficulty breathing"),
    ("clot_breathless", "struggling to breathe"),
    ("clot_breathless", "my chest hurts"),
    ("clot_breathless", "I coughed up some blood"),
    ("clot_breathless", "chestpain"),
    ("cold_pale_leg", "my foot went white and cold"),
    ("cold_pale_leg", "my toes have turned blue"),
    ("cold_pale_leg", "I cannot feel my foot"),
    ("cold_pale_leg", "I can't feel my foot"),
    ("cold_pale_leg", "my foot went dead"),
    ("cold_pale_leg", "leg suddenly cold"),
    ("cant_bear_weight", "I cannot put any weight on it"),
    ("cant_bear_weight", "I'm not able to walk on it"),
    ("hot_swollen_fever", "my knee is red and hot"),
    ("hot_swollen_fever", "I have a temperature"),
    ("dark_urine", "my wee is brown after the marathon"),
    ("long_cramp", "cramp for 20 minutes that will not go"),
    ("cauda_equina", "numb around my bottom and I cannot pee"),
]
"""The phrases the safety review found missed (issue 11), each with the sign it must give."""
PHRASES = [pytest.param(flag, phrase, id=f"{flag}:{phrase}") for flag, phrase in SEEN]

EMERGENCY_FLAGS = {"clot_breathless", "cold_pale_leg", "cauda_equina", "compartment"}
RED_FLAGS = [
    "clot_breathless",
    "cold_pale_leg",
    "clot_leg",
    "cant_bear_weight",
    "hot_swollen_fever",
    "numb_weak",
    "dark_urine",
    "long_cramp",
    "cauda_equina",
    "compartment",
    "knee_locks",
]


def expected_tier(flag: str) -> Tier:
    return "emergency" if flag in EMERGENCY_FLAGS else "urgent"


def assert_urgent_advice(reply: Reply, content: Content, *flags: str) -> None:
    """What every urgent reply must look like, for the user reading it."""
    text = reply.text()
    assert reply.kind == "urgent"
    assert reply.choices == ()
    assert "No self-care tips" in text
    lead = flags[0]
    assert content.red_flags[lead].advice in text
    for flag in flags:  # when to call the emergency number instead, for every sign
        escalate = content.red_flags[flag].escalate
        assert reply.tier == "emergency" or escalate is None or escalate in text
    assert self_care_in(text, content) == []
    assert reply.sections[-1].paragraphs == (content.disclaimer.urgent,)
    if len(reply.sections) == 2:  # one sign (several add the others' names and escalations)
        assert len(text.split()) <= 60, "an urgent reply is one short screen"


def test_red_flag_options_are_exactly_the_ones_tested_here(flow: Flow) -> None:
    step = flow.step("red_flags")
    assert step is not None
    assert [o.id for o in step.options if o.red_flag] == RED_FLAGS


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_ticking_a_warning_sign_ends_the_check_with_its_advice_only(
    chat: EngineChat, content: Content, flag: str
) -> None:
    chat.walk(until="red_flags")
    chat.tick(flag)
    reply = chat.done()
    assert_urgent_advice(reply, content, flag)
    assert reply.tier == expected_tier(flag)
    assert content.tiers[expected_tier(flag)].title in reply.text()
    assert chat.turn.effects == (Finished("assessment", expected_tier(flag)),)
    for other in set(RED_FLAGS) - {flag}:
        assert content.red_flags[other].advice not in reply.text()
    assert chat.saved.status == "done"


def test_several_warning_signs_give_every_advice_and_the_most_urgent_tier(
    chat: EngineChat, content: Content
) -> None:
    chat.walk(until="red_flags")
    chat.tick("clot_leg", "clot_breathless", "numb_weak")
    reply = chat.done()
    assert_urgent_advice(reply, content, "clot_breathless")
    assert reply.tier == "emergency"
    # One instruction, one time frame: call now; the urgent signs are named for the crew,
    # without their "get seen today".
    text = reply.text()
    assert text.startswith("Call your local emergency number now\n")
    assert content.red_flags["clot_leg"].advice not in text
    assert content.red_flags["numb_weak"].advice not in text
    assert "get seen today" not in text.lower()
    also = content.ui["urgent_also"].format(
        signs="; ".join(
            content.steps["red_flags"].options[f].answer or "" for f in ("clot_leg", "numb_weak")
        )
    )
    assert also in text


def test_none_of_these_sent_with_a_warning_sign_still_gives_urgent_advice(
    chat: EngineChat, content: Content
) -> None:
    from bot.engine import Submit

    question = chat.walk(until="red_flags")
    reply = chat.send(Submit("red_flags", question.version, ("none", "dark_urine")))
    assert_urgent_advice(reply, content, "dark_urine")


@pytest.mark.parametrize(
    ("at_step", "typed", "flag"),
    [
        ("location", "my calf is swollen", "clot_leg"),
        ("triggers", "I can't put weight on it", "cant_bear_weight"),
        ("consent", "chest pain", "clot_breathless"),
        ("behind_muscle", "my leg went cold and pale", "cold_pale_leg"),
        ("frequency", "the cramp won't stop", "long_cramp"),
        ("water", "my pee is dark after the marathon", "dark_urine"),
        ("diet", "I've got a fever", "hot_swollen_fever"),
        ("conditions", "there are pins and needles in my foot", "numb_weak"),
        ("red_flags", "I'm short of breath", "clot_breathless"),
    ],
)
def test_a_warning_sign_typed_at_any_question_ends_the_check_with_urgent_advice(
    chat: EngineChat, content: Content, at_step: str, typed: str, flag: str
) -> None:
    chat.walk(until=at_step, location="behind")
    reply = chat.say(typed)
    assert_urgent_advice(reply, content, flag)
    assert reply.tier == expected_tier(flag)
    assert chat.turn.effects == (Finished("assessment", expected_tier(flag)),)
    assert chat.saved.status == "done"


@pytest.mark.parametrize(("flag", "phrase"), PHRASES)
def test_every_warning_sign_the_review_found_missed_gets_its_advice_mid_check(
    chat: EngineChat, content: Content, flag: str, phrase: str
) -> None:
    chat.walk(until="location")
    reply = chat.say(phrase)
    assert_urgent_advice(reply, content, flag)
    assert reply.tier == expected_tier(flag)


def test_a_warning_sign_typed_before_starting_gives_advice_and_stores_nothing(
    chat: EngineChat, content: Content
) -> None:
    reply = chat.say("I can't breathe properly")
    assert_urgent_advice(reply, content, "clot_breathless")
    assert reply.tier == "emergency"
    assert not chat.turn.changed
    assert chat.session is None


def test_a_warning_sign_typed_after_the_result_still_gets_urgent_advice(
    chat: EngineChat, content: Content
) -> None:
    assert chat.walk().kind == "result"
    done = chat.session
    reply = chat.say("now my calf is swollen and red")
    assert_urgent_advice(reply, content, "clot_leg")
    assert chat.session == done


def test_after_urgent_advice_the_old_question_no_longer_takes_answers(
    chat: EngineChat, content: Content
) -> None:
    question = chat.walk(until="location")
    chat.say("my calf is swollen")
    reply = chat.press("above", on=question)
    assert reply.kind == "notice"
    assert "already moved on" in reply.text()
    assert not chat.turn.changed
    assert "finished" in chat.say("above the knee").text()


@pytest.mark.parametrize(
    ("at_step", "typed"),
    [
        ("location", "no chest pain, it's above the knee"),
        ("location", "no fever, it's behind"),
        ("triggers", "running, but no swelling and not numb"),
        ("frequency", "never numb, just most days"),
        ("water", "without any dark urine, I drink plenty"),
    ],
)
def test_a_denied_warning_sign_is_not_a_red_flag_and_the_answer_still_counts(
    chat: EngineChat, at_step: str, typed: str
) -> None:
    chat.walk(until=at_step)
    reply = chat.say(typed)
    assert reply.kind == "question"
    assert reply.step != at_step
    assert chat.replies[0].kind == "answered"


def test_no_chest_pain_on_the_safety_question_means_none_of_these(chat: EngineChat) -> None:
    chat.walk(until="red_flags")
    reply = chat.say("no chest pain")
    assert reply.step == "location"
    assert chat.saved.answers["red_flags"] == ("none",)


@pytest.mark.parametrize("typed", ["No, my calf is swollen", "No. I can't walk on it"])
def test_no_then_a_warning_sign_in_the_next_clause_is_still_a_red_flag(
    chat: EngineChat, content: Content, typed: str
) -> None:
    chat.walk(until="location")
    reply = chat.say(typed)
    assert reply.kind == "urgent"


def test_warning_signs_already_ticked_are_kept_when_another_is_typed(
    chat: EngineChat, content: Content
) -> None:
    chat.walk(until="red_flags")
    chat.tick("numb_weak")
    reply = chat.say("and I can't walk")
    assert_urgent_advice(reply, content, "cant_bear_weight", "numb_weak")


def _answer_anything(chat: EngineChat) -> None:
    """Walk on from wherever the user is, agreeing when asked and ticking "none"."""
    chat.walk(consent="agree", red_flags=["none"])


def test_going_back_after_urgent_advice_never_skips_the_consent_question(
    chat: EngineChat,
) -> None:
    chat.start()
    assert chat.say("chest pain").kind == "urgent"
    chat.back()
    _answer_anything(chat)
    assert chat.last.kind == "result"
    assert chat.saved.answers.get("consent") == "agree"


def test_going_back_after_urgent_advice_leads_to_the_sign_still_ticked(
    chat: EngineChat, content: Content
) -> None:
    chat.walk(until="triggers", location="behind")
    chat.say("my calf is swollen")
    for _ in range(5):
        if chat.back().kind == "question":
            break
        assert_urgent_advice(chat.last, content, "clot_leg")  # shown again, never self-care
    for _ in range(5):
        if chat.last.step == "red_flags":
            break
        chat.back()
    assert chat.last.step == "red_flags"
    assert "clot_leg" in chat.ticked


def test_walking_on_after_going_back_still_ends_in_urgent_advice(
    chat: EngineChat, content: Content
) -> None:
    chat.walk(until="frequency")
    chat.say("I have a fever")
    chat.back()
    reply = chat.walk(red_flags=["hot_swollen_fever"])
    assert_urgent_advice(reply, content, "hot_swollen_fever")


@pytest.mark.parametrize(
    "typed",
    ["I don't have a fever, it's behind", "I do not have any chest pain, it's behind the knee"],
)
def test_a_sign_denied_a_few_words_earlier_is_not_a_red_flag(chat: EngineChat, typed: str) -> None:
    chat.walk(until="location")
    reply = chat.say(typed)
    assert reply.kind == "question"
    assert chat.saved.answers["location"] == "behind"


@pytest.mark.parametrize(
    "typed", ["I don't know but my calf is swollen", "my leg feels weak", "weakness in my leg"]
)
def test_a_warning_sign_after_an_unrelated_negation_still_counts(
    chat: EngineChat, typed: str
) -> None:
    chat.walk(until="location")
    assert chat.say(typed).kind == "urgent"


def test_the_back_of_the_thigh_is_behind_the_knee(chat: EngineChat) -> None:
    chat.walk(until="location")
    chat.say("the back of my thigh")
    assert chat.saved.answers["location"] == "behind"
