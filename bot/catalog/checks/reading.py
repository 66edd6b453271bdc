"""Reading level: every sentence a user reads, at a reading age of 9 to 11 (shared/CLINICAL.md 6).

The measure is the Flesch-Kincaid grade as textstat computes it (a US school grade; reading
age is about the grade plus 5, so the NHS's reading age of 9 to 11 is grade 4 to 6). It is
taken over every user-facing string of a content file (:func:`reader_texts`): questions,
answers, labels, advice, titles, stretch steps, commands' descriptions and the region words
pasted into urgent advice; never source citations, URLs, ids, synonyms, date formats or
review fields. ``{placeholders}`` are taken out before measuring (the region words they stand
for are measured on their own).

Flesch-Kincaid is noisy on one short string: a single three-syllable word moves a ten-word
sentence by more than a grade, and a five-word title is all noise. So the rules
(:func:`check_reading_level`, ``kneecheck flows check``) are a ceiling per string of
:data:`MIN_WORDS` words or more (:data:`STRING_LIMIT`, reading age 13) and the target on the
distribution of those strings (:data:`P90_LIMIT`: nine in ten at grade 6 or below). A string
that cannot get under the ceiling without losing its meaning (the name of a condition, a
medicine or a nutrient) is listed in :data:`ALLOWED` with its names, never reworded into
something vaguer.

textstat is a development dependency (the dev extra): without it the rule reports one line
saying so. ``bench/reading.py`` prints every grade; ``tests/catalog/test_reading.py`` holds
the rules, and the grade of whole replies as the engine assembles them.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalog.checks.problem import Add
from bot.catalog.content import Content

STRING_LIMIT = 8.0
"""The highest Flesch-Kincaid grade of one string of :data:`MIN_WORDS` words or more."""
MIN_WORDS = 8
"""Shorter strings (labels, titles, buttons) are too short for a grade to mean anything
alone ("Diabetes" reads at grade 32): no rule holds them, and only the all-strings figures
``make bench-reading`` prints count them."""
P90_LIMIT = 6.0
"""The highest 90th percentile of the grades of the strings of :data:`MIN_WORDS` words or
more: nine in ten at the NHS's reading age of 11 or below."""

ALLOWED: Mapping[str, tuple[str, ...]] = {
    # The conditions question's option: two kinds of medicine named so a person can match
    # them to their own packet. Without the names it reads at grade 6.7.
    "steps.conditions.options.medicines.label": ("statin", "diuretic"),
    # Long-term treatment: the three minerals the seed article names, as a person finds them
    # on a food label. Without the names it reads at grade 3.7.
    "treatment.fluids.text": ("potassium", "magnesium", "calcium"),
}
"""Content paths allowed over :data:`STRING_LIMIT`, each with the names that put it there.
Only names of conditions, medicines and nutrients a person must recognise, never a
rewording that would lose them; ``tests/catalog/test_reading.py`` checks that each entry is
still over the limit and reads under it without its names."""

TEXT_FIELDS = frozenset(
    {
        "question",
        "help",
        "label",
        "answer",
        "text",
        "title",
        "advice",
        "escalate",
        "short",
        "urgent",
        "steps",
        "numbers",
        "emergency",
        "emergency_department",
        "urgent_care",
    }
)
"""The fields of content items that a user reads; every other field (``source``,
``reviewed_on``, ``reviewed_by``, ``synonyms``, ``tier``, ``unsafe_with``, a region's
``name``) is for authors and reviewers."""
ALL_STRINGS = frozenset({"ui", "commands"})
"""Sections whose every string is shown to a user (bar :data:`NOT_PROSE`)."""
NOT_PROSE = re.compile(r"_format$")
"""ui keys that are not sentences: strftime formats."""
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
LETTER = re.compile(r"[^\W\d_]")


def _textstat() -> Any:
    import textstat  # no type information shipped: Any (pyproject mypy override)

    return textstat


def available() -> bool:
    """Whether textstat is installed (the dev extra)."""
    try:
        _textstat()
    except ImportError:
        return False
    return True


