"""The assessment: its rules must fit the flow, and every section it builds must fit a message."""

from __future__ import annotations

from bot.catalog.checks.limits import rendered, too_long
from bot.catalog.checks.problem import Add
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.catalog.flow_queries import red_flag_options
from bot.engine import assessment

Answers = dict[str, str | tuple[str, ...]]

URGENT_WORDS = 60
"""An urgent or emergency reply is one short screen: the instruction, why, and the line that
ends it (issue 15; CLINICAL.md 2 and 6). Someone in an emergency reads this much, not more."""


def check_assessment_rules(flow: Flow, add: Add) -> None:
    """The red-flag step and the outcome that shows the assessment must fit together."""
    rules = flow.assessment
    has_outcome = any(o.kind == "assessment" for o in flow.outcomes)
    if rules is None:
        for outcome in flow.outcomes:
            if outcome.kind == "assessment":
                add(f"outcomes[{outcome.id}]", "kind assessment needs an `assessment:` section")
        return
    if not has_outcome:
        add("assessment", "no outcome has kind assessment, so red flags have nowhere to go")
    step = flow.step(rules.red_flag_step)
    if step is None:
        add("assessment.red_flag_step", f"{rules.red_flag_step!r} names no step")
    elif step.kind != "multi":
        add("assessment.red_flag_step", f"step {step.id!r} must be a multi-choice step")
    elif not red_flag_options(step):
        add("assessment.red_flag_step", f"step {step.id!r} has no option marked red_flag")


def check_assessment_sections(flow: Flow, content: Content, add: Add) -> None:
    """Build the assessment for representative answers and measure each section.

    A renderer may split a reply between sections only, so each section must fit
    in one message. Building it also proves the engine finds every key it needs.
    """
    if flow.assessment is None:
        return
    for answers in _answer_sets(flow):
        try:
            reply = (
                assessment.urgent(flow, content, answers)
                if assessment.red_flags(flow, answers)
                else assessment.result(flow, content, answers)
            )
        except (KeyError, IndexError, ValueError) as exc:
            add(
                "(assessment)",
                f"cannot build the assessment of flow {flow.id!r}: missing {exc} "
                "(a content key, or a ui placeholder the bot does not fill)",
            )
            return
        for section in reply.sections:
            text = rendered(section)
            name = section.title or text[:40]
            too_long("(assessment)", f"the assessment section {name!r}", text, add)


def check_urgent_length(flow: Flow, content: Content, add: Add) -> None:
    """Every warning sign's reply, in every region's words, fits :data:`URGENT_WORDS`."""
    rules = flow.assessment
    red = flow.step(rules.red_flag_step) if rules is not None else None
    if red is None:
        return
    for flag in red_flag_options(red):
        for region in content.regions:
            regional = content.for_region(region)
            try:
                reply = assessment.urgent(flow, regional, {red.id: (flag,)})
            except (KeyError, IndexError, ValueError, StopIteration):
                return  # reported by check_assessment_sections
            words = len(reply.text().split())
            if words > URGENT_WORDS:
                add(
                    f"red_flags.{flag}.advice",
                    f"the {region} urgent reply has {words} words, over {URGENT_WORDS}: "
                    "shorten the advice (the instruction first, then why)",
                )


def _answer_sets(flow: Flow) -> list[Answers]:
    """A few answer sets that between them produce the largest assessment sections.

    No answers lists every cause and every tip in one section; every red flag
    puts all urgent advice in one section; and for each option position, every
    single-choice step answered with that option and every multi-choice step
    with all of its ordinary options fires as many signals as can fire at once.
    """
    sets: list[Answers] = [{}]
    rules = flow.assessment
    if rules is not None:
        red = flow.step(rules.red_flag_step)
        if red is not None:
            sets.append({red.id: red_flag_options(red)})
    for position in range(max(len(s.options) for s in flow.steps)):
        answers: Answers = {}
        for step in flow.steps:
            if step.kind == "single":
                answers[step.id] = step.options[min(position, len(step.options) - 1)].id
            else:
                ordinary = tuple(o.id for o in step.options if not (o.exclusive or o.red_flag))
                if ordinary:
                    answers[step.id] = ordinary
        sets.append(answers)
    return sets
