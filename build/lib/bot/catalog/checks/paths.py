"""The transition graph: missing targets, dead ends, unreachable nodes, loops and traps."""

from __future__ import annotations

from bot.catalog.checks.problem import Add
from bot.catalog.flow import Flow, Step
from bot.catalog.flow_queries import missing_targets, successors


def check_paths(flow: Flow, add: Add) -> None:
    """Dangling targets, conditional dead ends, unreachable nodes, loops and traps."""
    outcomes = {o.id for o in flow.outcomes}
    missing = missing_targets(flow)
    for step in flow.steps:
        for i, transition in enumerate(step.next):
            if transition.to in missing:
                add(f"steps[{step.id}].next[{i}].to", f"{transition.to!r} names no step or outcome")
        last = len(step.next) - 1
        if step.next[last].when is not None:
            add(
                f"steps[{step.id}].next[{last}].when",
                f"the last transition of step {step.id!r} has a condition, so some answers lead "
                "nowhere and the conversation never ends: add a last transition without `when`",
            )
    start = flow.step(flow.start)
    if start is None:
        kind = "an outcome" if flow.start in outcomes else "no step"
        add("start", f"{flow.start!r} names {kind}: the flow must start at a step")
        return
    reached = _reachable(flow)
    if flow.under_18 is not None:
        if flow.outcome(flow.under_18) is None:
            add("under_18", f"{flow.under_18!r} names no outcome")
        reached.add(flow.under_18)  # from any question, by an age typed there
    for step in flow.steps:
        if step.id not in reached:
            add(
                f"steps[{step.id}]", f"step {step.id!r} cannot be reached from start {flow.start!r}"
            )
    for outcome in flow.outcomes:
        if outcome.id not in reached:
            add(
                f"outcomes[{outcome.id}]",
                f"outcome {outcome.id!r} cannot be reached from start {flow.start!r}",
            )
        if outcome.offer is not None and outcome.kind != "assessment":
            add(f"outcomes[{outcome.id}].offer", "only an assessment can offer another flow")
    _check_loops(flow, start, add)
    finishing = _can_finish(flow)
    for step in flow.steps:
        if step.id in reached and step.id not in finishing:
            add(
                f"steps[{step.id}]",
                f"no outcome can be reached from step {step.id!r}: "
                "every path from it goes round in a loop",
            )


def _reachable(flow: Flow) -> set[str]:
    """Steps and outcomes reachable from ``start``, following every transition."""
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for target in successors(flow, todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _can_finish(flow: Flow) -> set[str]:
    """Steps from which some path reaches an outcome.

    A dangling target counts as an end: it is reported once as dangling and not
    again as a trap.
    """
    done = {t.to for s in flow.steps for t in s.next if flow.step(t.to) is None}
    changed = True
    while changed:
        changed = False
        for step in flow.steps:
            if step.id not in done and any(t.to in done for t in step.next):
                done.add(step.id)
                changed = True
    return done


def _check_loops(flow: Flow, start: Step, add: Add) -> None:
    """Report every transition that goes back to a step already on the current path."""
    on_path: list[str] = []
    finished: set[str] = set()

    def visit(step: Step) -> None:
        on_path.append(step.id)
        for i, transition in enumerate(step.next):
            target = flow.step(transition.to)
            if target is None or target.id in finished:
                continue
            if target.id in on_path:
                loop = [*on_path[on_path.index(target.id) :], target.id]
                add(
                    f"steps[{step.id}].next[{i}].to",
                    f"goes back to {target.id!r}, a loop ({' -> '.join(loop)}): "
                    "the conversation could go round forever",
                )
            else:
                visit(target)
        on_path.pop()
        finished.add(step.id)

    visit(start)