def prose(text: str) -> str:
    """``text`` as running sentences: placeholders out, every line (a title, a bullet, a
    numbered step) its own sentence, so a heading does not lengthen the sentence after it."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = PLACEHOLDER.sub("", raw)
        line = re.sub(r"^\s*(?:- |\d+\. )", "", line)
        line = re.sub(r"\s+([.,:;!?])", r"\1", re.sub(r"\s{2,}", " ", line)).strip()
        if not LETTER.search(line):
            continue
        if line[-1] not in ".!?:":
            line += "."
        lines.append(line)
    return " ".join(lines)


def grade(text: str) -> float:
    """The Flesch-Kincaid grade of ``text`` as a user reads it (see :func:`prose`)."""
    return float(_textstat().flesch_kincaid_grade(prose(text)))


def words(text: str) -> int:
    """Words in ``text`` as textstat counts them (placeholders out)."""
    return int(_textstat().lexicon_count(prose(text)))


@dataclass(frozen=True)
class Reading:
    """One string's measure."""

    path: str
    text: str
    grade: float
    words: int


def reader_texts(content: Content) -> list[tuple[str, str]]:
    """Every user-facing string of ``content``, by dotted content path (``stretches.calf.
    steps[2]`` for the third step), in file order."""
    data = content.model_dump(exclude={"locale", "sources"}, exclude_none=True)
    found: list[tuple[str, str]] = []
    for section, value in data.items():
        if isinstance(value, Mapping):
            found.extend(_walk(value, section, every=section in ALL_STRINGS))
    return [(path, text) for path, text in found if LETTER.search(PLACEHOLDER.sub("", text))]


def _walk(data: Mapping[str, Any], prefix: str, *, every: bool) -> Iterable[tuple[str, str]]:
    for key, value in data.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            yield from _walk(value, path, every=every)
        elif not (every or key in TEXT_FIELDS) or (every and NOT_PROSE.search(key)):
            continue
        elif isinstance(value, str):
            yield path, value
        elif isinstance(value, (list, tuple)):
            yield from ((f"{path}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))


def measure(texts: Iterable[tuple[str, str]]) -> list[Reading]:
    """The grade and word count of each (path, text)."""
    return [Reading(path, text, grade(text), words(text)) for path, text in texts]


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.9 for the 90th percentile), interpolated between values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(fraction * 100) - 1]


@dataclass(frozen=True)
class Summary:
    """The figures the README and ``make bench-reading`` quote."""

    strings: int
    median: float
    p90: float
    long_strings: int
    """Strings of :data:`MIN_WORDS` words or more."""
    over_limit: int
    """Of those, how many read above :data:`STRING_LIMIT` (allowed ones included)."""

    @property
    def share_over(self) -> float:
        return self.over_limit / self.long_strings if self.long_strings else 0.0


def summarise(readings: list[Reading]) -> Summary:
    grades = [r.grade for r in readings]
    long = long_strings(readings)
    return Summary(
        strings=len(readings),
        median=statistics.median(grades) if grades else 0.0,
        p90=percentile(grades, 0.9),
        long_strings=len(long),
        over_limit=sum(r.grade > STRING_LIMIT for r in long),
    )


def long_strings(readings: list[Reading]) -> list[Reading]:
    """The readings of :data:`MIN_WORDS` words or more, the ones the rules hold."""
    return [r for r in readings if r.words >= MIN_WORDS]


def too_hard(readings: list[Reading]) -> list[Reading]:
    """Strings of :data:`MIN_WORDS` words or more above :data:`STRING_LIMIT`, bar
    :data:`ALLOWED`."""
    return [r for r in long_strings(readings) if r.grade > STRING_LIMIT and r.path not in ALLOWED]


def check_reading_level(content: Content, add: Add) -> None:
    """Each string of :data:`MIN_WORDS` words or more at grade :data:`STRING_LIMIT` or below
    (bar :data:`ALLOWED`), and their 90th percentile at :data:`P90_LIMIT` or below."""
    if not available():
        add("", "reading level not measured: textstat is not installed (pip install -e '.[dev]')")
        return
    readings = measure(reader_texts(content))
    for reading in too_hard(readings):
        add(
            reading.path,
            f"reads at grade {reading.grade:.1f}, over {STRING_LIMIT:g} "
            "(shared/CLINICAL.md 6: short sentences, common words, 'you', the action first)",
        )
    p90 = percentile([r.grade for r in long_strings(readings)], 0.9)
    if p90 > P90_LIMIT:
        add(
            "",
            f"the 90th percentile of the reading grades of strings of {MIN_WORDS}+ words is "
            f"{p90:.1f}, over {P90_LIMIT:g}: make bench-reading lists the hardest",
        )
