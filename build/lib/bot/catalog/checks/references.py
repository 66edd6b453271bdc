"""Names one part uses that another part lacks.

Conditions that name a missing step or option, texts a flow shows that a
locale lacks, and texts a locale has that no flow shows. Transition targets
that name nothing are part of the graph check (:mod:`.paths`).
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping

from bot.catalog.checks.problem import Add
from bot.catalog.conditions import Condition
from bot.catalog.content import TIER_ORDER, Content
from bot.catalog.flow import Flow
from bot.catalog.flow_queries import red_flag_options


def check_conditions(flow: Flow, add: Add) -> None:
    """Every condition of the flow must name steps and options that exist."""
    for path, condition in _conditions(flow):
        _check_condition(flow, path, condition, add)


def _conditions(flow: Flow) -> Iterator[tuple[str, Condition]]:
    """Every condition in the flow, with its path."""
    for step in flow.steps:
        for i, transition in enumerate(step.next):
            if transition.when is not None:
                yield f"steps[{step.id}].next[{i}].when", transition.when
    rules = flow.assessment
    if rules is None:
        return
    for cause in rules.causes:
        for signal in cause.signals:
            yield f"assessment.causes[{cause.id}].signals[{signal.id}].when", signal.when
    for kind, picks in (
        ("stretches", rules.stretches),
        ("tips", rules.tips),
        ("relief", rules.relief),
    ):
        for pick in picks:
            if pick.when is not None:
                yield f"assessment.{kind}[{pick.id}].when", pick.when
    for i, tier in enumerate(rules.tiers):
        yield f"assessment.tiers[{i}].when", tier.when
    for flag in rules.flags:
        yield f"assessment.flags[{flag.id}].when", flag.when
    for name, caution in rules.cautions.items():
        yield f"assessment.cautions.{name}", caution


def _check_condition(flow: Flow, path: str, condition: Condition, add: Add) -> None:
    for step_id, option_id in condition.refs():
        step = flow.step(step_id)
        if step_id in flow.facts:
            values = flow.facts[step_id]
            if option_id is not None and option_id not in values:
                add(
                    path,
                    f"fact {step_id!r} has no value {option_id!r} (it has: {', '.join(values)})",
                )
        elif step is None:
            add(path, f"refers to step {step_id!r}, which does not exist")
        elif option_id is not None and step.option(option_id) is None:
            known = ", ".join(o.id for o in step.options)
            add(
                path,
                f"refers to option {option_id!r} of step {step_id!r}, "
                f"which has no such option (it has: {known})",
            )


def check_flow_texts(flow: Flow, content: Content, add: Add) -> None:
    """Every text the flow will show must exist in this locale."""
    for step in flow.steps:
        text = content.steps.get(step.id)
        if text is None:
            add(f"steps.{step.id}", f"no text (question, options) for step {step.id!r}")
            continue
        for option in step.options:
            if option.id not in text.options:
                add(
                    f"steps.{step.id}.options.{option.id}",
                    f"no label for option {option.id!r} of step {step.id!r}",
                )
    for outcome in flow.outcomes:
        if outcome.kind != "assessment" and outcome.id not in content.outcomes:
            add(f"outcomes.{outcome.id}", f"no text for the {outcome.kind} outcome {outcome.id!r}")
        if outcome.offer is not None and f"offer_{outcome.offer}" not in content.ui:
            add(f"ui.offer_{outcome.offer}", f"no label for the button offering {outcome.offer!r}")
        for action in outcome.reminder_buttons:
            if f"reminders_{action}" not in content.ui:
                add(f"ui.reminders_{action}", f"no label for the {action!r} reminders button")
    rules = flow.assessment
    if rules is None:
        return
    wanted: list[tuple[str, Container[str], str, str]] = [
        ("causes", content.causes, c.id, "cause") for c in rules.causes
    ]
    wanted += [
        ("reasons", content.reasons, s.id, "signal") for c in rules.causes for s in c.signals
    ]
    wanted += [("stretches", content.stretches, p.id, "stretch") for p in rules.stretches]
    wanted += [("tips", content.tips, p.id, "tip") for p in rules.tips]
    wanted += [("relief", content.relief, p.id, "relief step") for p in rules.relief]
    wanted += [("red_flags", content.red_flags, f.id, "warning sign") for f in rules.flags]
    wanted += [("tiers", content.tiers, t, "tier") for t in TIER_ORDER]
    for section, items, item_id, what in wanted:
        if item_id not in items:
            add(f"{section}.{item_id}", f"no text for the {what} {item_id!r} of flow {flow.id!r}")
    _check_red_flag_texts(flow, rules.red_flag_step, content, add)


def _check_red_flag_texts(flow: Flow, step_id: str, content: Content, add: Add) -> None:
    step = flow.step(step_id)
    flagged = set(red_flag_options(step)) if step else set()
    derived = {f.id for f in flow.assessment.flags} if flow.assessment else set()
    for option_id in sorted(flagged - content.red_flags.keys()):
        add(
            f"red_flags.{option_id}",
            f"option {option_id!r} of step {step_id!r} is a red flag but has no advice here",
        )
    for flag in content.red_flags:
        if flag in derived and content.red_flags[flag].answer is None:
            add(f"red_flags.{flag}.answer", "a sign read from answers needs an `answer` text")
        elif flag not in flagged and content.red_flags[flag].answer is None:
            add(
                f"red_flags.{flag}",
                f"no red-flag option {flag!r} in step {step_id!r} of flow {flow.id!r}: "
                "typing one of its phrases would not lead to urgent advice",
            )


def check_unused_texts(flows: list[Flow], content: Content, add: Add) -> None:
    """Text that no flow shows is usually a typo or a renamed id."""
    options = {s.id: {o.id for o in s.options} for f in flows for s in f.steps}
    for step_id, text in content.steps.items():
        if step_id not in options:
            add(f"steps.{step_id}", f"text for step {step_id!r}, but no flow has that step")
            continue
        for option_id in text.options:
            if option_id not in options[step_id]:
                add(
                    f"steps.{step_id}.options.{option_id}",
                    f"text for option {option_id!r}, but step {step_id!r} has no such option",
                )
    ends = {o.id for f in flows for o in f.outcomes if o.kind != "assessment"}
    for outcome_id in content.outcomes:
        if outcome_id not in ends:
            add(f"outcomes.{outcome_id}", f"no flow has an outcome {outcome_id!r} that shows text")
    rules = [f.assessment for f in flows if f.assessment is not None]
    if not rules:
        return
    used = {
        "reasons": {s.id for r in rules for c in r.causes for s in c.signals},
        "stretches": {p.id for r in rules for p in r.stretches},
        "tips": {p.id for r in rules for p in r.tips},
        "relief": {p.id for r in rules for p in r.relief},
    }
    present: dict[str, Mapping[str, object]] = {
        "reasons": content.reasons,
        "stretches": content.stretches,
        "tips": content.tips,
        "relief": content.relief,
    }
    for section, ids in used.items():
        for item_id in present[section]:
            if item_id not in ids:
                add(f"{section}.{item_id}", f"no flow's assessment uses {section} {item_id!r}")
