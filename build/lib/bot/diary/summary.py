"""A short note for a doctor or physiotherapist: what the user told kneecheck, and the diary.

It reports, it never diagnoses: every line is one of the user's answers (in the words of
its button), a date, a count, or the advice kneecheck already gave (its level of care, the
titles of the likely causes, the stretch). Every word is content (``summary_*`` and
``diary_*`` ui keys).

It is one channel-neutral :class:`~bot.engine.replies.Reply` of a few short sections, so
it arrives as ONE message everywhere: a note split over several messages gets forwarded
or screenshotted half. Answers are summarised (each question one line) and the diary is
summarised (counts and extremes, not one line per check-in), so its size does not grow
with how many options were ticked beyond a few labels, nor with the number of check-ins.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.diary.chart import ChartTexts, local_date
from bot.diary.model import Diary
from bot.engine.assessment import rank_causes, red_flags, tier
from bot.engine.questions import next_node
from bot.engine.replies import Reply, Section
from bot.engine.session import AnswerValue, Session

FLOW = "kneecheck"
"""The flow whose answers the note reports."""
REPORTED = ("location", "behind_muscle", "frequency", "triggers")
"""Steps of "what you reported", each shown through ui ``summary_<step>`` when answered."""
LIFESTYLE = (
    "water", "diet", "activity", "sitting", "age", "conditions", "risks", "one_leg", "walking",
)  # fmt: skip
"""Steps of "lifestyle and risk factors", likewise."""

Answers = dict[str, AnswerValue]


def summary(
    catalog: Catalog,
    session: Session | None,
    diary: Diary,
    *,
    zone: str | None,
    locale: str | None = None,
) -> Reply:
    """The note, dated in the user's ``zone`` (UTC when unknown), in ``locale`` (else the
    session's language). Without a finished knee check it says so, in one line."""
    content = catalog.content(locale or (session.locale if session is not None else None))
    flow = catalog.flow(FLOW)
    if session is None or not finished(flow, session):
        # Still worth showing: check-ins kept after the check itself was restarted.
        diary_part = [_diary(content, diary, zone)] if diary.entries else []
        sections = [Section(paragraphs=(content.ui["summary_no_check"],)), *diary_part]
    else:
        answers = session.seen()
        sections = [
            Section(title=content.ui["summary_title"], paragraphs=(content.ui["summary_intro"],)),
            _reported(flow, content, answers, diary, zone),
            _lifestyle(content, answers),
            _advice(flow, content, answers),
            _diary(content, diary, zone),
        ]
    return Reply(kind="info", sections=(*sections, _disclaimer(content)))


def finished(flow: Flow, session: Session) -> bool:
    """Whether the session reached the assessment, even if it went on from there (the
    reminders offer) or was interrupted by a warning sign typed before the end."""
    if session.flow != flow.id:
        return False
    outcome = flow.outcome(session.outcome) if session.outcome else None
    if outcome is not None and outcome.kind == "assessment":
        return True
    return _path_reaches_assessment(flow, session.seen())


def _path_reaches_assessment(flow: Flow, answers: Answers) -> bool:
    """Walk the flow from its start along the answers; True when it ends at an assessment."""
    node = flow.start
    seen: set[str] = set()
    while (step := flow.step(node)) is not None and step.id in answers and node not in seen:
        seen.add(node)
        try:
            node = next_node(step, answers)
        except ValueError:
            return False
    outcome = flow.outcome(node)
    return outcome is not None and outcome.kind == "assessment"


def _reported(
    flow: Flow, content: Content, answers: Answers, diary: Diary, zone: str | None
) -> Section:
    """Where, since when, how often, what brings it on, and the warning signs."""
    ui = content.ui
    bullets = _answer_lines(content, answers, REPORTED[:2])
    if diary.started is not None:
        bullets.append(ui["summary_since"].format(date=local_date(diary.started, zone, content)))
    bullets += _answer_lines(content, answers, REPORTED[2:])
    flags = red_flags(flow, answers)
    if flags and flow.assessment is not None:
        step = flow.assessment.red_flag_step
        bullets.append(ui["summary_red_flags"].format(answer=_labels(content, step, flags)))
    else:
        bullets.append(ui["summary_red_flags_none"])
    bullets += _checkin_flags(flow, content, diary, zone)
    return Section(title=ui["summary_title_reported"], bullets=tuple(bullets))


