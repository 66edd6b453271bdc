"""The Mermaid drawing of a flow: complete, labelled, and safe to render."""

from __future__ import annotations

import re

from bot.catalog.catalog import Catalog
from bot.catalog.conditions import AllOf, AnswerAnyOf, AnswerIs, Condition, Not
from bot.catalog.graph import describe, mermaid

LINE = re.compile(
    r'    (begin\(\("start"\)\) --> [sox]_\w+'
    r'|s_\w+\["[^"]*"\]'
    r'|o_\w+\(\["[^"]*"\]\)'
    r'|x_\w+\["[^"]*"\]'
    r'|s_\w+ -->(\|"[^"]*"\|)? [sox]_\w+)'
)
"""Every line the generator may write: quoted labels, prefixed ids, nothing else.

``catalog`` is the shared fixture in tests/conftest.py (the real files).
"""


def test_real_flow_has_every_step_and_outcome(catalog: Catalog) -> None:
    flow = catalog.flow("kneecheck")
    chart = mermaid(flow, catalog.content(None))
    assert chart.startswith("flowchart TD\n")
    for step in flow.steps:
        assert f'    s_{step.id}["{step.id}<br/>' in chart
    for outcome in flow.outcomes:
        assert f"    o_{outcome.id}([" in chart
    assert 'begin(("start")) --> s_consent' in chart


def test_every_line_is_well_formed(catalog: Catalog) -> None:
    chart = mermaid(catalog.flow("kneecheck"), catalog.content(None))
    body = chart.splitlines()[1:]
    assert [line for line in body if not LINE.fullmatch(line)] == []


def test_edges_are_labelled_in_short_form(catalog: Catalog) -> None:
    chart = mermaid(catalog.flow("kneecheck"), catalog.content(None))
    assert 's_location -->|"location = behind"| s_behind_muscle' in chart
    assert 's_location -->|"else"| s_triggers' in chart
    assert 's_red_flags -->|"red flag"| o_assessment' in chart
    assert "s_triggers --> s_frequency" in chart


def test_questions_are_shortened_and_escaped(catalog: Catalog) -> None:
    content = catalog.content(None)
    steps = dict(content.steps)
    steps["location"] = steps["location"].model_copy(
        update={"question": 'Where is the "spasm" <exactly> #1, in as many words as it takes?'}
    )
    chart = mermaid(catalog.flow("kneecheck"), content.model_copy(update={"steps": steps}))
    escaped = "Where is the #quot;spasm#quot; #lt;exactly#gt; #35;1, in a…"
    assert f's_location["location<br/>{escaped}"]' in chart


def test_describe_conditions(catalog: Catalog) -> None:
    flow = catalog.flow("kneecheck")
    either: Condition = AnswerAnyOf(step="water", any_of=("low", "not_sure"))
    both: Condition = AllOf(all=(AnswerIs(step="diet", **{"is": "poor"}), Not(**{"not": either})))
    assert describe(either, flow) == "water in low, not_sure"
    assert describe(both, flow) == "diet = poor and not water in low, not_sure"
