"""Rendering the current step as a channel-neutral question, with progress.

Progress counts the steps on the path the user's answers lead to; a step whose
condition depends on a question not yet answered is not counted until it is.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.catalog.content import Content
from bot.catalog.flow import Flow, Option, Step
from bot.engine.replies import Choice, ChoiceAction, Reply, Section
from bot.engine.session import Session


def next_node(step: Step, answers: dict[str, str | tuple[str, ...]]) -> str:
    """The id of the step or outcome that follows ``step`` given ``answers``."""
    for transition in step.next:
        if transition.when is None or transition.when.holds(answers):
            return transition.to
    # Unreachable for a checked flow: `flows check` requires an unconditional last transition.
    raise ValueError(f"step {step.id!r} has no transition for these answers")


MEMO_LIMIT = 10_000
"""Distinct (step, path-deciding answers) kept per flow; far more than a flow's paths."""


def remaining(flow: Flow, step_id: str, answers: dict[str, str | tuple[str, ...]]) -> int:
    """Questions left on the longest path still possible, the current one included.

    Asked twice a turn (the answered question's progress and the next one's), and the
    path depends only on the answers its conditions read (``Flow.condition_keys``), so
    the count is kept by exactly those.
    """
    key = (step_id, *(answers.get(k) for k in flow.condition_keys))
    memo = flow.remaining_memo
    count = memo.get(key)
    if count is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        count = memo[key] = _walk(flow, step_id, answers)
    return count


def _walk(
    flow: Flow,
    step_id: str,
    answers: dict[str, str | tuple[str, ...]],
    seen: frozenset[str] = frozenset(),
) -> int:
    """The questions on the longest path still possible from ``step_id``: a branch whose
    condition reads an answer not given yet may still be taken. So "of 15" is never followed
    by "of 16": the total only shrinks, as answers rule branches out (issue 15: a count that
    grew mid-check read as the check getting longer)."""
    step = flow.step(step_id)
    if step is None or step_id in seen:
        return 0
    seen = seen | {step_id}
    longest = 0
    for transition in step.next:
        when = transition.when
        decided = when is None or all(key in answers for key, _ in when.refs())
        if decided and when is not None and not when.holds(answers):
            continue
        longest = max(longest, _walk(flow, transition.to, answers, seen))
        if decided:  # taken for certain: the transitions after it never are
            break
    return 1 + longest


def progress(flow: Flow, content: Content, session: Session) -> str | None:
    if session.step is None:
        return None
    # Answered steps of this flow, the current one aside (it may hold an earlier answer).
    answered = flow.steps_by_id.keys() & session.answers.keys()
    done = len(answered) - (session.step in answered)
    left = remaining(flow, session.step, session.seen())
    if answered - flow.earlier[session.step] - {session.step}:
        # Answers given ahead of time ("I'm 67" at the first question) count as done, and
        # not again among the questions still to come.
        left -= _answered_ahead(flow, session.step, session.seen(), answered)
    return content.ui["progress"].format(n=done + 1, total=done + left)


def _answered_ahead(
    flow: Flow, step_id: str, answers: dict[str, str | tuple[str, ...]], answered: set[str]
) -> int:
    count = 0
    node: str | None = step_id
    seen: set[str] = set()
    while node is not None and node not in seen and (step := flow.step(node)) is not None:
        seen.add(node)
        count += node != step_id and node in answered
        node = next_node(step, answers)
    return count


def question(flow: Flow, content: Content, session: Session, *, now: int | None = None) -> Reply:
    """The reply that asks ``session.step``, with ticks for pending multi-choice answers.

    An option that stands for a time zone shows the local time there at ``now``.
    """
    assert session.step is not None
    step = flow.step(session.step)
    assert step is not None
    text = content.steps[step.id]
    multi = step.kind == "multi"
    action: ChoiceAction = "toggle" if multi else "choose"
    choices = [
        Choice(
            o.id, _label(content, o, text.options[o.id].label, now), action, o.id in session.pending
        )
        for o in step.options
    ]
    if multi:
        choices.append(Choice("done", content.ui["done"], "submit"))
    if session.answers:
        choices.append(Choice("back", content.ui["back"], "command"))
    asked = asked_section(flow, content, session, step)
    return Reply(
        kind="question",
        sections=(asked,),
        choices=tuple(choices),
        step=step.id,
        version=session.shown,
        multi=multi,
        progress=asked.title,
    )


def _label(content: Content, option: Option, label: str, now: int | None) -> str:
    if option.zone is None or now is None:
        return label
    local = dt.datetime.fromtimestamp(now, ZoneInfo(option.zone))
    return content.ui["zone_option"].format(time=local.strftime("%H:%M"), place=label)


def asked_section(flow: Flow, content: Content, session: Session, step: Step) -> Section:
    """The question's text as shown: progress, question, help, the multi-choice hint."""
    text = content.steps[step.id]
    paragraphs = [text.question]
    if text.help:
        paragraphs.append(text.help)
    if step.kind == "multi":
        paragraphs.append(content.ui["multi_hint"])
    return Section(title=progress(flow, content, session), paragraphs=tuple(paragraphs))


def answer_text(content: Content, step_id: str, value: str | tuple[str, ...]) -> str:
    """The chosen answer's label(s), as the transcript line for an answered question."""
    options = content.steps[step_id].options
    values = (value,) if isinstance(value, str) else value
    return content.ui["answer_joiner"].join(options[v].label for v in values)