def _checkin_flags(flow: Flow, content: Content, diary: Diary, zone: str | None) -> list[str]:
    """Warning signs ticked at check-ins, named once each, with the last date one was."""
    flagged = [e for e in diary.entries if e.flags]
    if not flagged or flow.assessment is None:
        return []
    ids = tuple(dict.fromkeys(f for e in flagged for f in e.flags))
    labels = _labels(content, flow.assessment.red_flag_step, ids)
    date = local_date(flagged[-1].at, zone, content)
    return [content.ui["summary_checkin_flags"].format(answer=labels, date=date)]


def _lifestyle(content: Content, answers: Answers) -> Section:
    return Section(
        title=content.ui["summary_title_lifestyle"],
        bullets=tuple(_answer_lines(content, answers, LIFESTYLE)),
    )


def _advice(flow: Flow, content: Content, answers: Answers) -> Section:
    """The level of care given and, when self-care advice was given, its causes and stretch.

    After a warning sign kneecheck gave urgent advice only, so the note says that instead.
    """
    ui = content.ui
    bullets = [ui["summary_tier"].format(tier=content.tiers[tier(flow, content, answers)].title)]
    rules = flow.assessment
    if red_flags(flow, answers):
        bullets.append(ui["summary_no_selfcare"])
    elif rules is not None:
        causes = [_title(content, c.cause) for c in rank_causes(rules, answers)]
        if causes:
            bullets.append(ui["summary_causes"].format(causes=_join(content, causes)))
        else:
            bullets.append(ui["summary_causes_none"])
        stretches = [
            content.stretches[p.id].title
            for p in rules.stretches
            if p.when is None or p.when.holds(answers)
        ]
        if stretches:
            bullets.append(ui["summary_stretch"].format(names=_join(content, stretches)))
    return Section(title=ui["summary_title_advice"], bullets=tuple(bullets))


def _title(content: Content, cause: str) -> str:
    text = content.causes[cause]
    return text.title or text.text


def _disclaimer(content: Content) -> Section:
    """Last, as under every assessment (``bot.engine.assessment``): this is not a diagnosis."""
    return Section(title=content.disclaimer.title, paragraphs=(content.disclaimer.text,))


def _diary(content: Content, diary: Diary, zone: str | None) -> Section:
    """How many check-ins, the last one, and the severity range: a summary, not the list."""
    ui = content.ui
    if not diary.entries:
        return Section(title=ui["summary_title_diary"], paragraphs=(ui["diary_empty"],))
    entries = diary.entries
    last = entries[-1]
    severities = [e.severity for e in entries]
    bullets = (
        ui["summary_checkins"].format(
            count=len(entries),
            first=local_date(entries[0].at, zone, content),
            last=local_date(last.at, zone, content),
        ),
        ui["summary_last"].format(
            date=local_date(last.at, zone, content),
            trend=ChartTexts.from_content(content).trend(last.trend),
            severity=last.severity,
        ),
        ui["summary_range"].format(lowest=min(severities), highest=max(severities)),
    )
    return Section(title=ui["summary_title_diary"], bullets=bullets)


def _answer_lines(content: Content, answers: Answers, steps: Sequence[str]) -> list[str]:
    """One ``summary_<step>`` line per answered step, in the given order."""
    return [
        content.ui[f"summary_{step}"].format(answer=_labels(content, step, answers[step]))
        for step in steps
        if step in answers
    ]


def _labels(content: Content, step: str, value: AnswerValue) -> str:
    """The chosen options' button labels; an id the content no longer has shows as itself,
    so a session from before a content change still summarises."""
    text = content.steps.get(step)
    values = (value,) if isinstance(value, str) else value
    options = text.options if text is not None else {}
    return _join(content, [options[v].label if v in options else v for v in values])


def _join(content: Content, items: Sequence[str]) -> str:
    """Joined with ``summary_joiner`` ("; "): labels contain commas themselves."""
    return content.ui["summary_joiner"].join(items)
