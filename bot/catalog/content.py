"""The schema of a content file (``content/<locale>.yaml``).

Every word a user reads lives here, keyed, so a second language is a new file
and not new code. Every medical statement names its source (the seed article
or a cited public guideline) so a reviewer can trace each claim; red-flag
advice also records when it was last reviewed against that guidance.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Tier = Literal["emergency", "urgent", "soon", "self_care"]
TIER_ORDER: tuple[Tier, ...] = ("emergency", "urgent", "soon", "self_care")
"""Most to least urgent: the assessment shows the first that applies."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    title: str
    publisher: str
    url: str | None = None
    published: dt.date | None = None
    reviewed_on: dt.date
    note: str | None = None


class Sourced(_Strict):
    """A medical statement: text and where it comes from."""

    text: str
    source: str
    title: str | None = None


class OptionText(_Strict):
    label: str
    synonyms: tuple[str, ...] = ()
    """Phrases that pick this option from free text (case and small typos tolerated)."""
    answer: str | None = None
    """How the answer reads in a reason or summary ("you said: …"); defaults to label."""


class StepText(_Strict):
    question: str
    help: str | None = None
    options: dict[str, OptionText]


class RedFlag(_Strict):
    """A warning sign that needs urgent care, with the advice and its cited source."""

    tier: Literal["emergency", "urgent"]
    advice: str
    source: str
    reviewed_on: dt.date


class Stretch(_Strict):
    title: str
    steps: tuple[str, ...] = Field(min_length=2)
    source: str


class TierText(_Strict):
    title: str
    text: str
    source: str


class Content(_Strict):
    locale: str = Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    sources: dict[str, Source]
    ui: dict[str, str]
    commands: dict[str, str]
    steps: dict[str, StepText]
    outcomes: dict[str, Sourced]
    red_flags: dict[str, RedFlag]
    tiers: dict[Tier, TierText]
    causes: dict[str, Sourced]
    reasons: dict[str, Sourced]
    """Why a cause is ranked, in the user's own terms ("you said it started after …")."""
    relief: dict[str, Sourced]
    stretches: dict[str, Stretch]
    treatment: dict[str, Sourced]
    tips: dict[str, Sourced]
    complications: dict[str, Sourced]
    seek_help: dict[str, Sourced]
    facts: dict[str, Sourced]
    disclaimer: Sourced

    @model_validator(mode="after")
    def _sources_exist(self) -> Content:
        for where, source in self.cited():
            if source not in self.sources:
                raise ValueError(f"{where}: unknown source {source!r}")
        return self

    def cited(self) -> list[tuple[str, str]]:
        """Every (content path, source id) pair, for validation and review."""
        pairs: list[tuple[str, str]] = [("disclaimer", self.disclaimer.source)]
        sections: dict[str, dict[str, Sourced] | dict[str, RedFlag] | dict[str, Stretch]] = {
            "outcomes": self.outcomes,
            "red_flags": self.red_flags,
            "causes": self.causes,
            "reasons": self.reasons,
            "relief": self.relief,
            "stretches": self.stretches,
            "treatment": self.treatment,
            "tips": self.tips,
            "complications": self.complications,
            "seek_help": self.seek_help,
            "facts": self.facts,
        }
        for name, items in sections.items():
            pairs.extend((f"{name}.{key}", item.source) for key, item in items.items())
        pairs.extend((f"tiers.{key}", item.source) for key, item in self.tiers.items())
        return pairs
