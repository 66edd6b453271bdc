"""Clinical safety rules (shared/CLINICAL.md) that a flow or content edit must not break.

These are the promises a reviewer signs off once and every later edit keeps: a warning sign
always leads to urgent advice; self-care that can hurt (heat after an injury, ice on numb
skin, ibuprofen in pregnancy) is never shown when the answers say it could; every emergency
sentence names the user's own number through ``{emergency}``; and every medical item says
where it comes from, when it was checked and by whom.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from bot.catalog.checks.problem import Add
from bot.catalog.checks.translations import flatten
from bot.catalog.conditions import Condition
from bot.catalog.content import Content, Sourced
from bot.catalog.flow import Flow, Pick
from bot.catalog.flow_queries import red_flag_options
from bot.catalog.regions import Where
from bot.engine.questions import next_node

LITERAL_NUMBER = re.compile(r"(?<![\d{])\b(?:999|911|112|000|111)\b|A&E")
"""An emergency number or service named directly: right in one country, wrong elsewhere."""
COMBINATIONS_LIMIT = 100_000


def check_warning_signs_lead_to_urgent_advice(flow: Flow, add: Add) -> None:
    """Each warning sign on the red-flag step goes straight to the assessment outcome, where
    it becomes urgent advice and nothing else (no question, no self-care text)."""
    rules = flow.assessment
    step = flow.step(rules.red_flag_step) if rules is not None else None
    if step is None:
        return
    for option in red_flag_options(step):
        try:
            node = next_node(step, {step.id: (option,)})
        except ValueError:
            continue  # `paths` reports a step without a fallback transition
        outcome = flow.outcome(node)
        if outcome is None or outcome.kind != "assessment":
            add(
                f"steps[{step.id}].next",
                f"the warning sign {option!r} leads to {node!r}, not to urgent advice",
            )


def check_unsafe_picks(flow: Flow, content: Content, add: Add) -> None:
    """No self-care item is picked where one of its ``unsafe_with`` cautions can hold."""
    rules = flow.assessment
    if rules is None:
        return
    kinds: tuple[tuple[str, tuple[Pick, ...], Mapping[str, object]], ...] = (
        ("relief", rules.relief, content.relief),
        ("tips", rules.tips, content.tips),
    )
    for kind, picks, items in kinds:
        for pick in picks:
            item = items.get(pick.id)
            if not isinstance(item, Sourced):
                continue
            for name in item.unsafe_with:
                caution = rules.cautions.get(name)
                where = f"assessment.{kind}[{pick.id}].when"
                if caution is None:
                    add(
                        f"{kind}.{pick.id}.unsafe_with",
                        f"caution {name!r} is not defined in flow {flow.id!r} assessment.cautions",
                    )
                elif pick.when is None:
                    add(where, f"{kind} {pick.id!r} is unsafe with {name!r} but always shown")
                elif _both_can_hold(flow, caution, pick.when):
                    add(where, f"{kind} {pick.id!r} can be shown when {name!r} holds (unsafe)")


def _both_can_hold(flow: Flow, first: Condition, second: Condition) -> bool:
    """Whether some answers make both conditions hold. Only the options the conditions name
    (and one other, and no answer) can change them, so those are all that is tried."""
    named: dict[str, set[str]] = {}
    for condition in (first, second):
        for step_id, option in condition.refs():
            named.setdefault(step_id, set())
            if option is not None:
                named[step_id].add(option)
    choices: list[list[str | tuple[str, ...] | None]] = []
    for step_id, options in named.items():
        step = flow.step(step_id)
        other = next((o.id for o in step.options if o.id not in options), None) if step else None
        pool = sorted(options) + ([other] if other else [])
        if step is not None and step.kind == "multi":
            subsets = itertools.chain.from_iterable(
                itertools.combinations(pool, n) for n in range(len(pool) + 1)
            )
            choices.append([tuple(s) for s in subsets] + [None])
        else:
            choices.append([*pool, None])
    for count, combo in enumerate(itertools.product(*choices)):
        if count > COMBINATIONS_LIMIT:
            return True  # too many to prove safe: treat as unsafe, so a person looks
        answers = {k: v for k, v in zip(named, combo, strict=True) if v is not None}
        if first.holds(answers) and second.holds(answers):
            return True
    return False


def check_region_words(where: Where, content: Content, add: Add) -> None:
    """Every region a time zone or language can place a user in has its words here; a
    region without them would quietly fall back to the neutral "your local emergency number"."""
    named = {*where.zones, *where.languages.regions, *where.languages.bare}
    for region in sorted(named - content.regions.keys()):
        add(
            f"regions.{region}",
            f"content/regions/where.yaml places users in {region!r}, which has no words here",
        )


def check_reviewed(content: Content, add: Add) -> None:
    """Every medical item names a source (the schema), a review date and a reviewer role."""
    for path, item in content.medical():
        if item.reviewed_on is None:
            add(f"{path}.reviewed_on", "a medical item needs the date it was last reviewed")
        if item.reviewed_by is None:
            add(f"{path}.reviewed_by", "a medical item needs the role of who reviewed it")


SLOWER = re.compile(r"\b(today|same[- ]day|this week|in the coming days)\b", re.IGNORECASE)
"""Time frames later than "now", which an emergency reply never gives."""


def check_region_numbers(content: Content, add: Add) -> None:
    """Emergency sentences name the number through ``{emergency}``, never a literal one."""
    for path, value in flatten(content.model_dump(exclude={"regions", "sources"})).items():
        if path.endswith(".synonyms"):
            continue
        texts = value if isinstance(value, list) else [value]
        found = next(
            (f for t in texts if isinstance(t, str) and (f := LITERAL_NUMBER.search(t))), None
        )
        if found:
            add(
                path,
                f"names {found.group(0)!r} directly: use {{emergency}}, "
                "{emergency_department} or {urgent_care}, filled in by region",
            )
    for key, flag in content.red_flags.items():
        # The advice follows its tier's heading ("Call {emergency} now", checked below) and
        # says why: a second time frame in it would blur the one instruction.
        if flag.tier == "emergency" and SLOWER.search(flag.advice):
            add(f"red_flags.{key}.advice", "emergency advice must not give a later time frame")
    emergency = content.tiers.get("emergency")
    if emergency is not None and "{emergency}" not in emergency.title:
        add("tiers.emergency.title", "the emergency heading must say to call {emergency}")
