"""The conversation state machine: ``advance(catalog, session, event, now)``.

Pure and synchronous: the same inputs always give the same :class:`Turn`, and
nothing here performs I/O, so every path can be tested exhaustively and
property-tested. The shell saves ``turn.session`` only when ``turn.changed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow, Outcome, Step
from bot.engine import assessment
from bot.engine.events import (
    Back,
    Choose,
    Event,
    Restart,
    Resume,
    Start,
    Stop,
    Submit,
    Text,
    Toggle,
)
from bot.engine.questions import answer_text, asked_section, next_node, question
from bot.engine.replies import Choice, Effect, Finished, Reply, Section, Stopped, notice
from bot.engine.session import AnswerValue, Session
from bot.engine.typed import answer_for, later_answers, under_age
from bot.frozen import frozen
from bot.understanding import MAX_CHARS, CompiledLexicon, Reading, read

DEFAULT_FLOW = "kneecheck"
REGION = "region"
"""The fact every flow keeps without declaring it: whose emergency numbers the user gets."""
CONFIRM = "confirm"
"""The step id of the yes/no question about a warning sign the user only hinted at."""


@frozen
class Turn:
    session: Session | None
    """The state after the event; None when nothing is stored for this user."""
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    changed: bool = False
    """True when ``session`` differs from the input and must be saved."""


@frozen
class _Ctx:
    flow: Flow
    content: Content
    now: int
    facts: Mapping[str, str]
    triage: Flow
    """The default flow, whose warning signs a flow without its own screening uses."""
    version: int
    """The version a session changed by this turn is saved at."""
    lexicon: CompiledLexicon

    def ask(self, session: Session) -> Reply:
        return question(self.flow, self.content, session, now=self.now)

    def notice(self, key: str, **fmt: str) -> Reply:
        text = self.content.ui[key].format(**fmt) if fmt else self.content.ui[key]
        return notice(text)


def advance(
    catalog: Catalog,
    session: Session | None,
    event: Event,
    *,
    now: int,
    flow_id: str = DEFAULT_FLOW,
    facts: Mapping[str, str] | None = None,
) -> Turn:
    """Apply ``event`` to ``session`` and say what to show and what to do.

    ``facts`` (the flow's declared facts, looked up by the shell) are kept in a session
    that (re)starts with this event; other events keep the session's own.
    """
    locale = getattr(event, "locale", None) or (session.locale if session else None)
    if isinstance(event, Start) and _offer_after_warning_sign(catalog, session, event.flow):
        ui = catalog.content(locale).ui
        return Turn(session, (notice(ui["offer_after_urgent"]),))
    wanted = _flow_of(event, session, flow_id)
    if wanted not in catalog.flows:  # a forged start button
        ui = catalog.content(locale).ui
        return Turn(session, (notice(ui["unknown_option"]),))
    flow = catalog.flow(wanted)
    known = {k: v for k, v in (facts or {}).items() if v in flow.facts.get(k, ())}
    region = _region(catalog, session, event, facts)
    if region is not None:
        known[REGION] = region
    version = (session.version if session else 0) + 1
    ctx = _Ctx(
        flow,
        catalog.content(locale, region),
        now,
        known,
        catalog.flow(flow_id),
        version,
        catalog.lexicon(locale),
    )
    turn = _dispatch(ctx, session, event, catalog.locale_for(locale))
    if turn.changed and turn.session is not None and turn.session.version != version:
        # The hot paths (an answer, a tick) copy the session once with the version in it.
        turn = replace(turn, session=turn.session.model_copy(update={"version": version}))
    return turn


def _region(
    catalog: Catalog, session: Session | None, event: Event, facts: Mapping[str, str] | None
) -> str | None:
    """Whose emergency numbers this user gets: the region the service places them in (their
    time zone), else their language tag's, else the one their conversation began with."""
    regions = catalog.content(None).regions
    if isinstance(event, (Start, Restart)):
        given = (facts or {}).get(REGION)
        if given is None:
            given = catalog.region(language=getattr(event, "locale", None))
        if given is not None and given in regions:
            return given
    kept = session.facts.get(REGION) if session is not None else None
    return kept if kept in regions else None


def _offer_after_warning_sign(
    catalog: Catalog, session: Session | None, wanted: str | None
) -> bool:
    """A flow offered under a result (the follow-up reminders), asked for when the last thing
    the user got was urgent advice: from an old button, or a forged one. Self-care reminders
    must never follow a warning sign; a new check without one offers them again."""
    if wanted is None or session is None or session.flow not in catalog.flows:
        return False
    if not any(o.offer == wanted for f in catalog.flows.values() for o in f.outcomes):
        return False
    return bool(assessment.red_flags(catalog.flow(session.flow), session.answers))


def _flow_of(event: Event, session: Session | None, default: str) -> str:
    """One conversation at a time: the flow a start names, else the session's own."""
    if isinstance(event, Start):
        if event.flow is None and session is not None and _in_progress(session):
            return session.flow  # offered to resume what is in progress, whichever flow
        return event.flow or default
    if isinstance(event, Restart):
        return event.flow or (session.flow if session else default)
    return session.flow if session else default


def _dispatch(ctx: _Ctx, session: Session | None, event: Event, locale: str) -> Turn:
    match event:
        case Start():
            if session is not None and _in_progress(session) and event.flow in (None, session.flow):
                return Turn(session, (_resume_prompt(ctx, session),))
            return _begin(ctx, session, locale)
        case Restart():
            turn = _begin(ctx, session, locale)
            return replace(turn, replies=(ctx.notice("restarted"), *turn.replies))
        case Resume():
            if session is None or session.status != "active" or _step(ctx, session) is None:
                return Turn(session, (ctx.notice("not_started"),))
            if session.confirm is not None:  # the safety question comes back first
                return Turn(session, (_confirm_reply(ctx, session.confirm, session.shown),))
            return Turn(session, (ctx.ask(session),))
        case Stop():
            return _stop(ctx, session)
        case Back():
            return _back(ctx, session)
        case Text(text=text):
            return _text(ctx, session, text)
        case Choose() | Toggle() | Submit():
            return _answer(ctx, session, event)
    raise TypeError(f"unknown event {event!r}")  # pragma: no cover - Event is a closed union


def _in_progress(session: Session | None) -> bool:
    return (
        session is not None
        and session.status == "active"
        and session.step is not None
        and bool(session.answers or session.pending)
    )


def _step(ctx: _Ctx, session: Session) -> Step | None:
    return ctx.flow.step(session.step) if session.step is not None else None


def _next_version(session: Session | None) -> int:
    return (session.version if session else 0) + 1


def _resume_prompt(ctx: _Ctx, session: Session) -> Reply:
    from bot.engine.questions import progress

    ui = ctx.content.ui
    text = ui["resume_prompt"].format(progress=progress(ctx.flow, ctx.content, session) or "")
    # The question that waits, in its words: "2" typed as its answer would otherwise be taken
    # for this prompt's second choice (start over) without the person seeing why.
    waiting = ctx.content.steps.get(session.step or "")
    paragraphs = (
        (text,)
        if waiting is None
        else (text, ui["resume_waiting"].format(question=waiting.question))
    )
    choices = (
        Choice("resume", ui["resume"], "command"),
        Choice("restart", ui["restart"], "command"),
    )
    return Reply(kind="prompt", sections=(Section(paragraphs=paragraphs),), choices=choices)


def _begin(ctx: _Ctx, previous: Session | None, locale: str) -> Turn:
    fresh = Session(
        flow=ctx.flow.id,
        locale=locale,
        version=previous.version if previous else 0,
        facts=dict(ctx.facts),
    )
    return _enter(ctx, previous, fresh, ctx.flow.start, ())


def _enter(
    ctx: _Ctx,
    previous: Session | None,
    session: Session,
    node: str,
    before: tuple[Reply, ...],
    pending: tuple[str, ...] = (),
    effects: tuple[Effect, ...] = (),
    answers: dict[str, AnswerValue] | None = None,
) -> Turn:
    """Move to step or outcome ``node`` (with ``answers`` when given); the new question is
    shown at the next version."""
    changes: dict[str, object] = {"version": ctx.version, "pending": pending, "misses": 0}
    if answers is not None:
        changes["answers"] = answers
    if ctx.flow.step(node) is not None:
        changes.update(status="active", step=node, shown=_next_version(previous), outcome=None)
        moved = session.model_copy(update=changes)
        return Turn(moved, (*before, ctx.ask(moved)), effects, changed=True)
    outcome = ctx.flow.outcome(node)
    assert outcome is not None, f"dangling transition to {node!r}"  # `flows check` forbids it
    changes.update(status="done", step=None, pending=(), outcome=node)
    done = session.model_copy(update=changes)
    seen = tuple(done.seen().items())
    if outcome.kind == "assessment":
        if assessment.red_flags(ctx.flow, done.answers):
            reply = assessment.urgent(ctx.flow, ctx.content, done.answers)
        else:
            reply = assessment.first(ctx.flow, ctx.content, done.answers, ctx.version)
        effect = Finished(node, reply.tier, outcome.kind, ctx.flow.id, seen, done.locale)
        if outcome.offer is not None and reply.kind == "result":
            label = ctx.content.ui[f"offer_{outcome.offer}"]
            offer = Choice(outcome.offer, label, "start")
            reply = replace(reply, choices=(*reply.choices, offer))
    else:
        reply = _outcome_text(ctx, outcome)
        effect = Finished(node, None, outcome.kind, ctx.flow.id, seen, done.locale)
    return Turn(done, (*before, reply), (*effects, effect), changed=True)


def _outcome_text(ctx: _Ctx, outcome: Outcome) -> Reply:
    text = ctx.content.outcomes[outcome.id]
    choices = tuple(
        Choice(action, ctx.content.ui[f"reminders_{action}"], "reminder")
        for action in outcome.reminder_buttons
    )
    return Reply(
        kind="info",
        sections=(Section(paragraphs=(text.text,)),),
        choices=choices,
        step="all" if choices else None,
    )


def _stop(ctx: _Ctx, session: Session | None) -> Turn:
    reply = ctx.notice("stopped")
    if session is None or session.status == "stopped":
        return Turn(session, (reply,), (Stopped(),))
    stopped = Session(
        flow=session.flow, status="stopped", locale=session.locale, version=session.version
    )
    return Turn(stopped, (reply,), (Stopped(),), changed=True)


def _back(ctx: _Ctx, session: Session | None) -> Turn:
    if session is None or session.status == "stopped":
        return Turn(session, (ctx.notice("not_started"),))
    if not session.answers:
        return Turn(session, (ctx.notice("at_first"),))
    *kept, _last = session.answers
    answers, node = _on_path(ctx.flow, {key: session.answers[key] for key in kept}, session.facts)
    rewound = session.model_copy(update={"answers": answers})
    step = ctx.flow.step(node)
    previous = session.answers.get(node)
    multi = isinstance(previous, tuple) and step is not None and step.kind == "multi"
    pending = previous if multi and isinstance(previous, tuple) else ()
    return _enter(ctx, session, rewound, node, (), pending)


def _on_path(
    flow: Flow, answers: dict[str, AnswerValue], facts: Mapping[str, str]
) -> tuple[dict[str, AnswerValue], str]:
    """The answers that lie on the path from the start, and the first question left open.

    Answers off the path (a warning sign typed before consent, a branch left by going
    back, a step removed from the flow) are dropped, so going back never skips a
    question the user has not answered on the way.
    """
    kept: dict[str, AnswerValue] = {}
    node = flow.start
    while (step := flow.step(node)) is not None and node in answers:
        kept[node] = answers[node]
        node = next_node(step, {**facts, **kept})
    return kept, node


def _answer(ctx: _Ctx, session: Session | None, event: Choose | Toggle | Submit) -> Turn:
    if session is None or session.status == "stopped":
        return Turn(session, (ctx.notice("not_started"),))
    if event.step == assessment.TOPIC_STEP:
        return _topic(ctx, session, event)
    if event.step == CONFIRM or session.confirm is not None:
        return _confirmed(ctx, session, event)
    step = _step(ctx, session)
    if step is None or event.step != step.id or event.version != session.shown:
        return Turn(session, (ctx.notice("stale"),))
    match event:
        case Choose(option=option):
            if step.kind != "single" or step.option(option) is None:
                return Turn(session, (ctx.notice("unknown_option"),))
            return _record(ctx, session, step, option)
        case Toggle(option=option):
            chosen = step.option(option)
            if step.kind != "multi" or chosen is None:
                return Turn(session, (ctx.notice("unknown_option"),))
            pending = _toggled(step, session.pending, option)
            ticked = session.model_copy(update={"pending": pending, "version": ctx.version})
            return Turn(ticked, (ctx.ask(ticked),), changed=True)
        case Submit(options=options):
            picked = session.pending if options is None else options
            if step.kind != "multi" or any(step.option(o) is None for o in picked):
                return Turn(session, (ctx.notice("unknown_option"),))
            if not picked:
                return Turn(session, (ctx.notice("multi_empty"),))
            return _record(ctx, session, step, _normalised(step, picked))
    raise TypeError(f"not an answer: {event!r}")  # pragma: no cover


def _topic(ctx: _Ctx, session: Session, event: Choose | Toggle | Submit) -> Turn:
    """A part of the finished result, opened from its first message: read-only, and only
    while that result is the user's latest (a new check makes its buttons stale)."""
    finished = (
        session.status == "done"
        and ctx.flow.assessment is not None
        and session.outcome == _assessment_outcome(ctx.flow)
        and not assessment.red_flags(ctx.flow, session.answers)
    )
    if not finished or not isinstance(event, Choose):
        return Turn(session, (ctx.notice("stale"),))
    reply = assessment.topic(ctx.flow, ctx.content, session.answers, event.option, event.version)
    if reply is None:
        return Turn(session, (ctx.notice("unknown_option"),))
    return Turn(session, (reply,))


def _toggled(step: Step, pending: tuple[str, ...], option: str) -> tuple[str, ...]:
    if option in pending:
        return tuple(o for o in pending if o != option)
    chosen = step.option(option)
    assert chosen is not None
    if chosen.exclusive:
        return (option,)
    exclusive = {o.id for o in step.options if o.exclusive}
    keep = {o for o in pending if o not in exclusive} | {option}
    return tuple(o.id for o in step.options if o.id in keep)


def _normalised(step: Step, picked: tuple[str, ...]) -> tuple[str, ...]:
    """Step order, no duplicates; "none of these" gives way to real answers."""
    exclusive = {o.id for o in step.options if o.exclusive}
    real = [o for o in picked if o not in exclusive]
    keep = set(real) if real else {picked[0]}
    return tuple(o.id for o in step.options if o.id in keep)


def _record(
    ctx: _Ctx,
    session: Session,
    step: Step,
    value: AnswerValue,
    later: dict[str, AnswerValue] | None = None,
) -> Turn:
    answers = {k: v for k, v in session.answers.items() if k != step.id}
    answers[step.id] = value
    transcript = Reply(
        kind="answered",
        sections=(Section(paragraphs=(answer_text(ctx.content, step.id, value),)),),
        step=step.id,
        version=session.shown,
        asked=asked_section(ctx.flow, ctx.content, session, step),
    )
    before: tuple[Reply, ...] = (transcript,)
    ahead = _on_the_way(ctx.flow, step, session.seen(answers), later or {})
    if ahead:
        answers.update(ahead)
        before = (transcript, _noted(ctx, ahead))
    node = next_node(step, session.seen(answers))
    while (nxt := ctx.flow.step(node)) is not None and node in answers:
        node = next_node(nxt, session.seen(answers))
    return _enter(ctx, session, session, node, before, answers=answers)


def _on_the_way(
    flow: Flow, step: Step, answers: dict[str, AnswerValue], later: dict[str, AnswerValue]
) -> dict[str, AnswerValue]:
    """The ``later`` answers to questions on the path ahead of ``step`` (a calf named at the
    location question answers which muscle only if the path goes there)."""
    kept: dict[str, AnswerValue] = {}
    node = next_node(step, answers)
    seen: set[str] = set()
    while (ahead := flow.step(node)) is not None and node not in seen:
        seen.add(node)
        if node in later and node not in answers:
            kept[node] = later[node]
        node = next_node(ahead, {**answers, **kept})
    return kept


def _noted(ctx: _Ctx, ahead: dict[str, AnswerValue]) -> Reply:
    said = ctx.content.ui["noted_joiner"].join(
        answer_text(ctx.content, step, value) for step, value in ahead.items()
    )
    return ctx.notice("noted", answers=said)


def _text(ctx: _Ctx, session: Session | None, text: str) -> Turn:
    """Typed text, read up to the length cap; a longer message is answered all the same,
    and the user is told, after the answer, that only its start was read."""
    turn = _read_text(ctx, session, text)
    if len(text) > MAX_CHARS:
        return replace(turn, replies=(*turn.replies, ctx.notice("text_cut")))
    return turn


def _read_text(ctx: _Ctx, session: Session | None, text: str) -> Turn:
    """Typed text: warning signs first, at every step of every flow; then a hinted sign's
    yes/no question; an age under 18; and only then an answer to the question."""
    reading = read(text, ctx.lexicon)
    flags = tuple(f for f in reading.signs if f in ctx.content.red_flags)
    if flags:
        return _urgent(ctx, session, flags)
    if session is not None and session.confirm is not None:
        return _confirm_typed(ctx, session, reading)
    if session is None or session.status == "stopped":
        return Turn(session, (ctx.notice("not_started"),))
    step = _step(ctx, session)
    if session.status == "done" or step is None:
        return Turn(session, (ctx.notice("finished"),))
    if ctx.flow.under_18 is not None and under_age(reading, step):
        return _enter(ctx, session, session, ctx.flow.under_18, ())
    hints = tuple(f for f in reading.hints if f in ctx.content.red_flags)
    if not hints:
        return _typed_answer(ctx, session, step, reading)
    # A hinted sign: keep what else the message answered, but ask about the sign before
    # the next question, and before any result.
    turn = _typed_answer(ctx, session, step, reading)
    moved = turn.session
    answered = turn.changed and moved is not None and moved.answers != session.answers
    if not answered or moved is None or moved.status != "active" or moved.step is None:
        return _ask_confirm(ctx, session, hints[0])
    told = tuple(r for r in turn.replies if r.kind != "question")
    asking = moved.model_copy(update={"confirm": hints[0], "shown": ctx.version})
    return Turn(asking, (*told, _confirm_reply(ctx, hints[0], asking.shown)), changed=True)


def _typed_answer(ctx: _Ctx, session: Session, step: Step, reading: Reading) -> Turn:
    """What the message answers: this question, later ones it names, or a miss."""
    value = answer_for(step, reading)
    # Several answers in one message only in the check itself: a check-in's short answers
    # ("a bit better") are not meant for the questions after them.
    multi_answer = ctx.flow.assessment is not None and bool(ctx.flow.assessment.causes)
    later = later_answers(ctx.flow, step.id, session.answers, reading) if multi_answer else {}
    if value is not None:
        return _record(ctx, session, step, value, later)
    if step.kind == "multi" and reading.words == read(ctx.content.ui["done"], ctx.lexicon).words:
        return _answer(ctx, session, Submit(step.id, session.shown))
    ahead = _on_the_way(ctx.flow, step, session.seen(), later)
    if ahead:  # "I'm 76 and get cramps at night" at the location question
        noted = session.model_copy(
            update={"answers": {**session.answers, **ahead}, "version": ctx.version}
        )
        return Turn(noted, (_noted(ctx, ahead), ctx.ask(noted)), changed=True)
    return _miss(ctx, session, step)


def _confirm_question(ctx: _Ctx, sign: str) -> Section:
    return Section(paragraphs=(ctx.content.ui[f"confirm_{sign}"],))


def _ask_confirm(ctx: _Ctx, session: Session, sign: str) -> Turn:
    """Unsure is not no: one yes/no question about the sign the words hint at."""
    asking = session.model_copy(
        update={"confirm": sign, "shown": _next_version(session), "version": ctx.version}
    )
    return Turn(asking, (_confirm_reply(ctx, sign, asking.shown),), changed=True)


def _confirm_reply(ctx: _Ctx, sign: str, version: int) -> Reply:
    ui = ctx.content.ui
    return Reply(
        kind="question",
        sections=(_confirm_question(ctx, sign),),
        choices=(
            Choice("yes", ui["confirm_yes"], "choose"),
            Choice("no", ui["confirm_no"], "choose"),
        ),
        step=CONFIRM,
        version=version,
    )


def _confirm_typed(ctx: _Ctx, session: Session, reading: Reading) -> Turn:
    assert session.confirm is not None
    if reading.mentions_of("affirm") and not reading.mentions_of("deny"):
        return _confirmed(ctx, session, Choose(CONFIRM, "yes", session.shown))
    if reading.mentions_of("deny"):
        return _confirmed(ctx, session, Choose(CONFIRM, "no", session.shown))
    again = _confirm_reply(ctx, session.confirm, session.shown)
    return Turn(session, (ctx.notice("confirm_again"), again))


def _confirmed(ctx: _Ctx, session: Session, event: Choose | Toggle | Submit) -> Turn:
    """The answer to the yes/no question: yes is the sign's advice, no goes back to the
    question that was waiting."""
    sign = session.confirm
    if sign is None or event.step != CONFIRM or event.version != session.shown:
        return Turn(session, (ctx.notice("stale"),))
    if not isinstance(event, Choose) or event.option not in ("yes", "no"):
        return Turn(session, (ctx.notice("unknown_option"),))
    ui = ctx.content.ui
    label = ui["confirm_yes"] if event.option == "yes" else ui["confirm_no"]
    transcript = Reply(
        kind="answered",
        sections=(Section(paragraphs=(label,)),),
        step=CONFIRM,
        version=session.shown,
        asked=_confirm_question(ctx, sign),
    )
    cleared = session.model_copy(update={"confirm": None})
    if event.option == "yes":
        turn = _urgent(ctx, cleared, (sign,))
        return replace(turn, replies=(transcript, *turn.replies), changed=True)
    if cleared.status != "active" or _step(ctx, cleared) is None:
        done = cleared.model_copy(update={"version": ctx.version})
        return Turn(done, (transcript, ctx.notice("confirm_no_thanks")), changed=True)
    again = cleared.model_copy(update={"shown": _next_version(session), "version": ctx.version})
    return Turn(again, (transcript, ctx.ask(again)), changed=True)


def _miss(ctx: _Ctx, session: Session, step: Step) -> Turn:
    missed = session.model_copy(update={"misses": session.misses + 1})
    if missed.misses < 2:
        return Turn(missed, (ctx.notice("no_match"),), changed=True)
    labels = ctx.content.steps[step.id].options
    listed = ctx.content.ui["answer_joiner"].join(f'"{labels[o.id].label}"' for o in step.options)
    again = ctx.notice("no_match_again", choices=listed)
    return Turn(missed, (again, ctx.ask(missed)), changed=True)


def _urgent(ctx: _Ctx, session: Session | None, flags: tuple[str, ...]) -> Turn:
    """Warning signs typed at any point: urgent advice first, and the check ends there."""
    rules = ctx.flow.assessment
    if rules is None:  # a flow without its own screening (the follow-up offer)
        triage = ctx.triage
        assert triage.assessment is not None  # `flows check`: the default flow screens
        screened = {triage.assessment.red_flag_step: flags}
        return Turn(session, (assessment.urgent(triage, ctx.content, screened),))
    if session is None or session.status != "active":
        answers: dict[str, AnswerValue] = {rules.red_flag_step: flags}
        return Turn(session, (assessment.urgent(ctx.flow, ctx.content, answers),))
    earlier = session.answers.get(rules.red_flag_step, ())
    ticked = session.pending if session.step == rules.red_flag_step else ()
    merged = {*((earlier,) if isinstance(earlier, str) else earlier), *ticked, *flags}
    step = ctx.flow.step(rules.red_flag_step)
    assert step is not None
    answers = dict(session.answers)
    answers[rules.red_flag_step] = tuple(
        o.id for o in step.options if o.id in merged and o.red_flag
    )
    flagged = session.model_copy(update={"answers": answers})
    return _enter(ctx, session, flagged, _assessment_outcome(ctx.flow), ())


def _assessment_outcome(flow: Flow) -> str:
    return next(o.id for o in flow.outcomes if o.kind == "assessment")
