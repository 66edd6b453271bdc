"""The terminal chat: numbered choices, a number, a label or free text all work.

It reads lines from stdin, so a whole conversation can be piped in
(``printf '1\\n9\\n...' | kneecheck chat``). Like every channel it only
translates: a line becomes an action, :class:`~bot.actions.Actions` decides, and
its outcome is printed.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import textwrap
import threading
from dataclasses import replace
from typing import TextIO

from bot.actions import (
    HELP,
    START,
    Action,
    Actions,
    Chosen,
    Command,
    Press,
    text_for,
)
from bot.catalog.content import Content
from bot.channels.terminal_entry import NAME as CHANNEL
from bot.engine import Event, Reply, Submit
from bot.engine.buttons import encode_choice
from bot.engine.replies import Choice
from bot.reminders.service import Outcome
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef
from bot.understanding import kept

MIN_WIDTH, MAX_WIDTH = 40, 100
"""Lines are wrapped to the terminal, but never wider than reads comfortably."""


def width() -> int:
    return max(MIN_WIDTH, min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns))


def _wrapped(text: str, columns: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` wrapped at word boundaries, its first line after ``first`` and the others
    indented under the text (a bullet's second line starts under its first word)."""
    lines: list[str] = []
    for n, paragraph in enumerate(text.split("\n")):
        lines += textwrap.wrap(
            paragraph,
            columns,
            initial_indent=first if n == 0 else rest,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
    return lines


def render(reply: Reply, content: Content, columns: int | None = None) -> str:
    """A reply as terminal text, wrapped to ``columns``: the first title underlined with
    "=", later ones with "-", so a reply's heading stands out from its sections; bullets,
    numbered steps and choices indented under their first word."""
    columns = columns or width()
    if reply.kind == "answered":
        return "\n".join(_wrapped(reply.text(), columns, "  -> ", "     "))
    lines: list[str] = []
    titled = 0
    button_hint = content.ui["multi_hint"] if reply.multi else None
    for section in reply.sections:
        if button_hint in section.paragraphs:  # "press Done" is for buttons: see below
            section = replace(
                section, paragraphs=tuple(p for p in section.paragraphs if p != button_hint)
            )
        if section.title:
            rule = "=" if titled == 0 else "-"
            titled += 1
            title = _wrapped(section.title, columns)
            lines += ["", *title, rule * min(max(len(t) for t in title), columns)]
        for paragraph in section.paragraphs:
            lines += _wrapped(paragraph, columns)
        for b in section.bullets:
            lines += _wrapped(b, columns, "  * ", "    ")
        for i, step in enumerate(section.steps, 1):
            at = f"  {i}. "
            lines += _wrapped(step, columns, at, " " * len(at))
    for number, choice in enumerate(choices(reply), 1):
        mark = "[x] " if choice.selected else ""  # chosen before: typed numbers replace it
        first = f"  {number}) {mark}"
        lines += _wrapped(choice.label, columns, first, " " * len(first))
    if reply.multi:
        lines += _wrapped(content.ui["terminal_multi_hint"], columns)
    return "\n".join(lines).lstrip("\n")


def choices(reply: Reply) -> tuple[Choice, ...]:
    """The choices as numbered here. A multi-choice question is answered with every number
    on one line, so it has no Done (that is how buttons work elsewhere): one way to answer,
    the one the screen explains."""
    if not reply.multi:
        return reply.choices
    return tuple(c for c in reply.choices if c.action != "submit")


QUIT = ("/quit", "/exit")
"""The terminal's own: the program ends (every other channel's conversation just pauses)."""


def to_action(line: str, shown: Reply | None, actions: Actions) -> Action | None:
    """Translate one typed line, given the last reply that offered choices: a command, the
    number or label of a choice (several numbers tick several boxes), or free text."""
    text = line.strip()
    if not text:
        return None
    typed = actions.typed(text)
    if isinstance(typed, Command) or shown is None or not shown.choices:
        return typed
    numbered = choices(shown)
    by_label = [c for c in numbered if c.label.lower() == text.lower()]
    if by_label:
        # First: where the answers are numbers (severity 0 to 10), "7" means 7, not the 7th.
        return _from_choices(by_label, shown)
    numbers = text.replace(",", " ").split()
    if all(n.isdigit() for n in numbers):
        picked = [numbered[int(n) - 1] for n in numbers if 0 < int(n) <= len(numbered)]
        if len(picked) == len(numbers):
            return _from_choices(picked, shown)
    return typed


def _from_choices(picked: list[Choice], shown: Reply) -> Action | None:
    """The numbers typed on one line are the whole answer: boxes are ticked and sent at once
    (the screen says so), never toggled one at a time."""
    if shown.multi and all(c.action == "toggle" for c in picked):
        step, version = picked[0].target or (shown.step or "", shown.version)
        return Chosen(Submit(step, version, tuple(c.value for c in picked)))
    if len(picked) == 1:
        return Press(encode_choice(picked[0], shown.step, shown.version))
    return None


class TerminalChat:
    def __init__(
        self,
        actions: Actions,
        user: UserRef,
        *,
        locale: str | None = None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.actions = actions
        self.user = user
        self.locale = locale
        self.stdin = stdin
        self.stdout = stdout
        self.content = actions.catalog.content(locale)
        self.shown: Reply | None = None
        """The reply whose numbered choices the next line answers."""
        self.waiting: Reply | None = None
        """The question under a view that has choices of its own (the /forget confirmation, a
        reminder): the view takes the next line, then numbers answer the question again (or
        nothing, when no question waits: a confirmation's "1" must not erase twice)."""
        self.on_view = False

    def _reader(self) -> asyncio.Queue[str]:
        """Lines from stdin, read on a daemon thread: a blocked ``readline`` must not keep the
        program alive after Ctrl-C (the default executor would wait for it)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:
            while True:
                line = self.stdin.readline()
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                except RuntimeError:  # the loop has closed: the chat is over
                    return
                if line == "":
                    return

        threading.Thread(target=read, name="terminal-stdin", daemon=True).start()
        return queue

    def say(self, text: str) -> None:
        """Print text already laid out (a rendered reply)."""
        print(text, file=self.stdout, flush=True)

    def tell(self, text: str) -> None:
        """Print a plain sentence or two, wrapped to the terminal like every reply."""
        self.say("\n".join(_wrapped(text, width())))

    async def run(self) -> None:
        lines = self._reader()
        await self.act(Command(START))
        while True:
            line = await lines.get()
            if line == "" or line.strip().lower() in QUIT:
                return
            await self.line(line)

    async def line(self, line: str) -> bool:
        """Act on one typed line; False when it did nothing (an empty line, or numbers that
        match no choice, which are told so)."""
        line = kept(line)  # a pasted page costs what its first thousand characters cost
        action = to_action(line, self.shown, self.actions)
        if action is None:
            if line.strip():
                self.tell(self.content.ui["no_match"])
            return False
        if action == Command(HELP):
            self.say("\n".join(_wrapped(text_for(self.content, HELP, CHANNEL), width())))
            if self.shown is not None:  # the question still waits: show it again
                self.say("")
                self.show(self.shown)
            return True
        await self.act(action)
        return True

    async def send(self, event: Event) -> None:
        """An engine event as if answered on screen (a transcript's start with its locale)."""
        await self.act(Chosen(event))

    async def act(self, action: Action) -> None:
        if self.on_view:  # this line was the view's: the question (if any) is back
            self.shown, self.waiting, self.on_view = self.waiting, None, False
        try:
            outcome = await self.actions.act(
                self.user, action, channel=CHANNEL, locale=self.locale, outbox=False
            )
        except StoreUnavailable:
            self.tell(self.content.ui["unavailable"])
            return
        if outcome.taken is not None:
            for owed in outcome.taken.owed:
                for reply in owed.replies:
                    self.show(reply)
            if outcome.taken.turn is not None:
                for reply in outcome.taken.turn.replies:
                    self.show(reply)
        for reply in (*outcome.notices, *outcome.replies):
            self.show(reply, view=True)
        if outcome.picture is not None:  # no pictures here: the chart's lines instead
            self.show(outcome.picture.fallback, view=True)
        self.say("")

    def show(self, reply: Reply, *, view: bool = False) -> None:
        """Print ``reply``. A ``view`` (/mydata, /help, a confirmation, a reminder) leaves the
        question where it was: "1" typed after /mydata still answers question 1."""
        self.say(render(reply, self.content))
        if view:
            if reply.choices:
                if not self.on_view:
                    self.waiting, self.on_view = self.shown, True
                self.shown = reply
            return
        if reply.choices:
            self.shown = reply
        elif reply.kind in ("result", "urgent", "info"):
            self.shown = None


class TerminalCourier:
    """Reminders that fall due while the terminal chat runs are printed into it."""

    def __init__(self, chat: TerminalChat) -> None:
        self.chat = chat

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        self.chat.show(reply, view=True)
        self.chat.say("")
        return "sent"
