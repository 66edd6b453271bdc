"""Random conversations: whatever a user (or a forged payload) does, the engine holds.

Hypothesis drives sequences of events: button presses on the latest or an older
message, answers built for the current question with a mix of valid, stale and
made-up steps, versions and options, typed phrases (answers, warning signs,
negations, junk), and back / restart / stop / resume. After every event:

* nothing raises;
* the stored session is valid and round-trips through ``dump``/``load``;
* the version goes up by exactly one on every change and never otherwise;
* every question offers exactly its step's options (+ Done, + Back once answered);
* urgent advice never carries self-care text, and ends with the disclaimer;
* a result is only ever given to someone who agreed to the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.catalog.loader import load_catalog
from bot.engine import (
    Back,
    Choose,
    Event,
    Reply,
    Restart,
    Resume,
    Session,
    Start,
    Stop,
    Submit,
    Text,
    Toggle,
    Turn,
)
from tests.engine.chat import EngineChat
from tests.engine.test_flow import ABOVE_PATH, BEHIND_PATH
from tests.engine.texts import self_care_in

PHRASES = (
    "yes",
    "no",
    "none",
    "done",
    "Done",
    "not sure",
    "the back of my knee",
    "hamstrng",
    "calff",
    "above the knee",
    "running and sitting at my desk",
    "every day",
    "they wake me at night",
    "not enough",
    "plenty",
    "junk food",
    "athlete",
    "desk job",
    "retired",
    "thyroid",
    "no chest pain",
    "never numb",
    "chest pain",
    "my calf is swollen",
    "I can't put weight on it",
    "No, my calf is swollen",
    "it won't stop",
    "fever",
    "dark urine",
    "my leg is cold and blue",
    "asdfgh",
    "",
    "   ",
    "🦵 ouch",
    "???",
    "Ünïcödé knee",
    "back",
    "/stop",
)

KINDS = (
    "answer", "answer", "answer", "answer", "answer", "answer", "answer", "answer",
    "press", "press", "press", "choose", "toggle", "submit", "text", "text",
    "start", "back", "restart", "stop", "resume",
)  # fmt: skip
"""Answering the question is what users mostly do, so it is drawn most; the rest probe."""

VERSIONS = ("current", "current", "stale", "future", "random")
STEPS = ("current", "current", "current", "other")


@dataclass(frozen=True)
class Action:
    """An abstract user action; :func:`concrete` turns it into an event for the moment."""

    kind: str
    pick: int
    version: str
    step: str
    number: int
    text: str
    locale: str | None
    listed: bool


actions = st.builds(
    Action,
    kind=st.sampled_from(KINDS),
    pick=st.integers(0, 40),
    version=st.sampled_from(VERSIONS),
    step=st.sampled_from(STEPS),
    number=st.integers(0, 60),
    text=st.sampled_from(PHRASES),
    locale=st.sampled_from((None, None, "en", "en-GB", "xx")),
    listed=st.booleans(),
)


_DISCLAIMER = {"result": "short", "urgent": "urgent"}


def _all_options(flow: Flow) -> list[str]:
    return sorted({o.id for s in flow.steps for o in s.options} | {"bogus", "done"})


def concrete(action: Action, chat: EngineChat, flow: Flow) -> Event | None:
    """The event for ``action`` now; None for a press when no message has buttons."""
    session = chat.session
    shown = session.shown if session else 0
    step_id = (session.step if session else None) or flow.start
    if action.step == "other":
        step_id = flow.steps[action.pick % len(flow.steps)].id
    step = flow.step(step_id)
    assert step is not None
    options = [o.id for o in step.options]
    if action.number % 5 == 0:  # now and then, an option no step has
        options = _all_options(flow)
    option = options[action.pick % len(options)]
    version = {
        "current": shown,
        "stale": max(0, shown - 1 - action.number % 3),
        "future": shown + 1 + action.number % 3,
        "random": action.number,
    }[action.version]
    match action.kind:
        case "choose":
            return Choose(step_id, option, version)
        case "toggle":
            return Toggle(step_id, option, version)
        case "submit":
            count = action.number % 3
            picked = tuple(options[(action.pick + i) % len(options)] for i in range(count))
            return Submit(step_id, version, picked if action.listed else None)
        case "text":
            return Text(action.text)
        case "start":
            return Start(action.locale)
        case "restart":
            return Restart(action.locale)
        case "back":
            return Back()
        case "stop":
            return Stop()
        case "resume":
            return Resume()
    return None


def answer(action: Action, chat: EngineChat, flow: Flow) -> None:
    """Answer the current question with its own buttons, mostly the way onward.

    Declining consent and ticking a warning sign end the check, so they are drawn
    one time in eight; otherwise a conversation would rarely get past question 2.
    """
    question = chat.keyboard if chat.transcript else chat.start(action.locale)
    if question.kind != "question" or question.step in (None, "confirm"):
        chat.press(question.choices[action.pick % len(question.choices)].value, on=question)
        return
    step = flow.step(question.step)
    assert step is not None
    ending = action.pick % 8 == 7  # not 0: hypothesis draws 0 often
    usual = [o.id for o in step.options if ending or not (o.red_flag or o.id == "decline")]
    first = usual[action.pick % len(usual)]
    if step.kind == "single":
        chat.press(first, on=question)
        return
    chat.tick(*dict.fromkeys([first, usual[action.number % len(usual)]]))
    if chat.ticked:
        chat.done()


def press(action: Action, chat: EngineChat) -> None:
    """Press a button on the latest message with buttons, or on an older one."""
    keyboards = [r for r in chat.transcript if r.choices]
    if not keyboards:
        chat.start(action.locale)
        return
    older = action.version == "stale"
    message = keyboards[-1 - action.pick % len(keyboards)] if older else keyboards[-1]
    chat.press(message.choices[action.pick % len(message.choices)].value, on=message)


@cache
def world() -> tuple[Catalog, Flow, Content]:
    """The real catalog, loaded once.

    Not a pytest fixture on purpose: hypothesis prints a failing example's
    arguments, and a catalog's repr is so large that the warning about it (an
    error under ``filterwarnings = error``) would hide the actual failure.
    """
    catalog = load_catalog()
    return catalog, catalog.flow("kneecheck"), catalog.content("en")


# -- the invariants ------------------------------------------------------------------


def check_session(session: Session, flow: Flow) -> None:
    assert Session.load(session.dump()) == session
    assert session.shown <= session.version
    for step_id, value in session.answers.items():
        step = flow.step(step_id)
        assert step is not None, f"answer for unknown step {step_id!r}"
        ids = {o.id for o in step.options}
        if step.kind == "single":
            assert isinstance(value, str)
            assert value in ids
        else:
            assert isinstance(value, tuple)
            assert value, f"empty answer for {step_id}"
            assert set(value) <= ids
    if session.status == "active":
        assert session.step is not None
        step = flow.step(session.step)
        assert step is not None, f"active on unknown step {session.step!r}"
        assert set(session.pending) <= {o.id for o in step.options}
        if step.kind == "single":
            assert session.pending == ()
    else:
        assert session.step is None
        assert session.pending == ()
    if session.status == "done":
        assert session.outcome is not None
        assert flow.outcome(session.outcome) is not None
    if session.status == "stopped":
        assert session.answers == {}


def check_question(reply: Reply, session: Session | None, flow: Flow) -> None:
    assert session is not None
    assert session.status == "active"
    if reply.step == "confirm":  # the yes/no question about a hinted warning sign
        assert session.confirm is not None
        assert reply.version == session.shown
        assert [c.value for c in reply.choices] == ["yes", "no"]
        return
    assert session.confirm is None
    assert reply.step == session.step
    assert reply.version == session.shown
    step = flow.step(session.step or "")
    assert step is not None
    expected = [o.id for o in step.options]
    if step.kind == "multi":
        expected.append("done")
    if session.answers:
        expected.append("back")
    assert [c.value for c in reply.choices] == expected
    assert [c.value for c in reply.choices if c.selected] == [
        o for o in expected if o in session.pending
    ]
    assert reply.progress is not None
    assert reply.progress.startswith("Question ")


def check_turn(before: Session | None, turn: Turn, flow: Flow, content: Content) -> None:
    saved = turn.session if turn.changed else before
    if turn.changed:
        assert turn.session is not None
        assert turn.session.version == (before.version if before else 0) + 1
    else:
        assert turn.session == before
    if saved is not None:
        check_session(saved, flow)
    assert turn.replies, "every event gets an answer"
    for reply in turn.replies:
        if reply.kind == "question":
            check_question(reply, saved, flow)
        if reply.kind in ("urgent", "result"):
            # The disclaimer, with the emergency number of the user's region (or every one).
            # (the result's first message ends with its short form, the full one a tap away; an
            # urgent reply with its own line, which also says no self-care).
            regional = {
                getattr(content.for_region(r).disclaimer, _DISCLAIMER.get(reply.kind, "text"))
                for r in content.regions
            }
            assert reply.sections[-1].paragraphs[0] in regional
        if reply.kind == "urgent":
            assert self_care_in(reply.text(), content) == []
            assert reply.tier in ("emergency", "urgent")
        if reply.kind == "result":
            assert saved is not None
            assert saved.answers.get("consent") == "agree"
            assert reply.tier in ("soon", "self_care")


def check_turns(
    chat: EngineChat, sent: int, before: Session | None, flow: Flow, content: Content
) -> None:
    """Check every turn since the first ``sent`` (one action may take several events)."""
    for turn in chat.turns[sent:]:
        saved = turn.session if turn.changed else before
        # The result's follow-up button moves the user on to the followup flow.
        current = chat.catalog.flow(saved.flow) if saved is not None else flow
        check_turn(before, turn, current, content)
        before = turn.session if turn.changed else before


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(0, len(BEHIND_PATH)),  # questions answered first (12: at the result)
    location=st.sampled_from(("above", "behind", "around")),
    script=st.lists(actions, min_size=1, max_size=40),
)
def test_any_sequence_of_events_keeps_every_promise(
    depth: int, location: str, script: list[Action]
) -> None:
    catalog, flow, content = world()
    chat = EngineChat(catalog)
    path = BEHIND_PATH if location == "behind" else ABOVE_PATH
    chat.walk(until=path[depth] if depth < len(path) else None, location=location)
    for action in script:
        before, sent = chat.session, len(chat.turns)
        current = catalog.flow(before.flow) if before is not None else flow
        if action.kind == "answer":
            answer(action, chat, current)
        elif action.kind == "press":
            press(action, chat)
        else:
            event = concrete(action, chat, current)
            assert event is not None
            chat.send(event)
        check_turns(chat, sent, before, flow, content)
    if chat.session is not None and chat.session.status == "active":
        # Then the user comes back and finishes the check the ordinary way.
        before, sent = chat.session, len(chat.turns)
        chat.resume()
        chat.walk()
        check_turns(chat, sent, before, flow, content)
        assert chat.last.kind in ("result", "urgent", "info")


@settings(max_examples=100, deadline=None)
@given(answers=st.lists(st.integers(0, 20), min_size=15, max_size=15))
def test_any_button_path_through_the_check_reaches_an_ending(answers: list[int]) -> None:
    """Pressing only real answer buttons always ends the check within the flow's length."""
    catalog, flow, content = world()
    chat = EngineChat(catalog)
    chat.start()
    for pick in answers:
        question = chat.last
        if question.kind != "question":
            break
        options = [c for c in question.choices if c.action in ("choose", "toggle")]
        for value in [options[pick % len(options)].value] + (["done"] if question.multi else []):
            before = chat.session
            chat.press(value)
            check_turn(before, chat.turn, flow, content)
    assert chat.last.kind in ("result", "urgent", "info")
    assert chat.saved.status == "done"
