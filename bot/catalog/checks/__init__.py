"""Cross-checks of flows and content that the schemas alone cannot express.

The pydantic schemas validate one file at a time. What breaks a conversation in
production is between files and between parts of one file: a transition to a
step that was renamed, a question with no English text, a German file missing a
key, a path that loops forever, a button whose callback data Telegram refuses.
:func:`check_catalog` finds all of these up front, so ``kneecheck flows check``
fails in CI instead of a user hitting a ``KeyError`` mid-conversation.

Every :class:`Problem` names the file and a dotted path inside it, because the
reader is a flow or content author, not a programmer reading a traceback.
Flow paths address list items by id (``steps[location].next[0].to``); content
paths are dotted keys (``steps.location.options.above.label``), the same keys
the translation check compares.

One module per kind of check: :mod:`.paths` (the transition graph),
:mod:`.options` (duplicate ids, labels and phrases), :mod:`.references` (names
one part uses that another lacks), :mod:`.assessment` (the assessment rules and
the sections built from them), :mod:`.limits` (Telegram's sizes), :mod:`.safety`
(the clinical rules: warning signs lead to urgent advice, no unsafe self-care,
region-aware numbers, reviewed items), :mod:`.translations` (keys and
placeholders against the default locale) and :mod:`.reading` (the Flesch-Kincaid grade of
every English string a user reads, shared/CLINICAL.md rule 6).
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalog.catalog import Catalog
from bot.catalog.checks.assessment import (
    check_assessment_rules,
    check_assessment_sections,
    check_urgent_length,
)
from bot.catalog.checks.limits import (
    CALLBACK_ACTIONS,
    CALLBACK_LIMIT,
    MESSAGE_LIMIT,
    WIDEST_VERSION,
    callback_data,
    check_message_lengths,
)
from bot.catalog.checks.options import check_duplicate_texts, check_options
from bot.catalog.checks.paths import check_paths
from bot.catalog.checks.problem import Add, Problem
from bot.catalog.checks.reading import check_reading_level
from bot.catalog.checks.references import check_conditions, check_flow_texts, check_unused_texts
from bot.catalog.checks.safety import (
    check_region_numbers,
    check_region_words,
    check_reviewed,
    check_unsafe_picks,
    check_warning_signs_lead_to_urgent_advice,
)
from bot.catalog.checks.translations import check_format_strings, check_translation

__all__ = [
    "CALLBACK_ACTIONS",
    "CALLBACK_LIMIT",
    "MESSAGE_LIMIT",
    "WIDEST_VERSION",
    "Problem",
    "callback_data",
    "check_catalog",
]


def check_across_flows(catalog: Catalog, sink: Callable[[str, str], Add]) -> None:
    """What one flow says about another: offers name a flow, step ids are unique, zones exist.

    Step ids must be unique across flows because content keys a step's text by its id.
    """
    owner: dict[str, str] = {}
    for flow in catalog.flows.values():
        add = sink("flow", flow.id)
        for outcome in flow.outcomes:
            if outcome.offer is not None and outcome.offer not in catalog.flows:
                add(f"outcomes[{outcome.id}].offer", f"{outcome.offer!r} names no flow")
        for step in flow.steps:
            if step.id in owner:
                add(f"steps[{step.id}]", f"step id {step.id!r} is also used by {owner[step.id]!r}")
            owner.setdefault(step.id, flow.id)
            for option in step.options:
                if option.zone is not None and not _is_zone(option.zone):
                    add(f"steps[{step.id}].options[{option.id}].zone", f"unknown {option.zone!r}")


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_catalog(catalog: Catalog) -> list[Problem]:
    """Every problem in the loaded flows and content, in a stable order, without duplicates."""
    problems: list[Problem] = []

    def sink(kind: str, name: str) -> Add:
        file = catalog.sources.get(f"{kind}:{name}", f"<{kind} {name}>")
        return lambda path, message: problems.append(Problem(file, path, message))

    flows = list(catalog.flows.values())
    check_across_flows(catalog, sink)
    for flow in flows:
        add = sink("flow", flow.id)
        check_paths(flow, add)
        check_options(flow, add)
        check_assessment_rules(flow, add)
        check_conditions(flow, add)
        check_warning_signs_lead_to_urgent_advice(flow, add)
    for locale, content in catalog.contents.items():
        add = sink("content", locale)
        for flow in flows:
            before = len(problems)
            check_flow_texts(flow, content, add)
            if len(problems) == before:  # the assessment can only be built from complete texts
                check_assessment_sections(flow, content, add)
                check_urgent_length(flow, content, add)
                check_unsafe_picks(flow, content, sink("flow", flow.id))
        check_unused_texts(flows, content, add)
        check_duplicate_texts(content, add)
        check_reviewed(content, add)
        check_region_numbers(content, add)
        check_region_words(catalog.where, content, add)
        check_message_lengths(flows, content, add)
        if content.locale.split("-")[0] == "en":  # Flesch-Kincaid is an English measure
            check_reading_level(content, add)
    reference = catalog.contents.get(catalog.default_locale)
    if reference is not None:
        check_format_strings(reference, sink("content", reference.locale))
        for locale, content in catalog.contents.items():
            if locale != reference.locale:
                check_translation(reference, content, sink("content", locale))
    return list(dict.fromkeys(problems))
