"""Questions about a flow's shape that both the checker and the Mermaid drawer ask.

Kept in one place so ``kneecheck flows check`` and ``kneecheck flows graph``
cannot disagree about which target is missing or which options are red flags.
"""

from __future__ import annotations

from bot.catalog.flow import Flow, Step


def missing_targets(flow: Flow) -> set[str]:
    """Transition targets that name neither a step nor an outcome of the flow."""
    targets = {t.to for s in flow.steps for t in s.next}
    return targets - flow.steps_by_id.keys() - flow.outcomes_by_id.keys()


def red_flag_options(step: Step) -> tuple[str, ...]:
    """Ids of the step's options marked ``red_flag``, in the order the flow lists them."""
    return tuple(o.id for o in step.options if o.red_flag)


def successors(flow: Flow, node: str) -> tuple[str, ...]:
    """Where the conversation can go from ``node`` (nowhere from an outcome)."""
    step = flow.step(node)
    return tuple(t.to for t in step.next) if step is not None else ()
