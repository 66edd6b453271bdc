"""The note for a professional: the user's own answers, the advice given, the diary in brief,
one message on every channel, and the disclaimer last."""

from __future__ import annotations

import datetime as dt
from html import escape

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.channels.slack import render as slack
from bot.channels.telegram import render as telegram
from bot.diary.model import Diary
from bot.diary.summary import summary
from bot.engine.assessment import red_flags
from bot.engine.replies import Reply
from bot.engine.session import AnswerValue, Session
from tests.diary.diaries import DAY, T0, daily, entry
from tests.engine.texts import self_care_in

Answers = dict[str, AnswerValue]

TYPICAL: Answers = {
    "consent": "agree",
    "red_flags": ("none",),
    "location": "behind",
    "behind_muscle": "calf",
    "triggers": ("exercise", "sitting"),
    "frequency": "at_night",
    "water": "low",
    "diet": "mixed",
    "activity": "heavy",
    "sitting": "over_8h",
    "age": "a40_54",
    "conditions": ("thyroid",),
    "risks": ("none",),
    "walking": "no",
}
"""A finished check with no warning signs, a few ticks and something in every section."""


@pytest.fixture(scope="module")
def flow(catalog: Catalog) -> Flow:
    return catalog.flow("kneecheck")


@pytest.fixture(scope="module")
def content(catalog: Catalog) -> Content:
    return catalog.content("en")


def done(answers: Answers) -> Session:
    return Session(status="done", outcome="assessment", answers=answers)


def label(content: Content, step: str, option: str) -> str:
    return content.steps[step].options[option].label


def every_tick(flow: Flow, content: Content, *, warning_signs: bool) -> Answers:
    """Every option of every multi-choice step (warning signs only if asked), and the longest
    label of every single-choice step: the longest note the answers can make."""
    answers: Answers = {}
    for step in flow.steps:
        ids = [o.id for o in step.options if warning_signs or not o.red_flag]
        if step.kind == "multi":
            answers[step.id] = tuple(ids)
        else:
            answers[step.id] = max(ids, key=lambda o: len(label(content, step.id, o)))
    return answers


def test_the_note_reports_what_the_user_answered(catalog: Catalog, content: Content) -> None:
    text = summary(catalog, done(TYPICAL), daily(3), zone="UTC").text()
    for step, value in TYPICAL.items():
        if step in ("consent", "red_flags"):
            continue
        for option in (value,) if isinstance(value, str) else value:
            assert label(content, step, option) in text, (step, option)


def test_no_warning_signs_are_said_plainly(catalog: Catalog, content: Content) -> None:
    text = summary(catalog, done(TYPICAL), daily(3), zone="UTC").text()
    assert content.ui["summary_red_flags_none"] in text
    assert "none reported" in text.lower()
    assert label(content, "red_flags", "none") not in text


def test_warning_signs_are_named_and_no_self_care_was_given(
    catalog: Catalog, flow: Flow, content: Content
) -> None:
    answers = {**TYPICAL, "red_flags": ("numb_weak", "long_cramp")}
    reply = summary(catalog, done(answers), daily(3), zone="UTC")
    text = reply.text()
    assert label(content, "red_flags", "numb_weak") in text
    assert label(content, "red_flags", "long_cramp") in text
    assert "none reported" not in text.lower()
    assert content.ui["summary_no_selfcare"] in text
    assert content.tiers["urgent"].title in text
    assert not any(c.title and c.title in text for c in content.causes.values())
    assert self_care_in(text, content) == []
    assert red_flags(flow, answers)


def test_the_advice_given_is_the_tier_causes_and_stretch(
    catalog: Catalog, content: Content
) -> None:
    text = summary(catalog, done(TYPICAL), daily(3), zone="UTC").text()
    assert content.tiers["soon"].title in text  # woken at night, a thyroid condition
    shown = [c.title for c in content.causes.values() if c.title and c.title in text]
    three_strongest = ("overuse", "prolonged_sitting", "dehydration")
    assert shown == [content.causes[c].title for c in three_strongest]
    assert content.stretches["calf"].title in text
    assert content.stretches["quadriceps"].title not in text


def test_it_reports_and_never_explains(catalog: Catalog, content: Content) -> None:
    """Only titles of what kneecheck suggested: no cause's explanation, no self-care text."""
    text = summary(catalog, done(TYPICAL), daily(3), zone="UTC").text()
    assert not any(c.text in text for c in content.causes.values())
    assert not any(r.text in text for r in content.reasons.values())
    assert self_care_in(text, content) == []


