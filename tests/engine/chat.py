"""``EngineChat``: drive the pure engine the way a user drives the bot.

A tiny, pure test driver in the spirit of aiogram-dialog's ``BotClient``: it
holds the catalog, the stored session and a clock, turns "press Yes" or "type
'the back of my knee'" into engine events, and keeps the session only when the
turn says it changed (exactly what the real shell does). No I/O, no sleeps.

    chat.start()
    chat.press("agree")            # option id or the exact button label
    chat.tick("none"); chat.done() # multi-choice: tick, then Done
    chat.say("the back of my knee")
    assert chat.last.step == "behind_muscle"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.catalog.catalog import Catalog
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
    advance,
)
from bot.engine.machine import DEFAULT_FLOW

T0 = 1_767_225_600
"""2026-01-01T00:00:00Z: the clock every chat starts from."""

Answer = str | Sequence[str]
"""For :meth:`EngineChat.answer`: a button to press, or options to tick before Done."""

TYPICAL: dict[str, Answer] = {
    "consent": "agree",
    "confirm": "no",  # the yes/no question about a warning sign only hinted at
    "red_flags": ["none"],
    "location": "above",
    "behind_muscle": "calf",
    "triggers": ["exercise"],
    "frequency": "rarely",
    "water": "ok",
    "diet": "balanced",
    "activity": "moderate",
    "sitting": "under_4h",
    "age": "a18_39",
    "conditions": ["none"],
    "risks": ["none"],
    "one_leg": "both",
    "walking": "no",
    # The follow-up offer and the check-in (flows/followup.yaml, flows/checkin.yaml).
    "fu_offer": ["none"],
    "fu_time": "t0800",
    "fu_zone": "z_london",
    "ck_flags": ["none"],
    "ck_trend": "same",
    "ck_spasms": "few",
    "ck_severity": "s3",
}
"""A typical adult with no warning signs: what :meth:`EngineChat.walk` answers by default."""


class NoSuchChoice(AssertionError):
    """The button a test tried to press is not on the message."""


class EngineChat:
    """One user's conversation with the engine, kept as a transcript of replies."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        now: int = T0,
        seconds_per_event: int = 1,
        flow_id: str = DEFAULT_FLOW,
    ) -> None:
        self.catalog = catalog
        self.flow_id = flow_id
        self.now = now
        self.seconds_per_event = seconds_per_event
        self.session: Session | None = None
        self.turns: list[Turn] = []
        self.transcript: list[Reply] = []

    # -- the one place an event reaches the engine ------------------------------------

    def send(self, event: Event) -> Reply:
        """Apply ``event``; keep the new session only if the turn changed it."""
        self.now += self.seconds_per_event
        turn = advance(self.catalog, self.session, event, now=self.now, flow_id=self.flow_id)
        if turn.changed:
            self.session = turn.session
        self.turns.append(turn)
        self.transcript.extend(turn.replies)
        return self.last

    # -- what the user does ------------------------------------------------------------

    def start(self, locale: str | None = None, *, flow: str | None = None) -> Reply:
        return self.send(Start(locale, flow))

    def say(self, text: str) -> Reply:
        return self.send(Text(text))

    def press(self, label_or_option: str, *, on: Reply | None = None) -> Reply:
        """Press a button on the latest message with buttons (or on an older one, ``on``)."""
        message = on if on is not None else self.keyboard
        choice = next((c for c in message.choices if label_or_option in (c.value, c.label)), None)
        if choice is None:
            offered = ", ".join(f"{c.value} ({c.label!r})" for c in message.choices)
            raise NoSuchChoice(f"no button {label_or_option!r} on this message; it has: {offered}")
        if choice.action == "command":
            return self.send(_command(choice.value))
        if choice.action == "start":
            return self.send(Start(flow=choice.value))
        if choice.target is not None:  # a button acting on something else (a result topic)
            step, version = choice.target
            return self.send(Choose(step, choice.value, version))
        assert message.step is not None, "an answer button always names its step"
        match choice.action:
            case "choose":
                return self.send(Choose(message.step, choice.value, message.version))
            case "toggle":
                return self.send(Toggle(message.step, choice.value, message.version))
            case "submit":
                return self.send(Submit(message.step, message.version))
        raise AssertionError(f"unknown button action {choice.action!r}")  # pragma: no cover

    def tick(self, *options: str) -> Reply:
        """Tick each option on the current multi-choice question (without pressing Done)."""
        for option in options:
            self.press(option)
        return self.last

    def done(self) -> Reply:
        return self.press("done")

    def answer(self, *answers: Answer) -> Reply:
        """Answer questions in turn: a string presses it; a list leaves exactly those
        options ticked (whatever was ticked before) and presses Done."""
        for item in answers:
            if isinstance(item, str):
                self.press(item)
                continue
            for option in item:
                if option not in self.ticked:
                    self.press(option)
            for option in self.ticked:
                if option not in item:
                    self.press(option)
            self.done()
        return self.last

    def walk(self, until: str | None = None, **answers: Answer) -> Reply:
        """Answer each question as it comes (``answers`` by step id, else :data:`TYPICAL`).

        Starts a check if none is shown. Stops when the question ``until`` is shown, or
        when the check ends (result, urgent advice or a polite end) if ``until`` is None.
        """
        return self.walk_with(answers, until)

    def walk_with(self, answers: Mapping[str, Answer], until: str | None = None) -> Reply:
        """:meth:`walk` with the answers as a mapping."""
        if not self.turns:
            self.start()
        for _ in range(len(TYPICAL) + 5):
            question = self.last
            if question.kind != "question" or question.step == until:
                break
            assert question.step is not None
            self.answer(answers.get(question.step, TYPICAL[question.step]))
        if until is not None:
            assert self.last.step == until, f"never reached {until!r}: {self.last.text()}"
        return self.last

    def back(self) -> Reply:
        return self.send(Back())

    def restart(self, locale: str | None = None) -> Reply:
        return self.send(Restart(locale))

    def resume(self) -> Reply:
        return self.send(Resume())

    def stop(self) -> Reply:
        return self.send(Stop())

    # -- what the user sees ------------------------------------------------------------

    @property
    def turn(self) -> Turn:
        assert self.turns, "nothing has been sent yet"
        return self.turns[-1]

    @property
    def saved(self) -> Session:
        """The stored session; a test that reads it expects one."""
        assert self.session is not None, "nothing is stored for this user"
        return self.session

    @property
    def replies(self) -> tuple[Reply, ...]:
        """Every reply of the last turn, in order."""
        return self.turn.replies

    @property
    def last(self) -> Reply:
        """The last reply of the last turn."""
        assert self.replies, "the last turn had no reply"
        return self.replies[-1]

    @property
    def keyboard(self) -> Reply:
        """The latest message that has buttons (a question or the resume prompt)."""
        for reply in reversed(self.transcript):
            if reply.choices:
                return reply
        raise NoSuchChoice("no message with buttons has been shown yet")

    @property
    def ticked(self) -> list[str]:
        """The options ticked on the latest message with buttons."""
        return [c.value for c in self.keyboard.choices if c.selected]

    @property
    def questions(self) -> list[Reply]:
        """Each question as first asked (redrawn after a tick or a miss, it is not repeated)."""
        seen: set[int] = set()
        asked = []
        for reply in self.transcript:
            if reply.kind == "question" and reply.version not in seen:
                seen.add(reply.version)
                asked.append(reply)
        return asked


def _command(name: str) -> Event:
    commands: dict[str, Event] = {"back": Back(), "resume": Resume(), "restart": Restart()}
    if name not in commands:
        raise NoSuchChoice(f"unknown command button {name!r}")
    return commands[name]
