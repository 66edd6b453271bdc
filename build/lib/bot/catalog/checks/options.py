"""Options: duplicate ids, misplaced red flags, and labels or phrases two options share."""

from __future__ import annotations

from bot.catalog.checks.limits import check_callbacks
from bot.catalog.checks.problem import Add
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.understanding.text import tokens


def check_options(flow: Flow, add: Add) -> None:
    """Duplicate option ids, misplaced red flags, and callback data that Telegram refuses."""
    red_flag_step = flow.assessment.red_flag_step if flow.assessment else None
    for step in flow.steps:
        seen: set[str] = set()
        for i, option in enumerate(step.options):
            if option.id in seen:
                add(f"steps[{step.id}].options[{i}].id", f"option {option.id!r} appears twice")
            seen.add(option.id)
            if option.red_flag and step.id != red_flag_step:
                add(
                    f"steps[{step.id}].options[{option.id}].red_flag",
                    "has no effect: only options of the assessment's red_flag_step "
                    f"({red_flag_step or 'none'}) are red flags",
                )
        check_callbacks(step, add)


def check_duplicate_texts(content: Content, add: Add) -> None:
    """Two buttons with one label, or one typed phrase picking two options, confuse users."""
    for step_id, text in content.steps.items():
        labels: dict[str, str] = {}
        phrases: dict[str, tuple[str, bool]] = {}
        for option_id, option in text.options.items():
            path = f"steps.{step_id}.options.{option_id}"
            label = " ".join(option.label.casefold().split())
            if label in labels:
                add(f"{path}.label", f"same label as option {labels[label]!r} of the same step")
            labels.setdefault(label, option_id)
            typed = [(option.label, True), *((s, False) for s in option.synonyms)]
            for phrase, is_label in typed:
                key = " ".join(t.text for t in tokens(phrase) if t.kind in ("word", "number"))
                other, other_is_label = phrases.get(key, (option_id, False))
                if other != option_id and not (is_label and other_is_label):
                    add(
                        f"{path}.{'label' if is_label else 'synonyms'}",
                        f"{phrase!r} also picks option {other!r} of the same step, "
                        "so a typed answer would be ambiguous",
                    )
                if key:
                    phrases.setdefault(key, (option_id, is_label))
