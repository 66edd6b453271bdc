"""A flow drawn as a Mermaid flowchart, for reviewing a flow without reading YAML.

``kneecheck flows graph`` prints it; paste it into any Mermaid renderer (GitHub
renders it in Markdown). Node ids are prefixed (``s_`` step, ``o_`` outcome,
``x_`` missing target) so an id such as ``end`` can never clash with Mermaid
keywords, and every label is quoted and escaped so question text cannot break
the syntax.
"""

from __future__ import annotations

from bot.catalog.conditions import (
    AllOf,
    AnswerAnyOf,
    Answered,
    AnswerIs,
    AnyOf,
    Condition,
    Not,
)
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.catalog.flow_queries import missing_targets, red_flag_options

LABEL_WIDTH = 40
"""Longest question excerpt or condition in a label, so the chart stays readable."""


def mermaid(flow: Flow, content: Content) -> str:
    """The flow as a ``flowchart TD`` diagram: steps, outcomes and labelled transitions."""
    lines = ["flowchart TD", f'    begin(("start")) --> {_node_id(flow, flow.start)}']
    for step in flow.steps:
        text = content.steps.get(step.id)
        question = _shorten(text.question) if text else "(no text)"
        lines.append(f'    s_{step.id}["{_escape(step.id)}<br/>{_escape(question)}"]')
    for outcome in flow.outcomes:
        name = outcome.id if outcome.id == outcome.kind else f"{outcome.id} ({outcome.kind})"
        lines.append(f'    o_{outcome.id}(["{_escape(name)}"])')
    for target in sorted(missing_targets(flow)):
        lines.append(f'    x_{_safe(target)}["{_escape(f"missing: {target}")}"]')
    for step in flow.steps:
        conditional = any(t.when is not None for t in step.next)
        for transition in step.next:
            arrow = f"s_{step.id} -->"
            if transition.when is not None:
                arrow += f'|"{_escape(_shorten(describe(transition.when, flow)))}"|'
            elif conditional:
                arrow += '|"else"|'
            lines.append(f"    {arrow} {_node_id(flow, transition.to)}")
    return "\n".join(lines) + "\n"


def describe(condition: Condition, flow: Flow) -> str:
    """A condition in short words: ``location = behind``, ``red flag``, ``not (...)``."""
    match condition:
        case AnswerIs(step=step, is_=option):
            return f"{step} = {option}"
        case AnswerAnyOf(step=step, any_of=options):
            if _all_red_flags(flow, step, options):
                return "red flag"
            return f"{step} in {', '.join(options)}"
        case Answered(answered=step):
            return f"{step} answered"
        case AllOf(all=parts):
            return " and ".join(_grouped(c, flow) for c in parts)
        case AnyOf(any=parts):
            return " or ".join(_grouped(c, flow) for c in parts)
        case Not(not_=inner):
            return f"not {_grouped(inner, flow)}"
    raise TypeError(f"unknown condition {condition!r}")  # pragma: no cover - closed union


def _grouped(condition: Condition, flow: Flow) -> str:
    text = describe(condition, flow)
    return f"({text})" if isinstance(condition, AllOf | AnyOf) else text


def _all_red_flags(flow: Flow, step_id: str, options: tuple[str, ...]) -> bool:
    step = flow.step(step_id)
    if step is None:
        return False
    flagged = set(red_flag_options(step))
    return bool(flagged) and set(options) <= flagged


def _node_id(flow: Flow, node: str) -> str:
    if flow.step(node) is not None:
        return f"s_{node}"
    if flow.outcome(node) is not None:
        return f"o_{node}"
    return f"x_{_safe(node)}"


def _safe(node: str) -> str:
    """A Mermaid-safe id for a target that failed the schema's id pattern (it is dangling)."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in node)


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LABEL_WIDTH else flat[: LABEL_WIDTH - 1].rstrip() + "…"


def _escape(text: str) -> str:
    """Mermaid entity codes for the characters that end a quoted label or start markup."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text
