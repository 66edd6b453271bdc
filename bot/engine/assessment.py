"""From answers to the personalised assessment.

The rules (signals, weights, which stretch, which tip) are flow data; every
sentence is content. This module only ranks and assembles. Any red flag yields
urgent advice and nothing else: no self-care text may dilute it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.catalog.content import Content, Tier
from bot.catalog.flow import Assessment as Rules
from bot.catalog.flow import Flow
from bot.engine.replies import Choice, Reply, Section
from bot.frozen import frozen

Answers = Mapping[str, str | Sequence[str]]


@frozen
class RankedCause:
    cause: str
    score: int
    reasons: tuple[str, ...]
    """Signal ids that fired, strongest first; each names a ``reasons.<id>`` text."""


def red_flags(flow: Flow, answers: Answers) -> tuple[str, ...]:
    """The warning signs in the answers: red-flag options ticked, then those the flow reads
    from several answers (a clot risk with pain in one leg)."""
    rules = flow.assessment
    if rules is None:
        return ()
    step = flow.step(rules.red_flag_step)
    value = answers.get(rules.red_flag_step, ())
    chosen = (value,) if isinstance(value, str) else tuple(value)
    options = step.options if step is not None else ()
    ticked = tuple(o.id for o in options if o.red_flag and o.id in chosen)
    derived = tuple(f.id for f in rules.flags if f.when.holds(answers))
    return (*ticked, *derived)


def tier(flow: Flow, content: Content, answers: Answers) -> Tier:
    flags = red_flags(flow, answers)
    if flags:
        tiers = {content.red_flags[f].tier for f in flags}
        return "emergency" if "emergency" in tiers else "urgent"
    rules = flow.assessment
    if rules is not None and any(r.when.holds(answers) for r in rules.tiers):
        return "soon"
    return "self_care"


def rank_causes(rules: Rules, answers: Answers) -> list[RankedCause]:
    ranked: list[RankedCause] = []
    for cause in rules.causes:
        fired = sorted((s for s in cause.signals if s.when.holds(answers)), key=lambda s: -s.weight)
        score = sum(s.weight for s in fired)
        if score >= rules.min_score:
            ranked.append(RankedCause(cause.id, score, tuple(s.id for s in fired)))
    ranked.sort(key=lambda c: -c.score)  # stable: ties keep the flow's order
    return ranked[: rules.max_causes]


def _picked(picks: Iterable[tuple[str, bool]]) -> tuple[list[str], list[str]]:
    matched: list[str] = []
    rest: list[str] = []
    for item, holds in picks:
        (matched if holds else rest).append(item)
    return matched, rest


def _disclaimer(content: Content) -> Section:
    return Section(title=content.disclaimer.title, paragraphs=(content.disclaimer.text,))


def urgent(flow: Flow, content: Content, answers: Answers) -> Reply:
    """One short message, the instruction first: the tier's heading and how ("Call 999 now",
    "Get seen today: ..."), then why, for the most serious sign; other signs are named for
    whoever sees the person, and nothing else follows (no self-care, a one-line disclaimer).
    Someone in an emergency reads one screen, not a page (CLINICAL.md, section 2)."""
    level = tier(flow, content, answers)
    head = content.tiers[level]
    flags = red_flags(flow, answers)
    worst = next(f for f in flags if content.red_flags[f].tier == level)
    lead = content.red_flags[worst]
    paragraphs = [head.text.strip(), " ".join(filter(None, (lead.advice, lead.escalate)))]
    sections = [Section(title=head.title, paragraphs=tuple(p for p in paragraphs if p))]
    also = [f for f in flags if f != worst]
    if also:
        named = content.ui["reason_joiner"].join(_flag_answer(flow, content, f) for f in also)
        lines = [content.ui["urgent_also"].format(signs=named)]
        if level != "emergency":  # when to call the ambulance instead, for every sign
            lines += dict.fromkeys(
                e for f in also if (e := content.red_flags[f].escalate) and e != lead.escalate
            )
        sections.append(Section(paragraphs=(" ".join(lines),)))
    sections.append(Section(paragraphs=(content.disclaimer.urgent,)))
    return Reply(kind="urgent", sections=tuple(sections), tier=level)


def _flag_answer(flow: Flow, content: Content, flag: str) -> str:
    """How a warning sign reads in the user's terms: its option's answer text when ticked."""
    assert flow.assessment is not None
    step = content.steps.get(flow.assessment.red_flag_step)
    option = step.options.get(flag) if step is not None else None
    if option is not None:
        return option.answer or option.label
    return content.red_flags[flag].answer or flag


def _cause_sections(content: Content, rules: Rules, answers: Answers) -> list[Section]:
    ranked = rank_causes(rules, answers)
    if not ranked:
        return [
            Section(
                title=content.ui["title_causes"],
                paragraphs=(content.ui["no_clear_cause"],),
                bullets=tuple(f"{c.title}: {c.text}" for c in content.causes.values()),
            )
        ]
    sections = [Section(title=content.ui["title_causes"])]
    for cause in ranked:
        text = content.causes[cause.cause]
        joined = content.ui["reason_joiner"].join(content.reasons[r].text for r in cause.reasons)
        because = content.ui["because"].format(reasons=joined)
        sections.append(Section(title=text.title, paragraphs=(text.text, because)))
    return sections


TOPICS = ("causes", "relief", "stretches", "prevention", "treatment", "worth", "help", "about")
"""What the first message leaves one tap away, in the order they are offered."""
TOPIC_STEP = "topic"
"""The ``step`` of a topic button: it answers no question, it opens part of the result."""


def topics(flow: Flow, content: Content, answers: Answers) -> dict[str, list[Section]]:
    """Each topic's sections for these answers; a topic with nothing to say is left out."""
    rules = flow.assessment
    assert rules is not None
    ui = content.ui
    picked = (
        [content.relief[p.id] for p in rules.relief if p.when is None or p.when.holds(answers)]
        if rules.relief
        else list(content.relief.values())
    )
    relief = tuple(f"{r.title}: {r.text}" if r.title else r.text for r in picked)
    stretches = []
    for pick in rules.stretches:
        if pick.when is None or pick.when.holds(answers):
            stretch = content.stretches[pick.id]
            title = ui["title_stretch"].format(name=stretch.title)
            stretches.append(Section(title=title, steps=stretch.steps))
    treatment = tuple(
        f"{t.title}: {t.text}" if t.title else t.text for t in content.treatment.values()
    )
    mine, more = _picked((p.id, p.when is not None and p.when.holds(answers)) for p in rules.tips)
    prevention = []
    if mine:
        prevention.append(
            Section(
                title=ui["title_tips_for_you"], bullets=tuple(content.tips[t].text for t in mine)
            )
        )
    if more:
        prevention.append(
            Section(title=ui["title_tips_more"], bullets=tuple(content.tips[t].text for t in more))
        )
    sections = {
        "causes": _cause_sections(content, rules, answers),
        "relief": [Section(title=ui["title_relief"], bullets=relief)],
        "stretches": stretches,
        "prevention": prevention,
        "treatment": [Section(title=ui["title_treatment"], bullets=treatment)],
        "worth": [
            Section(
                title=ui["title_complications"],
                bullets=tuple(c.text for c in content.complications.values()),
            )
        ],
        "help": [
            Section(
                title=ui["title_seek_help"],
                bullets=tuple(s.text for s in content.seek_help.values()),
            )
        ],
        "about": [
            Section(
                title=ui["title_facts"], paragraphs=tuple(f.text for f in content.facts.values())
            ),
            _disclaimer(content),
        ],
    }
    return {name: sections[name] for name in TOPICS if sections[name]}


