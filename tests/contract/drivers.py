"""What a user can do and see on any channel: the contract every channel driver speaks.

aiogram runs one storage test suite over every storage backend; kneecheck runs one user's
test suite over every channel. Each driver here wraps the test driver its channel already
has (the terminal chat's own class, the Telegram harness over the fake Bot API, the Slack
user over the fake Slack API, a web page's tab over HTTP and server-sent events), so the
contract tests say what a person does ("choose Keep it") and what they would notice ("a
notice came", "a picture came") once, in words every channel shares.

What is seen is kept as an append-only log (:meth:`Seen.texts`): a message that is edited
in place (a ticked box, a replaced confirmation) is logged again as it now reads, so a test
can slice "everything since I pressed" without knowing how the channel redraws.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from bot.parts import App
from bot.reminders.service import Courier
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app


class ChannelDriver(Protocol):
    """One person on one channel: the few things they do, and what they have seen."""

    name: str
    """The channel's registry name (``terminal``, ``telegram``, ``slack``, ``web``)."""

    async def start(self) -> None:
        """Open the conversation the way the channel does (/start, ``/kneecheck``...)."""

    async def command(self, name: str) -> None:
        """A command by its neutral name, typed in the channel's own syntax."""

    async def say(self, text: str) -> None:
        """Type ``text`` in the conversation."""

    async def choose(self, choice: str) -> None:
        """Press the button (type the number) whose option value or label is ``choice`` on
        the latest message that has choices; failing that, on the newest earlier message
        still showing it, as a person scrolls up to a question a reminder came under."""

    async def answer_multi(self, values: Sequence[str]) -> None:
        """Answer a several-answers question: tick each then Done, or every number on one
        line in the terminal."""

    async def press_forged(self, data: str) -> None:
        """A press of a button the bot never offered (``data`` is the forged payload). The
        terminal has no payloads: it types the nearest thing, two numbers at a question that
        takes one."""

    async def press_stale(self, choice: str) -> bool:
        """Press ``choice`` on the earliest message that showed it (a second device, a slow
        client). False where the channel has no old buttons to press (the terminal)."""

    async def deliver_due_reminders(self) -> int:
        """Deliver each reminder the user has set, at its time, through this channel's
        courier, as ``kneecheck worker`` would; how many were sent."""

    def texts(self) -> list[str]:
        """Every message the user has seen so far, in order, as plain text (an edited message
        again as it now reads)."""

    def notices(self) -> list[str]:
        """What was told to the presser alone: Telegram's callback answers, Slack's ephemeral
        messages, the web post's notices, the terminal's one-off lines."""

    def pictures(self) -> int:
        """Diary charts shown: a picture, or in the terminal its text fallback."""

    def choices(self) -> list[str]:
        """The labels of the latest message with choices ([] when there is none)."""

    def laid_out(self) -> list[str]:
        """Every message and notice the user has seen, as the channel laid it out (line
        breaks kept), in order: :meth:`texts` and :meth:`notices` before :func:`plain`."""

    def labels(self) -> list[str]:
        """The label of every button ever shown (the terminal: [], its numbered choices are
        lines of its messages)."""

    def picture_titles(self) -> list[str]:
        """The title each picture was shown with (a caption, a file's title, the image's
        heading); the terminal has no pictures: [] (its text fallback is a message)."""

    def spelled(self, command: str) -> str:
        """How this channel's help writes a command (``/back``, ``/kneecheck back``)."""

    def known_commands(self) -> tuple[str, ...]:
        """The commands this channel's process offers (:meth:`Actions.commands`)."""


def plain(text: str) -> str:
    """``text`` with every run of spaces and line breaks as one space: line wrapping and
    layout differ between channels, the words do not."""
    return " ".join(text.split())


def option_of(data: str) -> str:
    """The option a button's payload names (``c|step|option|version``), else the payload."""
    parts = data.split("|")
    return parts[2] if len(parts) > 2 else data


class Seen:
    """The append-only log of what a user saw, fed by each channel's current state."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.told: list[str] = []
        self.laid_out: list[str] = []
        """What was logged and told, as laid out (line breaks kept)."""
        self._shown: dict[str, str] = {}

    def see(self, text: str) -> None:
        """A message shown (or shown again, edited)."""
        self.log.append(plain(text))
        self.laid_out.append(text)

    def tell(self, notice: str, *, as_laid_out: str | None = None) -> None:
        """A notice to the presser alone (``as_laid_out``: its text before it was made one
        line, where the channel's notice is kept as one)."""
        self.told.append(notice)
        self.laid_out.append(notice if as_laid_out is None else as_laid_out)

    def update(self, current: Sequence[tuple[str, str]]) -> None:
        """``current``: (message key, its text now) of every message on screen; new and
        changed ones are logged, in screen order."""
        for key, text in current:
            if self._shown.get(key) != text:
                self._shown[key] = text
                self.see(text)

    def texts(self) -> list[str]:
        return list(self.log)

    def notices(self) -> list[str]:
        return list(self.told)


class ReminderWorker:
    """``kneecheck worker`` for one user, in this event loop: its own App (own Redis client)
    with a clock this test sets to each occurrence's time, and the channel's courier.

    The saq worker's queue is not polled: the contract is about what the user sees when a
    reminder comes, so each occurrence is handed to :meth:`ReminderService.deliver` (what
    the worker's job does) exactly at its time, with no waiting for the sweep."""

    def __init__(
        self,
        settings: Settings,
        user: UserRef,
        courier: Callable[[App], Courier],
    ) -> None:
        self.now = 0.0
        self.app = build_app(settings, clock=lambda: self.now)
        self.user = user
        self.courier = courier(self.app)
        self.app.reminders.couriers[user.channel] = self.courier

    async def deliver_due(self) -> int:
        reminders = await self.app.reminders.load(self.user)
        due = sorted(
            (item.due, rid)
            for rid, item in reminders.items.items()
            if item.due is not None and not item.paused
        )
        sent = 0
        for at, rid in due:
            self.now = float(at)
            delivered = await self.app.reminders.deliver(self.user, rid, at)
            sent += delivered.outcome == "sent"
        return sent

    async def close(self) -> None:
        await self.app.close()


@contextlib.asynccontextmanager
async def reminder_worker(
    settings: Settings, user: UserRef, courier: Callable[[App], Courier]
) -> AsyncIterator[ReminderWorker]:
    """A :class:`ReminderWorker`, its courier started and stopped as the worker's startup and
    shutdown do (a Telegram courier's bot is initialized first)."""
    worker = ReminderWorker(settings, user, courier)
    bot = getattr(worker.courier, "bot", None)
    initialize = getattr(bot, "initialize", None)
    if initialize is not None:
        await initialize()
    try:
        yield worker
    finally:
        shutdown = getattr(bot, "shutdown", None)
        if shutdown is not None:
            await shutdown()
        await worker.close()
