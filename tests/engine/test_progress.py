""" "Question n of N": the remembered count is the count of the path the answers lead to."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog.catalog import Catalog
from bot.catalog.loader import load_catalog
from bot.engine.questions import _walk, remaining

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
