"""The result a user reads: ranked causes with their reasons, the right stretch,
their own prevention tips first, the right level of care, and the disclaimer last."""

from __future__ import annotations

import pytest

from bot.catalog.content import Content
from bot.engine import Finished, Reply, assessment
from tests.engine.chat import Answer, EngineChat
from tests.engine.texts import self_care_in

CAUSES_TITLE = "Likely causes that fit your answers"
RELIEF_TITLE = "Relief right now"


def causes_shown(reply: Reply) -> list[str]:
    """Cause titles in the order shown (between the causes heading and the relief heading)."""
    titles = [s.title or "" for s in reply.sections]
    return titles[titles.index(CAUSES_TITLE) + 1 : titles.index(RELIEF_TITLE)]


def section(reply: Reply, title: str) -> str:
    found = [s for s in reply.sections if s.title == title]
    assert found, f"no section {title!r} in: {[s.title for s in reply.sections]}"
    return Reply(kind=reply.kind, sections=tuple(found)).text()


def stretches_shown(reply: Reply) -> list[str]:
    prefix = "Stretch: "
    titles = [s.title or "" for s in reply.sections]
    return [t.removeprefix(prefix) for t in titles if t.startswith(prefix)]


def result_for(chat: EngineChat, **answers: Answer) -> Reply:
    """The whole result these answers lead to: its first message's causes and every topic
    (:func:`assessment.result`), once the engine has shown the first message."""
    reply = chat.walk_with(answers)
    assert reply.kind == "result", reply.text()
    flow = chat.catalog.flow(chat.flow_id)
    return assessment.result(flow, chat.catalog.content(None), chat.saved.answers)


def test_causes_come_with_the_users_own_reasons(chat: EngineChat, content: Content) -> None:
    reply = result_for(chat, location="above", triggers=["exercise"], activity="heavy")
    assert causes_shown(reply) == [content.causes["overuse"].title]
    assert (
        "Because you said it started after you did hard exercise with no warm-up or cool-down; "
        "you are an athlete or do heavy physical work; "
        "you feel it above the knee, where using the thigh muscles too much is a common cause."
    ) in reply.text()


