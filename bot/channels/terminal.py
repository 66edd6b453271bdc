"""The terminal chat: numbered choices, a number, a label or free text all work.

It reads lines from stdin, so a whole conversation can be piped in
(``printf '1\\n9\\n...' | kneecheck chat``). Like every channel it only
translates: the engine decides, :class:`Conversations` stores.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import TextIO

from bot.catalog.content import Content
from bot.conversations import Conversations
from bot.engine import (
    Back,
    Choose,
    Event,
    Reply,
    Restart,
    Resume,
    Start,
    Stop,
    Submit,
    Text,
    Toggle,
)
from bot.engine.replies import Choice
from bot.follow_ups import FollowUpViews
from bot.reminders.buttons import ReminderPress
from bot.reminders.service import Outcome, ReminderService
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef

COMMANDS: dict[str, Callable[[], Event]] = {
    "/start": Start,
    "/kneecheck": Start,
    "/back": Back,
    "/restart": Restart,
    "/stop": Stop,
}


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
    for section in reply.sections:
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
    for number, choice in enumerate(reply.choices, 1):
        mark = "[x] " if choice.selected else ("[ ] " if choice.action == "toggle" else "")
        first = f"  {number}) {mark}"
        lines += _wrapped(choice.label, columns, first, " " * len(first))
    if reply.multi:
        lines += _wrapped(content.ui["terminal_multi_hint"], columns)
    return "\n".join(lines).lstrip("\n")


def to_event(line: str, shown: Reply | None) -> Event | None:
    """Translate one typed line, given the last reply that offered choices."""
    text = line.strip()
    if not text:
        return None
    if text.lower() in COMMANDS:
        return COMMANDS[text.lower()]()
    if shown is None or not shown.choices:
        return Text(text)
    by_label = [c for c in shown.choices if c.label.lower() == text.lower()]
    if by_label:
        # First: where the answers are numbers (severity 0 to 10), "7" means 7, not the 7th.
        return _from_choices(by_label, shown)
    numbers = text.replace(",", " ").split()
    if all(n.isdigit() for n in numbers):
        picked = [shown.choices[int(n) - 1] for n in numbers if 0 < int(n) <= len(shown.choices)]
        if len(picked) == len(numbers):
            return _from_choices(picked, shown)
    return Text(text)


def _from_choices(picked: list[Choice], shown: Reply) -> Event | None:
    step, version = picked[0].target or (shown.step or "", shown.version)
    if len(picked) == 1 and picked[0].action == "start":
        return Start(flow=picked[0].value)
    if len(picked) == 1 and picked[0].action == "command":
        return COMMANDS.get(f"/{picked[0].value}", Resume)()
    if len(picked) == 1 and picked[0].action == "choose":
        return Choose(step, picked[0].value, version)
    if len(picked) == 1 and picked[0].action == "submit":
        return Submit(step, version)
    if shown.multi and all(c.action == "toggle" for c in picked):
        return Submit(step, version, tuple(c.value for c in picked))
    if len(picked) == 1 and picked[0].action == "toggle":
        return Toggle(step, picked[0].value, version)
    return None


class TerminalChat:
    def __init__(
        self,
        conversations: Conversations,
        user: UserRef,
        *,
        locale: str | None = None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        reminders: ReminderService | None = None,
    ) -> None:
        self.conversations = conversations
        self.reminders = reminders
        self.views = FollowUpViews(conversations, reminders) if reminders else None
        self.user = user
        self.locale = locale
        self.stdin = stdin
        self.stdout = stdout
        self.content = conversations.catalog.content(locale)
        self.shown: Reply | None = None

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
        print(text, file=self.stdout, flush=True)

    async def run(self) -> None:
        lines = self._reader()
        await self.send(Start(self.locale))
        while True:
            line = await lines.get()
            if line == "":
                return
            if line.strip().lower() in ("/quit", "/exit"):
                return
            if await self.command(line.strip().lower()):
                continue
            if await self.reminder_choice(line):
                continue
            event = to_event(line, self.shown)
            if event is None:
                if line.strip():
                    self.say(self.content.ui["no_match"])
                continue
            await self.send(event)

    async def command(self, text: str) -> bool:
        """Commands that are not conversation events: help, mydata, forget, quit."""
        if text == "/help":
            self.say("\n".join(_wrapped(self.content.ui["help"], width())))
            if self.shown is not None:  # the question still waits: show it again
                self.say("")
                self.show(self.shown)
        elif text == "/mydata":
            self.say(
                render(await self.conversations.stored_data(self.user, self.locale), self.content)
            )
        elif text in ("/diary", "/summary", "/reminders") and self.views is not None:
            if text == "/diary":
                reply = await self.views.diary_text(self.user, self.content)
            elif text == "/summary":
                reply = await self.views.summary(self.user, self.content)
            else:
                reply = await self.views.reminders(self.user, self.content)
            self.show(reply)
        elif text == "/checkin":
            await self.send(Start(self.locale, flow="checkin"))
        elif text == "/forget":
            await self.conversations.forget(self.user)
            self.say(self.content.ui["forgotten"])
            self.shown = None
        else:
            return False
        return True

    async def send(self, event: Event) -> None:
        try:
            turn = await self.conversations.handle(self.user, event)
        except StoreUnavailable:
            self.say(self.content.ui["unavailable"])
            return
        for reply in turn.replies:
            self.show(reply)
        self.say("")

    def show(self, reply: Reply) -> None:
        self.say(render(reply, self.content))
        if reply.choices:
            self.shown = reply
        elif reply.kind in ("result", "urgent", "info"):
            self.shown = None

    async def reminder_choice(self, line: str) -> bool:
        """A number picking a reminder's button (done, snooze, pause...): the service's."""
        shown, text = self.shown, line.strip()
        if self.reminders is None or shown is None or not text.isdigit():
            return False
        number = int(text)
        if not 0 < number <= len(shown.choices) or shown.choices[number - 1].action != "reminder":
            return False
        choice = shown.choices[number - 1]
        rid, due = choice.target or (shown.step or "all", shown.version)
        for reply in await self.reminders.press(self.user, ReminderPress(rid, choice.value, due)):
            self.show(reply)
        return True


class TerminalCourier:
    """Reminders that fall due while the terminal chat runs are printed into it."""

    def __init__(self, chat: TerminalChat) -> None:
        self.chat = chat

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        self.chat.show(reply)
        self.chat.say("")
        return "sent"