def result(flow: Flow, content: Content, answers: Answers) -> Reply:
    """The whole assessment at once: the first message's head and causes, then every topic
    (what ``kneecheck flows check`` measures, and what the topics add up to)."""
    rules = flow.assessment
    assert rules is not None
    level = tier(flow, content, answers)
    head = content.tiers[level]
    sections = [Section(title=content.ui["title_result"], paragraphs=(head.title, head.text))]
    for part in topics(flow, content, answers).values():
        sections += part
    return Reply(kind="result", sections=tuple(sections), tier=level)


FIRST_REASONS = 1
"""Reasons given for the cause in the first message (all of them: "Why these causes")."""


def first(flow: Flow, content: Content, answers: Answers, version: int) -> Reply:
    """The assessment's first message, short enough for a phone screen: what to do (the
    tier), the cause that fits best and why (and the next one's name), when to get help, and
    that it is no diagnosis. Everything else is a button away (:func:`topic`)."""
    rules = flow.assessment
    assert rules is not None
    level = tier(flow, content, answers)
    head = content.tiers[level]
    ui = content.ui
    sections = [Section(title=head.title, paragraphs=(head.text,))]
    ranked = rank_causes(rules, answers)[: rules.first_causes]
    if ranked:
        best, *others = ranked
        joined = ui["reason_joiner"].join(
            content.reasons[r].text for r in best.reasons[:FIRST_REASONS]
        )
        lines = [f"{content.causes[best.cause].title}. {ui['because'].format(reasons=joined)}"]
        if others:
            names = ui["reason_joiner"].join(
                content.causes[c.cause].title or c.cause for c in others
            )
            lines.append(ui["first_also"].format(causes=names))
        sections.append(Section(title=ui["title_first_causes"], paragraphs=tuple(lines)))
    else:
        sections.append(Section(paragraphs=(ui["first_no_clear_cause"],)))
    sections.append(Section(paragraphs=(ui["first_help"],)))
    sections.append(Section(paragraphs=(content.disclaimer.short,)))
    return Reply(
        kind="result",
        sections=tuple(sections),
        tier=level,
        choices=topic_choices(flow, content, answers, version),
    )


def topic_choices(
    flow: Flow, content: Content, answers: Answers, version: int, shown: str | None = None
) -> tuple[Choice, ...]:
    """A button per topic (but the one on screen), each acting on the finished check."""
    return tuple(
        Choice(name, content.ui[f"topic_{name}"], "choose", target=(TOPIC_STEP, version))
        for name in topics(flow, content, answers)
        if name != shown
    )


def topic(flow: Flow, content: Content, answers: Answers, name: str, version: int) -> Reply | None:
    """One topic of the result as its own short message, with the other topics' buttons;
    None for a topic these answers do not have (a forged or outdated button)."""
    parts = topics(flow, content, answers).get(name)
    if parts is None:
        return None
    return Reply(
        kind="info",
        sections=tuple(parts),
        choices=topic_choices(flow, content, answers, version, shown=name),
        tier=tier(flow, content, answers),
    )


def assess(flow: Flow, content: Content, answers: Answers) -> Reply:
    """What the check ends with: urgent advice, or the result's first message."""
    if red_flags(flow, answers):
        return urgent(flow, content, answers)
    return first(flow, content, answers, 0)