def test_causes_are_ranked_strongest_first_and_at_most_three(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(
        chat,
        location="behind",
        behind_muscle="calf",
        triggers=["dehydration"],
        water="low",
        sitting="over_8h",
        age="a65_plus",
    )
    assert causes_shown(reply) == [
        content.causes["dehydration"].title,  # 3 + 2 + 1
        content.causes["prolonged_sitting"].title,  # 2, listed before age on a tie
        content.causes["age"].title,  # 2
    ]
    assert (
        "Because you said it happens when you have not drunk enough or sweated a lot; "
        "you drink less than you should; "
        "you feel it behind the knee, where fluids and minerals play a big part."
    ) in reply.text()
    assert "Because you said you are 65 or older." in reply.text()


def test_with_no_clear_cause_every_common_cause_is_listed(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(chat, location="twitching", triggers=["not_sure"])
    causes = section(reply, CAUSES_TITLE)
    assert "No single cause stands out from your answers." in causes
    for cause in content.causes.values():
        assert f"{cause.title}: {cause.text}" in causes
    assert "Because you said" not in reply.text()


@pytest.mark.parametrize(
    ("answers", "stretches"),
    [
        ({"location": "above"}, ["front of the thigh (quadriceps)"]),
        ({"location": "behind", "behind_muscle": "calf"}, ["calf"]),
        ({"location": "behind", "behind_muscle": "hamstring"}, ["back of the thigh (hamstring)"]),
        (
            {"location": "behind", "behind_muscle": "not_sure"},
            ["back of the thigh (hamstring)", "calf"],
        ),
        (
            {"location": "around"},
            ["front of the thigh (quadriceps)", "back of the thigh (hamstring)", "calf"],
        ),
        (
            {"location": "not_sure"},
            ["front of the thigh (quadriceps)", "back of the thigh (hamstring)", "calf"],
        ),
    ],
    ids=["above", "behind-calf", "behind-hamstring", "behind-unsure", "around", "unsure"],
)
def test_the_stretch_is_for_the_muscle_involved(
    chat: EngineChat, answers: dict[str, str], stretches: list[str]
) -> None:
    reply = result_for(chat, **answers)
    assert stretches_shown(reply) == stretches


def test_the_stretch_comes_as_numbered_steps(chat: EngineChat, content: Content) -> None:
    reply = result_for(chat, location="behind", behind_muscle="calf")
    steps = content.stretches["calf"].steps
    assert f"1. {steps[0]}" in reply.text()
    assert f"{len(steps)}. {steps[-1]}" in reply.text()


def test_prevention_tips_that_match_the_answers_come_first(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(chat, water="low", sitting="over_8h", diet="mixed", triggers=["sitting"])
    mine = section(reply, "Prevention tips for you")
    more = section(reply, "More ways to prevent spasms")
    for tip in ("hydrate", "move_more", "diet"):
        assert content.tips[tip].text in mine
    for tip in ("technique", "rest", "stretch_daily"):
        assert content.tips[tip].text in more
    titles = [s.title for s in reply.sections]
    assert titles.index("Prevention tips for you") < titles.index("More ways to prevent spasms")


def test_exercise_and_heavy_activity_bring_technique_and_rest_tips_forward(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(chat, triggers=["exercise"], activity="heavy")
    mine = section(reply, "Prevention tips for you")
    assert content.tips["technique"].text in mine
    assert content.tips["rest"].text in mine
    assert content.tips["hydrate"].text not in mine


def test_the_result_has_every_part_a_user_needs(chat: EngineChat, content: Content) -> None:
    reply = result_for(chat)
    text = reply.text()
    assert reply.sections[0].title == "Your knee check"
    for shown in ("cold", "wrap_ice", "heat", "stretch", "stretch_safely", "during", "painkillers"):
        assert content.relief[shown].text in text
    for hidden in ("numb_skin", "injury_first_days", "pregnancy_painkillers"):
        assert content.relief[hidden].text not in text
    for part in (*content.treatment.values(), *content.complications.values()):
        assert part.text in text
    for part in (*content.seek_help.values(), *content.facts.values()):
        assert part.text in text


def test_the_disclaimer_is_always_last(chat: EngineChat, content: Content) -> None:
    reply = result_for(chat)
    assert reply.sections[-1].title == "Not a diagnosis"
    assert reply.text().endswith(content.disclaimer.text)


@pytest.mark.parametrize(
    "answers",
    [
        {"conditions": ["nerve"]},
        {"conditions": ["thyroid"]},
        {"conditions": ["nerve", "thyroid"]},
        {"frequency": "most_days"},
        {"frequency": "at_night"},
        {"triggers": ["injury"]},
        {"triggers": ["exercise", "injury"], "location": "behind"},
    ],
    ids=str,
)
def test_some_answers_mean_seeing_someone_within_days(
    chat: EngineChat, content: Content, answers: dict[str, Answer]
) -> None:
    reply = result_for(chat, **answers)
    assert reply.tier == "soon"
    assert reply.sections[0].paragraphs[0] == content.tiers["soon"].title
    assert chat.turn.effects == (Finished("assessment", "soon"),)
    assert reply.text().count(content.disclaimer.text) == 1


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"frequency": "weekly"},
        {"conditions": ["not_sure"]},
        {"triggers": ["exercise", "sitting", "dehydration"], "water": "low", "activity": "heavy"},
        {"location": "behind", "behind_muscle": "calf", "age": "a65_plus", "diet": "poor"},
    ],
    ids=str,
)
def test_otherwise_self_care_is_a_reasonable_start(
    chat: EngineChat, content: Content, answers: dict[str, Answer]
) -> None:
    reply = result_for(chat, **answers)
    assert reply.tier == "self_care"
    assert reply.sections[0].paragraphs == (
        content.tiers["self_care"].title,
        content.tiers["self_care"].text,
    )
    assert chat.turn.effects == (Finished("assessment", "self_care"),)


# -- triage beyond the ticked warning signs (shared/CLINICAL.md sections 2 and 3) -------------


def test_after_an_injury_no_heat_and_no_massage_but_rest_and_wrapped_ice(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(chat, triggers=["injury"])
    text = reply.text()
    assert reply.tier == "soon"
    assert content.relief["injury_first_days"].text in text
    assert content.relief["wrap_ice"].text in text
    assert content.relief["heat"].text not in text
    assert "massag" not in text.lower().replace("do not use heat or massage", "")


@pytest.mark.parametrize("condition", ["nerve", "diabetes"])
def test_skin_that_may_be_numb_gets_no_heat_or_ice(
    chat: EngineChat, content: Content, condition: str
) -> None:
    text = result_for(chat, conditions=[condition]).text()
    assert content.relief["numb_skin"].text in text
    for unsafe in ("cold", "wrap_ice", "heat"):
        assert content.relief[unsafe].text not in text


def test_pregnancy_names_the_midwife_and_warns_off_ibuprofen(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(chat, risks=["pregnant"], one_leg="both")
    text = reply.text()
    assert reply.tier == "soon"
    assert "Pregnancy" in causes_shown(reply)
    assert "midwife" in text
    assert content.relief["pregnancy_painkillers"].text in text
    assert content.relief["painkillers"].text not in text


def test_a_medicine_that_can_cause_cramps_is_named_without_saying_stop_it(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(chat, conditions=["medicines"])
    assert reply.tier == "soon"
    assert "A medicine you take" in causes_shown(reply)
    assert "Do not stop a medicine on your own: talk to your GP or pharmacist" in reply.text()


def test_calf_pain_on_walking_that_eases_with_rest_names_circulation(
    chat: EngineChat, content: Content
) -> None:
    reply = result_for(
        chat,
        location="behind",
        behind_muscle="calf",
        walking="yes",
        conditions=["smoker"],
        age="a65_plus",
    )
    assert reply.tier == "soon"
    assert causes_shown(reply)[0] == content.causes["circulation"].title
    assert "See a GP" in reply.text()


@pytest.mark.parametrize("risk", ["clot_before", "journey", "surgery", "pregnant", "cancer"])
def test_a_clot_risk_with_pain_in_one_leg_is_a_same_day_clot_check_without_swelling(
    chat: EngineChat, content: Content, risk: str
) -> None:
    reply = chat.walk(risks=[risk], one_leg="one")
    assert reply.kind == "urgent"
    assert reply.tier == "urgent"
    text = reply.text()
    assert content.red_flags["clot_risk"].advice in text
    assert self_care_in(text, content) == []
    assert reply.choices == ()


def test_a_knee_injury_at_55_or_over_is_examined_the_same_day(
    chat: EngineChat, content: Content
) -> None:
    reply = chat.walk(triggers=["injury"], age="a55_64")
    assert (reply.kind, reply.tier) == ("urgent", "urgent")
    assert content.red_flags["injury_55"].advice in reply.text()
    younger = EngineChat(chat.catalog).walk(triggers=["injury"], age="a40_54")
    assert (younger.kind, younger.tier) == ("result", "soon")


SHORT_FIRST = [
    {},
    {"location": "above", "triggers": ["exercise"], "activity": "heavy"},
    {"location": "behind", "behind_muscle": "calf", "triggers": ["dehydration"], "water": "low"},
    {"frequency": "at_night", "conditions": ["nerve", "thyroid"], "sitting": "over_8h"},
    {"triggers": ["exercise", "injury"], "location": "behind", "age": "a18_39"},
]


@pytest.mark.parametrize("answers", SHORT_FIRST)
def test_the_first_message_fits_a_phone_and_every_topic_is_one_tap_away(
    chat: EngineChat, content: Content, answers: dict[str, Answer]
) -> None:
    """The first message says what to do, why, and when to get help, in at most 90 words in
    any region; pressing its topics shows everything the whole result says, nothing lost."""
    first = chat.walk_with(answers)
    assert first.kind == "result"
    flow = chat.catalog.flow(chat.flow_id)
    for region in content.regions:
        regional = assessment.first(flow, content.for_region(region), chat.saved.answers, 1)
        assert len(regional.text().split()) <= 90, (region, regional.text())
    assert content.ui["first_help"].split("{")[0] in first.text()
    assert first.text().endswith(content.disclaimer.short)
    topics = [c for c in first.choices if c.target is not None]
    opened = [chat.press(t.value, on=first) for t in topics]
    assert all(r.kind == "info" for r in opened)
    whole = assessment.result(flow, chat.catalog.content(None), chat.saved.answers)
    shown = {s for r in opened for s in r.sections}
    assert [s for s in whole.sections[1:] if s not in shown] == []
    # Each topic offers the others, never itself.
    for topic, reply in zip(topics, opened, strict=True):
        assert topic.value not in [c.value for c in reply.choices]


def test_a_topic_of_an_older_check_is_stale_once_a_new_one_starts(chat: EngineChat) -> None:
    first = chat.walk_with({})
    chat.start()
    chat.restart()
    topic = next(c for c in first.choices if c.target is not None)
    reply = chat.press(topic.value, on=first)
    assert reply.kind == "notice"
