"""The contract's terminal: the real :class:`TerminalChat` on the app ``kneecheck chat``
builds, typed at line by line, its printed text read back.

Everything it prints is a message the user sees, except what it tells in passing (a line
typed to no effect, a notice such as "Well done!"): those are its notices. It has no
pictures: the diary chart's text fallback, titled like the chart, is printed instead.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bot.actions import Command
from bot.catalog.loader import CONTENT_DIR
from bot.channels.terminal import TerminalChat, TerminalCourier, choices
from bot.channels.terminal_entry import NAME, PREFIX
from bot.engine import Reply
from bot.parts import App
from bot.reminders.service import Courier
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.contract.drivers import ReminderWorker, Seen, plain, reminder_worker


class Screen(TerminalChat):
    """The real terminal chat, keeping what it prints apart from what it tells in passing."""

    def __init__(self, app: App, user: UserRef, locale: str | None = None) -> None:
        super().__init__(app.actions, user, locale=locale, stdout=io.StringIO())
        self.seen = Seen()
        self.charts = 0
        self._telling = False

    def say(self, text: str) -> None:
        super().say(text)
        if not text.strip():
            return
        if self._telling:
            self.seen.tell(plain(text), as_laid_out=text)
        else:
            self.seen.see(text)

    def tell(self, text: str) -> None:
        self._telling = True
        try:
            super().tell(text)
        finally:
            self._telling = False

    def show(self, reply: Reply, *, view: bool = False) -> None:
        title = reply.sections[0].title if reply.sections else None
        if title == self.content.ui["diary_chart_title"]:
            self.charts += 1  # the chart's text fallback
        # A notice to the one who acted (a reminder button's "Well done!") comes as a view;
        # a turn's own notices ("Starting over.") are part of the conversation.
        self._telling = view and reply.kind == "notice"
        try:
            super().show(reply, view=view)
        finally:
            self._telling = False


class TerminalDriver:
    name = NAME

    def __init__(self, app: App, user: UserRef, locale: str | None = None) -> None:
        self.app = app
        self.user = user
        self.chat = Screen(app, user, locale)
        self.worker: ReminderWorker | None = None

    async def start(self) -> None:
        await self.chat.act(Command("start"))  # what `kneecheck chat` does first

    async def command(self, name: str) -> None:
        await self.type(f"/{name}")

    async def say(self, text: str) -> None:
        await self.type(text)

    async def type(self, line: str) -> None:
        """One line typed; every line the contract types does something."""
        assert await self.chat.line(line), f"{line!r} did nothing"

    def _number(self, choice: str) -> str:
        """What to type for ``choice``: its number in the list, or its label where the
        answers are numbers themselves (a severity of 6 is typed "6", as the screen reads)."""
        shown = self.chat.shown
        assert shown is not None, f"no choices on screen for {choice!r}"
        for number, option in enumerate(choices(shown), 1):
            if choice in (option.value, option.label):
                return option.label if option.label.isdigit() else str(number)
        raise AssertionError(f"no choice {choice!r}: {[c.label for c in choices(shown)]}")

    async def choose(self, choice: str) -> None:
        await self.type(self._number(choice))

    async def answer_multi(self, values: Sequence[str]) -> None:
        await self.type(" ".join(self._number(v) for v in values))

    async def press_forged(self, data: str) -> None:
        await self.chat.line("1 2")  # two answers to a one-answer question

    async def press_stale(self, choice: str) -> bool:
        return False  # numbers always answer what is on screen now

    async def deliver_due_reminders(self) -> int:
        if self.worker is None:
            raise AssertionError("deliveries need the driver opened by terminal_driver()")
        return await self.worker.deliver_due()

    def texts(self) -> list[str]:
        return self.chat.seen.texts()

    def notices(self) -> list[str]:
        return self.chat.seen.notices()

    def pictures(self) -> int:
        return self.chat.charts

    def choices(self) -> list[str]:
        shown = self.chat.shown
        return [c.label for c in choices(shown)] if shown is not None else []

    def laid_out(self) -> list[str]:
        return list(self.chat.seen.laid_out)

    def labels(self) -> list[str]:
        return []  # numbered lines of the messages

    def picture_titles(self) -> list[str]:
        return []  # the chart's text fallback is printed, titled like the chart

    def spelled(self, command: str) -> str:
        return f"/{command}"

    def known_commands(self) -> tuple[str, ...]:
        return self.app.actions.commands()


@contextlib.asynccontextmanager
async def terminal_driver(
    redis_url: str, *, content_dir: Path = CONTENT_DIR, language: str | None = None
) -> AsyncIterator[TerminalDriver]:
    """``kneecheck chat`` on the suite's Redis: its app, the chat, and a worker whose
    courier prints into the chat (as ``kneecheck run``'s in-process worker does).
    ``language``: what ``kneecheck chat --locale`` passes."""
    settings = Settings(redis_url=redis_url, content_dir=content_dir)
    app = build_app(settings)
    driver = TerminalDriver(app, UserRef(PREFIX, "contract"), language)

    def courier(_: App) -> Courier:
        return TerminalCourier(driver.chat)

    try:
        async with reminder_worker(settings, driver.user, courier) as worker:
            driver.worker = worker
            yield driver
    finally:
        await app.close()
