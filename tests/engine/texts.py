"""Content texts the tests look for, named for what a user would read."""

from __future__ import annotations

from bot.catalog.content import Content

SELF_CARE_SECTIONS = ("relief", "stretches", "treatment", "tips")


def self_care_texts(content: Content) -> list[str]:
    """Every self-care sentence: relief, stretch steps, long-term treatment and prevention tips.

    None of these may appear next to urgent advice.
    """
    texts = [r.text for r in content.relief.values()]
    texts += [step for stretch in content.stretches.values() for step in stretch.steps]
    texts += [t.text for t in content.treatment.values()]
    texts += [t.text for t in content.tips.values()]
    return texts


def self_care_in(text: str, content: Content) -> list[str]:
    """The self-care sentences found in ``text`` (empty when there are none)."""
    return [t for t in self_care_texts(content) if t in text]