def test_since_when_is_a_local_date(catalog: Catalog, content: Content) -> None:
    late = Diary(started=T0 + 23 * 3600 + 30 * 60)  # 2026-01-01 23:30 UTC
    tokyo = summary(catalog, done(TYPICAL), late, zone="Asia/Tokyo").text()
    utc = summary(catalog, done(TYPICAL), late, zone=None).text()
    fmt = content.ui["diary_date_format"]
    since = content.ui["summary_since"]
    assert since.format(date=dt.date(2026, 1, 2).strftime(fmt)) in tokyo
    assert since.format(date=dt.date(2026, 1, 1).strftime(fmt)) in utc


def test_the_diary_is_summarised_not_listed(catalog: Catalog, content: Content) -> None:
    diary = Diary(
        started=T0,
        entries=(
            entry(T0, trend="worse", severity=8),
            entry(T0 + DAY, trend="same", severity=2, flags=("numb_weak",)),
            entry(T0 + 2 * DAY, trend="better", severity=3),
        ),
    )
    text = summary(catalog, done(TYPICAL), diary, zone="UTC").text()
    fmt = content.ui["diary_date_format"]
    first, second, third = (dt.date(2026, 1, d).strftime(fmt) for d in (1, 2, 3))
    ui = content.ui
    assert ui["summary_checkins"].format(count=3, first=first, last=third) in text
    assert ui["summary_last"].format(date=third, trend=ui["diary_trend_better"], severity=3) in text
    assert ui["summary_range"].format(lowest=2, highest=8) in text
    flagged = label(content, "red_flags", "numb_weak")
    assert ui["summary_checkin_flags"].format(answer=flagged, date=second) in text


def test_an_empty_diary_says_so(catalog: Catalog, content: Content) -> None:
    text = summary(catalog, done(TYPICAL), Diary(), zone="UTC").text()
    assert content.ui["diary_empty"] in text


def test_without_a_finished_check_it_says_so_in_one_line(
    catalog: Catalog, content: Content
) -> None:
    mid_way = Session(step="water", answers={"consent": "agree", "red_flags": ("none",)})
    declined = Session(status="done", outcome="declined", answers={"consent": "decline"})
    other_flow = Session(flow="checkin", status="done", outcome="assessment", answers=TYPICAL)
    for session in (None, mid_way, declined, other_flow):
        reply = summary(catalog, session, Diary(), zone="UTC")
        assert reply.sections[0].paragraphs == (content.ui["summary_no_check"],)
        assert len(reply.sections) == 2  # the line, then the disclaimer
        assert label(content, "location", "behind") not in reply.text()


def test_a_check_that_went_on_past_the_assessment_still_counts(
    catalog: Catalog, content: Content
) -> None:
    """After the assessment a check may go on (the reminders offer): it is still finished."""
    onwards = Session(step="reminders_offer", answers=TYPICAL)
    text = summary(catalog, onwards, Diary(), zone="UTC").text()
    assert content.ui["summary_no_check"] not in text
    assert label(content, "location", "behind") in text


def test_it_ends_with_the_disclaimer(catalog: Catalog, content: Content) -> None:
    for session in (done(TYPICAL), None):
        last = summary(catalog, session, daily(3), zone="UTC").sections[-1]
        assert last.title == content.disclaimer.title
        assert last.paragraphs == (content.disclaimer.text,)


def test_it_is_kind_info(catalog: Catalog) -> None:
    assert summary(catalog, done(TYPICAL), daily(3), zone="UTC").kind == "info"


@pytest.fixture(params=[False, True], ids=["no-warning-signs", "every-warning-sign"])
def longest(
    request: pytest.FixtureRequest, catalog: Catalog, flow: Flow, content: Content
) -> Reply:
    """Every multi-choice option ticked, and 120 check-ins each with every warning sign."""
    answers = every_tick(flow, content, warning_signs=request.param)
    flags = tuple(o for o in answers["red_flags"] if o != "none") or ("numb_weak",)
    diary = daily(120)
    diary = Diary(
        started=diary.started,
        entries=tuple(e.model_copy(update={"flags": flags}) for e in diary.entries),
    )
    return summary(catalog, done(answers), diary, zone="Pacific/Kiritimati")


def test_the_longest_note_is_one_telegram_message(longest: Reply) -> None:
    sent = telegram.messages(longest)
    assert len(sent) == 1
    assert len(sent[0].text) <= telegram.MESSAGE_LIMIT
    plain = "\n".join(escape(s, quote=False) for s in longest.text().splitlines())
    assert len(plain) < telegram.MESSAGE_LIMIT


def test_the_longest_note_is_one_slack_message(longest: Reply) -> None:
    sent = slack.messages(longest, "U123")
    assert len(sent) == 1
    blocks = sent[0].blocks
    assert len(blocks) <= slack.MAX_BLOCKS
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert texts
    assert all(len(t) < slack.SECTION_LIMIT for t in texts)
    assert len(sent[0].text) <= slack.FALLBACK_LIMIT
