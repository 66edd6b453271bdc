""" "Question n of N": N is the longest path the answers still allow (and is remembered)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.questions import PEOPLE
from bot.catalog.catalog import Catalog
from bot.catalog.loader import load_catalog
from bot.engine.questions import _walk, remaining
from tests.engine.chat import EngineChat

CATALOG: Catalog = load_catalog()


@st.composite
def flow_answers(draw: st.DrawFn) -> tuple[str, str, dict[str, str | tuple[str, ...]]]:
    """A flow, one of its steps, and answers to any of its steps and facts."""
    flow = CATALOG.flows[draw(st.sampled_from(sorted(CATALOG.flows)))]
    answers: dict[str, str | tuple[str, ...]] = {}
    for step in flow.steps:
        if not draw(st.booleans()):
            continue
        ids = [o.id for o in step.options]
        if step.kind == "single":
            answers[step.id] = draw(st.sampled_from(ids))
        else:
            answers[step.id] = tuple(draw(st.lists(st.sampled_from(ids), min_size=1, unique=True)))
    for fact, values in flow.facts.items():
        if draw(st.booleans()):
            answers[fact] = draw(st.sampled_from(list(values)))
    return flow.id, draw(st.sampled_from([s.id for s in flow.steps])), answers


@settings(max_examples=400)
@given(flow_answers())
def test_the_remembered_count_is_the_walked_count(
    case: tuple[str, str, dict[str, str | tuple[str, ...]]],
) -> None:
    flow_id, step, answers = case
    flow = CATALOG.flows[flow_id]
    walked = _walk(flow, step, answers)
    assert remaining(flow, step, answers) == walked
    assert remaining(flow, step, answers) == walked  # the second time from memory


def test_a_different_branch_gets_its_own_count() -> None:
    flow = CATALOG.flows["kneecheck"]
    base: dict[str, str | tuple[str, ...]] = {"consent": "agree", "red_flags": ("none",)}
    behind = remaining(flow, "location", {**base, "location": "behind"})
    above = remaining(flow, "location", {**base, "location": "above"})
    assert behind == above + 1  # "behind" asks which muscle as well


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_total_never_grows_and_the_count_runs_one_by_one(person: str) -> None:
    """ "Question 4 of 12" followed by "of 13" reads as the check getting longer (issue 15):
    along any path the total only shrinks, and the number goes up one at a time."""
    chat = EngineChat(CATALOG)
    chat.walk_with(PEOPLE[person])  # type: ignore[arg-type]
    counts = [
        tuple(int(n) for n in re.findall(r"\d+", q.sections[0].title or ""))
        for q in chat.questions
        if q.step is not None
    ]
    assert [n for n, _ in counts] == list(range(1, len(counts) + 1))
    totals = [total for _, total in counts]
    assert totals == sorted(totals, reverse=True), totals
    assert all(n <= total for n, total in counts)
