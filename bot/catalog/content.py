"""The schema of a content file (``content/<locale>.yaml``).

Every word a user reads lives here, keyed, so a second language is a new file
and not new code. Every medical statement names its source (the seed article
or a cited public guideline) so a reviewer can trace each claim; red-flag
advice also records when it was last reviewed against that guidance.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from bot.catalog.regions import DEFAULT_REGION, PLACEHOLDER

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


Reviewer = Literal["engineer", "gp", "physiotherapist", "pharmacist", "midwife", "nurse"]
"""Who checked an item against its source. ``engineer`` means checked word for word against the
cited guidance but not yet signed off by a clinician (README: "Clinical review")."""


class _Reviewed(_Strict):
    reviewed_on: dt.date | None = None
    reviewed_by: Reviewer | None = None
    """Both are required of every medical item (``kneecheck flows check``)."""


class Sourced(_Reviewed):
    """A medical statement: text and where it comes from."""

    text: str
    source: str
    title: str | None = None
    unsafe_with: tuple[str, ...] = ()
    """Cautions (the flow's ``assessment.cautions``) under which this self-care is unsafe:
    heat after an injury, ice on numb skin."""


class Disclaimer(Sourced):
    short: str
    """The line that ends a short reply: not a diagnosis, not a substitute, the emergency
    number. The full text is one tap away ("Good to know")."""
    urgent: str
    """The line that ends an urgent or emergency reply, which must stay one short screen: not
    a diagnosis, and no self-care until a professional has looked (CLINICAL.md 2)."""


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


class RedFlag(_Reviewed):
    """A warning sign that needs urgent care, with the advice and its cited source."""

    tier: Literal["emergency", "urgent"]
    advice: str
    source: str
    answer: str | None = None
    """How a sign read from several answers (no option of its own) is named to the user."""
    escalate: str | None = None
    """When to call the emergency number instead ("Call 999 if you also get breathless"):
    kept apart from the advice so that it is said even when another sign leads the reply."""


class Stretch(_Reviewed):
    title: str
    steps: tuple[str, ...] = Field(min_length=2)
    source: str


class TierText(_Reviewed):
    title: str
    text: str
    source: str


class RegionWords(_Reviewed):
    """How one region says "call for an ambulance" and "get seen today"."""

    name: str
    """The region as a reader knows it ("the UK"), for reviewers and the README."""
    emergency: str
    """The number to call now ("999"), or, for ``default``, every region's number."""
    emergency_department: str
    """Where to go now ("A&E", "the emergency room")."""
    urgent_care: str
    """How to be seen today, as a clause ("ask for an urgent GP appointment or call 111")."""
    numbers: str = ""
    """A sentence listing emergency numbers, for ``default`` only: a region we know needs no
    list, a user we cannot place gets every number once (in the emergency heading's text)."""
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
    disclaimer: Disclaimer
    regions: dict[str, RegionWords]
    """Emergency and urgent-care words by region; ``default`` for a user we cannot place."""
    _regional: dict[str, Content] = PrivateAttr(default_factory=dict)
    _base: Content | None = PrivateAttr(default=None)
    """The content with its placeholders, of which this is a regional copy."""

    @model_validator(mode="after")
    def _sources_exist(self) -> Content:
        for where, source in self.cited():
            if source not in self.sources:
                raise ValueError(f"{where}: unknown source {source!r}")
        if DEFAULT_REGION not in self.regions:
            raise ValueError(f"regions: needs {DEFAULT_REGION!r}, for users we cannot place")
        return self

    def for_region(self, region: str | None) -> Content:
        """This content with every ``{emergency}``-style placeholder filled for ``region``
        (``default`` when unknown). Built once per region and kept: content is immutable."""
        if self._base is not None:  # a regional copy has no placeholders left to fill
            return self._base.for_region(region)
        key = region if region in self.regions else DEFAULT_REGION
        done = self._regional.get(key)
        if done is None:
            words = self.regions[key].model_dump()

            def fill(value: object) -> object:
                if isinstance(value, str) and "{" in value:
                    filled = PLACEHOLDER.sub(lambda m: str(words[m.group(1)]), value)
                    return filled.strip() if filled != value else value
                if isinstance(value, dict):
                    return {k: fill(v) for k, v in value.items()}
                if isinstance(value, (list, tuple)):
                    return [fill(v) for v in value]
                return value

            data = fill(self.model_dump(exclude={"regions"}))
            assert isinstance(data, dict)
            done = Content.model_validate({**data, "regions": self.regions})
            done._regional = self._regional  # one cache for every regional copy
            done._base = self
            self._regional[key] = done
        return done

    def medical(self) -> list[tuple[str, _Reviewed]]:
        """Every item that says something medical, by content path: each needs a source, a
        review date and a reviewer role."""
        items: list[tuple[str, _Reviewed]] = [("disclaimer", self.disclaimer)]
        sections: dict[str, dict[str, Sourced] | dict[str, RedFlag] | dict[str, Stretch]] = {
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
        for name, section in sections.items():
            items.extend((f"{name}.{key}", item) for key, item in section.items())
        items.extend((f"tiers.{key}", item) for key, item in self.tiers.items())
        items.extend((f"regions.{key}", item) for key, item in self.regions.items())
        items.extend(
            (f"outcomes.{key}", item)
            for key, item in self.outcomes.items()
            if self.sources.get(item.source) is None or item.source != "kneecheck"
        )
        return items

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
        pairs.extend((f"regions.{key}", item.source) for key, item in self.regions.items())
        return pairs
