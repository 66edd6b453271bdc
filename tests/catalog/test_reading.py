"""Reading level of what kneecheck says (shared/CLINICAL.md rule 6; issue 15).

The measure is the Flesch-Kincaid grade as textstat computes it (a US school grade). The NHS
writes for a reading age of 9 to 11 (its content style guide: the average reading age in
the UK is 9), which is grade 4 to 6, as reading age is about the grade plus 5. The limits:

- **Every string of 8 words or more at grade 8 or below** (reading age 13 at most).
  Flesch-Kincaid is noisy on one short string: one three-syllable word moves a ten-word
  sentence by more than a grade, so a ceiling per string two grades above the target
  catches the sentence that is really hard without failing on noise. Shorter strings
  (labels, titles, buttons) are too short to grade alone.
- **The 90th percentile of those strings at grade 6 or below**: nine strings in ten at the
  NHS's upper reading age of 11, so the target holds across the content, not on average.
- **Whole replies as the engine assembles them** for the golden transcripts (titles,
  paragraphs, bullets, steps, region words filled in): every one at grade 8 or below, and
  the replies that give advice (results, urgent advice, the polite ends) at grade 6 or below
  on average.

Exceptions are listed in :data:`bot.catalog.checks.reading.ALLOWED`, each with the names of
conditions, medicines or nutrients that put it over the ceiling; ``make bench-reading``
prints every grade.
"""

from __future__ import annotations

import re
import statistics

import pytest

from bench.reading import REPLY_KINDS, golden_replies
from bot.catalog.catalog import Catalog
from bot.catalog.checks import check_catalog
from bot.catalog.checks.reading import (
    ALLOWED,
    MIN_WORDS,
    P90_LIMIT,
    STRING_LIMIT,
    Reading,
    check_reading_level,
    grade,
    long_strings,
    measure,
    percentile,
    prose,
    reader_texts,
    too_hard,
    words,
)
from bot.catalog.content import Content, Sourced

REPLY_LIMIT = STRING_LIMIT
"""The highest grade of one whole reply."""
ADVICE_MEAN_LIMIT = 6.0
"""The highest mean grade of the replies that give advice."""
ADVICE_KINDS = ("result", "urgent", "info")


@pytest.fixture(scope="module")
def content(catalog: Catalog) -> Content:
    """The English content as written: placeholders not filled."""
    return catalog.contents["en"]


@pytest.fixture(scope="module")
def readings(content: Content) -> list[Reading]:
    return measure(reader_texts(content))


def _table(readings: list[Reading]) -> str:
    return "\n".join(f"{r.grade:5.1f}  {r.path}: {r.text}" for r in readings)


def test_every_string_of_8_words_or_more_reads_at_grade_8_or_below(
    readings: list[Reading],
) -> None:
    hard = too_hard(readings)
    assert not hard, f"over grade {STRING_LIMIT:g} (rewrite, see CLINICAL.md 6):\n{_table(hard)}"


def test_nine_strings_in_ten_read_at_grade_6_or_below(readings: list[Reading]) -> None:
    long = long_strings(readings)
    assert len(long) > 150  # the walk found the content
    p90 = percentile([r.grade for r in long], 0.9)
    hardest = sorted(long, key=lambda r: r.grade, reverse=True)[:15]
    assert p90 <= P90_LIMIT, f"90th percentile {p90:.2f}; the hardest:\n{_table(hardest)}"


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_an_allowed_string_is_over_only_because_of_its_names(
    readings: list[Reading], path: str
) -> None:
    reading = next((r for r in readings if r.path == path), None)
    assert reading is not None, f"{path} is no longer in the content: take it off ALLOWED"
    assert reading.words >= MIN_WORDS
    assert reading.grade > STRING_LIMIT, f"{path} reads at {reading.grade:.1f}: not needed"
    names = ALLOWED[path]
    assert names
    assert all(name in reading.text for name in names)
    without = re.sub("|".join(map(re.escape, names)), "", reading.text)
    assert grade(without) <= STRING_LIMIT, "the names alone do not explain the grade"


def test_the_walk_reads_what_users_read_and_nothing_else(content: Content) -> None:
    texts = dict(reader_texts(content))
    for path in (
        "ui.help",
        "commands.summary",
        "steps.location.question",
        "steps.location.options.above.label",
        "steps.location.options.above.answer",
        "red_flags.clot_leg.advice",
        "tiers.urgent.title",
        "causes.overuse.text",
        "stretches.calf.steps[2]",
        "disclaimer.text",
        "regions.default.numbers",
        "regions.uk.urgent_care",
    ):
        assert path in texts, path
    for path in texts:
        assert not path.startswith(("sources.", "locale")), path
        assert not re.search(r"\.(synonyms|source|reviewed_on|reviewed_by|tier|name)\b", path)
        assert not path.endswith("_format"), path
    assert "ui.noted_joiner" not in texts  # "; " has no words
    assert "ui.answered" not in texts  # "{answer}" is only a placeholder


def test_placeholders_and_layout_are_not_read_as_words() -> None:
    assert prose("Get seen today: {urgent_care}.") == "Get seen today:."
    assert prose("Relief right now\n- Cold: ice\n1. Stand up") == (
        "Relief right now. Cold: ice. Stand up."
    )
    assert words("Call {emergency} now.") == 2
    assert grade("Call {emergency} now. Do not wait.") == grade("Call now. Do not wait.")


def test_the_rule_reports_each_hard_string_with_its_path_and_grade(content: Content) -> None:
    jargon = (
        "Prophylactic pharmacological intervention necessitates individualised "
        "consideration of contraindications and comorbidities."
    )
    tips = dict(content.tips)
    tips["hydrate"] = Sourced(text=jargon, source="article")
    found: list[tuple[str, str]] = []

    def add(path: str, message: str) -> None:
        found.append((path, message))

    check_reading_level(content.model_copy(update={"tips": tips}), add)
    assert len(found) == 1
    path, message = found[0]
    assert path == "tips.hydrate.text"
    assert re.match(r"reads at grade \d+\.\d, over 8 ", message)


def test_the_real_content_passes_kneecheck_flows_check(catalog: Catalog) -> None:
    assert check_catalog(catalog) == []


def test_whole_replies_read_at_grade_8_or_below_and_advice_at_6_on_average(
    catalog: Catalog,
) -> None:
    replies = golden_replies(catalog)
    assert {r.kind for _, r in replies} >= {"question", "result", "urgent", "info"}
    readings = measure((f"{name}\n{reply.kind}", reply.text()) for name, reply in replies)
    hard = [r for r in readings if r.words >= MIN_WORDS and r.grade > REPLY_LIMIT]
    assert not hard, _table(hard)
    advice = [r.grade for r in readings if r.path.rsplit("\n", 1)[1] in ADVICE_KINDS]
    assert len(advice) >= 20
    mean = statistics.fmean(advice)
    assert mean <= ADVICE_MEAN_LIMIT, f"advice replies read at grade {mean:.2f} on average"
    assert set(ADVICE_KINDS) <= set(REPLY_KINDS)
