"""The other corpora, each written by an author who saw neither the lexicon nor the others.

``heldout/``, ``unseen/``, ``fresh/`` and ``round6/`` to ``round10/`` were measured before the
lexicon was tuned on them (the README gives those first figures) and are development sets
now; ``sealed/`` is measured, not tuned on. Each has floors that may only go up. ``round6/``
and ``fresh/`` are still short of the false-escalation aim (an aside in brackets and a past
injury "at uni" still read as current).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.evaluation import EMERGENCY, evaluate, load_corpus

HERE = Path(__file__).parent
FLOORS = {
    # corpus: (recall, emergency recall, false escalation at most, answers, signs recorded
    # as ordinary answers at most)
    "heldout": (0.99, 1.0, 0.01, 0.90, 0),
    "unseen": (0.99, 1.0, 0.01, 0.90, 0),
    "sealed": (0.99, 1.0, 0.01, 0.85, 0),
    # First read 2026-12-02: recall 82.1%, emergency 77.1%, false escalation 17.7%.
    "fresh": (0.99, 1.0, 0.02, 0.0, 0),
    # First read 2026-12-02: recall 79.0%, emergency 75.3%, false escalation 17.2%.
    "round6": (1.0, 1.0, 0.03, 0.0, 0),
    # First read 2026-12-02 (after the structural changes of that day): recall 83.7%,
    # emergency 84.1%, false escalation 7.3%, 43 warning signs recorded as answers.
    "round7": (1.0, 1.0, 0.01, 0.0, 0),
    # First read 2026-12-02, typed at every question of every flow: recall 93.1%, emergency
    # 93.3%, false escalation 2.6%, 18 warning signs recorded as answers.
    "round8": (1.0, 1.0, 0.01, 0.0, 0),
    # First read 2026-12-02 (speech-to-text, minimising, shorthand, every step): recall
    # 91.8%, emergency 92.6%, false escalation 5.1%, 19 warning signs recorded as answers.
    "round9": (1.0, 1.0, 0.01, 0.0, 0),
    # First read 2026-12-02 (long messages, consequences, other people, media, tricky
    # negatives): recall 94.1%, emergency 92.8%, false escalation 17.1%, 13 recorded.
    "round10": (1.0, 1.0, 0.01, 0.0, 0),
}


@pytest.mark.parametrize("corpus", sorted(FLOORS))
def test_other_authors_corpora(catalog: Catalog, corpus: str) -> None:
    recall, emergency, escalation, answers, recorded = FLOORS[corpus]
    report = evaluate(catalog, load_corpus(HERE / corpus))
    assert report.recall() >= recall, report.misses
    assert report.recall(EMERGENCY) >= emergency, report.misses
    assert report.false_escalation() <= escalation, report.escalated
    assert len(report.recorded_despite_sign) <= recorded, report.recorded_despite_sign
    assert report.answer_accuracy() >= answers, report.answer_misses
