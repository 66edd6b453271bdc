"""The schema of a locale's understanding lexicon (``content/understanding/<locale>.yaml``).

Data, not code: concepts (findings, body sites, events) with the phrases that name them,
context cues in the ConText vocabulary (negated, possible, hypothetical, historical,
other person, hedge), and the rules that turn concepts into warning signs. A phrase may
hold alternatives, ``(swollen|puffed up)``, and optional words, ``(really|)``; they are
expanded when the lexicon loads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ConceptKind = Literal["finding", "site", "event", "ignore"]
"""``site`` pairs with the nearest finding; ``event`` (an injury, a long journey) counts
anywhere in the message; ``ignore`` hides what it covers ("hot weather" is not a hot knee)."""
Category = Literal["negated", "possible", "hypothetical", "historical", "other", "hedge"]
Direction = Literal["forward", "backward", "both", "pseudo"]
"""ConText directions; ``pseudo`` cues match only to stop a shorter cue inside them
("no doubt", "not sure" is not a negation)."""

LONG_DURATION = "long_duration"
"""A concept no phrase names: a duration of 10 minutes or more, said of how long something
lasted ("a cramp for 20 minutes"); read from numbers by :mod:`bot.understanding.values`."""
BUILT_IN = frozenset({LONG_DURATION})

MAX_EXPANSIONS = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Concept(_Strict):
    kind: ConceptKind = "finding"
    phrases: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    """Hints rather than statements ("a bit puffy"): a sign resting on one is asked about."""

    @model_validator(mode="after")
    def _some_phrase(self) -> Concept:
        if not self.phrases and not self.weak:
            raise ValueError("a concept needs at least one phrase")
        return self


class Cue(_Strict):
    """One ConText modifier: each of ``phrases`` changes the concepts within ``scope`` words."""

    phrases: tuple[str, ...] = Field(min_length=1)
    category: Category
    direction: Direction = "forward"
    scope: int = Field(default=6, ge=1, le=20)
    final: bool = False
    """Counts only at the end of a clause ("swelling? no"), so that "my calf is swollen,
    no chest pain" does not deny the swelling."""
    across: bool = False
    """A backward cue that reaches over commas, joiners and "but" to the start of the
    sentence: "tingly when I sat cross-legged, but it's back to normal". Only for cues whose
    own subject is "it" or none, so they can only be about what came before."""


class Alternative(_Strict):
    """One way to say a sign: every group of ``findings`` in one sentence (one concept of
    each), the first group's nearest site among ``sites``, ``events`` anywhere."""

    findings: tuple[tuple[str, ...], ...] = Field(min_length=1)
    sites: tuple[str, ...] = ()
    siteless: Literal["sign", "hint", "none"] = "none"
    """What a finding with no body site anywhere in the message means ("it's swollen")."""
    events: tuple[str, ...] = ()
    hint: bool = False
    """This way of saying it is only a hint: ask a yes/no question before acting on it."""


class Values(_Strict):
    """Words that give numbers their meaning; see :mod:`bot.understanding.values`."""

    numbers: dict[str, int]
    age_before: tuple[str, ...]
    age_after: tuple[str, ...]
    minutes: tuple[str, ...]
    hours: tuple[str, ...]
    per_week: tuple[str, ...]
    per_day: tuple[str, ...]
    duration_before: tuple[str, ...]
    lasted: tuple[str, ...] = ()
    """Words before a duration that always mean how long it lasted ("that lasted 20 min"),
    whatever came before them (a run, a meeting)."""
    """A duration counts as how long something lasts only after one of these ("for")."""
    not_a_duration: tuple[str, ...]
    """...and not right after one of these ("after sitting for 9 hours")."""
    fixed_minutes: dict[str, int]
    fixed_per_week: dict[str, float]
    am: tuple[str, ...]
    pm: tuple[str, ...]


class Lexicon(_Strict):
    locale: str = Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    plain_words: tuple[str, ...] = ()
    """Everyday words that are never corrected into a lexicon word ("could" -> "cold")."""
    terminators: tuple[str, ...] = ()
    """Words that end a cue's reach ("no swelling but my chest hurts")."""
    joiners: tuple[str, ...] = ()
    """Words (and commas) that end a cue's reach unless a finding follows them ("no
    swelling and no redness" keeps both negated; "no swelling and my chest hurts" does not)."""
    vague_words: tuple[str, ...] = ()
    """Single words that answer the question asked but say too little to answer another
    question in passing ("good", "some", "often")."""
    subjects: tuple[str, ...] = ()
    """Words that end a cue's reach forwards only: the speaker turning to themselves."""
    reporting: tuple[str, ...] = ()
    """Verbs of another person telling about the user ("my daughter measured both calves"):
    what follows is the user's."""
    relatives: tuple[str, ...] = ()
    """Terminators that do not end another person's story ("the one who...")."""
    symbols: dict[str, str] = Field(default_factory=dict)
    """Pictures people type for a word ("🚽 brown!!"): each one character, read as its words."""
    concepts: dict[str, Concept]
    context: tuple[Cue, ...] = ()
    signs: dict[str, tuple[Alternative, ...]]
    values: Values | None = None

    @field_validator("symbols")
    @classmethod
    def _one_character_each(cls, symbols: dict[str, str]) -> dict[str, str]:
        long = [s for s in symbols if len(s) != 1]
        if long:
            raise ValueError(f"symbols must be one character each: {long}")
        return symbols

    @model_validator(mode="after")
    def _rules_name_concepts(self) -> Lexicon:
        for sign, alternatives in self.signs.items():
            for n, alt in enumerate(alternatives):
                named = [c for group in alt.findings for c in group]
                named += [*alt.sites, *alt.events]
                missing = sorted(c for c in named if c not in self.concepts and c not in BUILT_IN)
                if missing:
                    raise ValueError(f"signs.{sign}[{n}]: unknown concepts {missing}")
        return self


def expand(pattern: str) -> list[str]:
    """``"(my|the) calf (is|) (swollen|(puffed|blown) up)"`` -> every phrase it stands for."""
    alternatives, end = _sequence(pattern, 0)
    if end != len(pattern):
        raise ValueError(f"{pattern!r}: unbalanced ')' at {end}")
    phrases = sorted({" ".join(p.split()) for p in alternatives} - {""})
    if len(phrases) > MAX_EXPANSIONS:
        raise ValueError(f"{pattern!r} expands to more than {MAX_EXPANSIONS} phrases")
    return phrases


def _sequence(pattern: str, pos: int) -> tuple[list[str], int]:
    """Expand from ``pos`` up to an unmatched ``|`` or ``)``; return the texts and the stop."""
    texts = [""]
    while pos < len(pattern) and pattern[pos] not in "|)":
        if pattern[pos] == "(":
            options: list[str] = []
            pos += 1
            while True:
                branch, pos = _sequence(pattern, pos)
                options.extend(branch)
                if pos >= len(pattern):
                    raise ValueError(f"{pattern!r}: unclosed '('")
                if pattern[pos] == ")":
                    pos += 1
                    break
                pos += 1  # past "|"
            texts = [t + o for t in texts for o in options]
        else:
            nxt = min(
                (i for i in (pattern.find(c, pos) for c in "()|") if i >= 0), default=len(pattern)
            )
            texts = [t + pattern[pos:nxt] for t in texts]
            pos = nxt
        if len(texts) > MAX_EXPANSIONS:
            raise ValueError(f"{pattern!r} expands to more than {MAX_EXPANSIONS} phrases")
    return texts, pos
