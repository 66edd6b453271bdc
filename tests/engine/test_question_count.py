"""Triage asks what it must with few questions: at most 2 more for a person with no risk
factor, whatever the place of the spasm (issue 12; figures: ``python -m bench.questions``)."""

from __future__ import annotations

import pytest

from bench.questions import PEOPLE, TRIAGE_STEPS, asked

NO_RISK = [name for name in PEOPLE if "no risk" in name]


@pytest.mark.parametrize("person", NO_RISK)
def test_a_person_with_no_risk_factor_answers_at_most_two_more_questions(person: str) -> None:
    steps = asked(PEOPLE[person])
    assert steps[-1] in ("risks", "walking")  # the check ends on the triage questions
    assert 1 <= sum(s in TRIAGE_STEPS for s in steps) <= 2
    assert "one_leg" not in steps  # asked only with a clot risk
