"""Corpora the lexicon was not tuned on: how well it does on phrasing nobody planned for.

``heldout/`` was written by a second author who saw neither the lexicon nor the first corpus;
its figures are floors that may only go up (see the README for the figures and aims).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.evaluation import EMERGENCY, Report, evaluate, load_corpus

HELDOUT = Path(__file__).parent / "heldout"
FLOORS = {"recall": 0.90, "emergency_recall": 0.91, "false_escalation": 0.075, "answers": 0.82}


@pytest.fixture(scope="module")
def report(catalog: Catalog) -> Report:
    return evaluate(catalog, load_corpus(HELDOUT))


def test_heldout_warning_signs(report: Report) -> None:
    assert report.recall() >= FLOORS["recall"], report.misses
    assert report.recall(EMERGENCY) >= FLOORS["emergency_recall"], report.misses


def test_heldout_ordinary_messages_rarely_escalate(report: Report) -> None:
    assert report.false_escalation() <= FLOORS["false_escalation"], report.escalated


def test_heldout_answers(report: Report) -> None:
    assert report.answer_accuracy() >= FLOORS["answers"], report.answer_misses
