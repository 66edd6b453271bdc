"""The labelled corpus, through the real lexicon and engine: issue 11's thresholds.

`kneecheck flows eval` prints the same report with every miss. The lexicon was tuned on this
corpus, so it is also measured on a held-out one (``test_heldout.py``).
"""

from __future__ import annotations

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.evaluation import EMERGENCY, Report, evaluate, load_corpus, print_report

FLOORS = {
    "recall": 0.99,
    "emergency_recall": 1.0,
    "false_escalation": 0.01,
    "recorded_despite_sign": 0,
    "answers": 0.95,
}


@pytest.fixture(scope="module")
def report(catalog: Catalog) -> Report:
    return evaluate(catalog, load_corpus())


def test_the_corpus_is_large_and_covers_every_warning_sign(catalog: Catalog) -> None:
    items = load_corpus()
    assert len(items) >= 600
    labelled = {s for item in items for s in item.signs}
    # Every sign a person can type; the ones read from several answers (a clot risk with
    # pain in one leg) have an `answer` text instead of an option, and no phrases.
    typed = {k for k, flag in catalog.content(None).red_flags.items() if flag.answer is None}
    assert labelled == typed


def test_warning_signs_in_peoples_own_words_are_caught(
    report: Report, capsys: pytest.CaptureFixture[str]
) -> None:
    print_report(report, verbose=True)
    assert report.recall() >= FLOORS["recall"], capsys.readouterr().out
    assert report.recall(EMERGENCY) >= FLOORS["emergency_recall"]


def test_ordinary_and_negated_messages_are_not_escalated(report: Report) -> None:
    assert report.false_escalation() <= FLOORS["false_escalation"], report.escalated


def test_a_warning_sign_is_never_recorded_as_an_ordinary_answer(report: Report) -> None:
    assert len(report.recorded_despite_sign) <= FLOORS["recorded_despite_sign"], (
        report.recorded_despite_sign
    )


def test_answers_named_in_a_message_are_recorded(report: Report) -> None:
    assert report.answer_accuracy() >= FLOORS["answers"], report.answer_misses
