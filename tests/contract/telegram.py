"""The contract's Telegram: the real bot polling the fake Bot API over HTTP
(:mod:`tests.channels.telegram.harness`), a user who sends messages and taps buttons.

What they saw is read back from the fake: their chat's messages as edited, the photos sent
to it, and the callback answers their taps got (the notices, shown on the button).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bot.catalog.loader import CONTENT_DIR
from bot.channels.telegram.entry import ENTRY, NAME
from bot.channels.telegram.render import TICKED, UNTICKED
from bot.parts import App
from bot.reminders.service import Courier
from tests.channels.telegram.harness import BotProcess, TelegramUser
from tests.contract.drivers import ReminderWorker, Seen, option_of, reminder_worker
from tests.fakes.telegram import FakeTelegram, SentMessage, render

USER_ID = 4242


def label(text: str) -> str:
    """A button's label without the tick mark a multi-choice box has in front."""
    return text.removeprefix(TICKED).removeprefix(UNTICKED)


class TelegramDriver:
    name = NAME

    def __init__(self, fake: FakeTelegram, bot: BotProcess, language: str = "en") -> None:
        self.fake = fake
        self.bot = bot
        self.user = TelegramUser(fake, bot, USER_ID, language)
        self.seen = Seen()
        self.buttons: list[tuple[str, str, SentMessage]] = []
        """Every (label, data, message) ever shown, for a press from an old screen."""
        self.worker: ReminderWorker | None = None

    def _sync(self) -> None:
        messages = self.user.messages
        self.seen.update([(str(m.message_id), m.plain_text) for m in messages])
        for message in messages:
            for text, data in message.buttons():
                if not any(d == data and m is message for _, d, m in self.buttons):
                    self.buttons.append((label(text), data, message))

    async def send(self, text: str) -> None:
        await self.user.send(text)
        self._sync()

    async def tap(self, message: SentMessage, data: str) -> None:
        notice = await self.user.tap(message, data)
        if notice:
            self.seen.tell(notice)
        self._sync()

    async def start(self) -> None:
        await self.send("/start")

    async def command(self, name: str) -> None:
        await self.send(f"/{name}")

    async def say(self, text: str) -> None:
        await self.send(text)

    @staticmethod
    def _data(message: SentMessage, choice: str) -> str | None:
        for text, data in message.buttons():
            if choice in (label(text), text, option_of(data)):
                return data
        return None

    def _holding(self, choice: str, beside: Sequence[str]) -> tuple[SentMessage, str]:
        """The newest message with a button ``choice`` (and buttons ``beside`` it): the
        latest with buttons, or an earlier one still showing it, as a person scrolls up to
        a question a reminder has come under."""
        for message in reversed(self.user.messages):
            data = self._data(message, choice)
            if data is not None and all(self._data(message, b) for b in beside):
                return message, data
        raise AssertionError(f"no button {choice!r} in {self.user.keyboard_message.buttons()}")

    async def choose(self, choice: str, *, beside: Sequence[str] = ()) -> None:
        await self.tap(*self._holding(choice, beside))

    async def answer_multi(self, values: Sequence[str]) -> None:
        for value in values:
            await self.choose(value, beside=[*values, "done"])
        await self.choose("done", beside=values)

    async def press_forged(self, data: str) -> None:
        await self.tap(self.user.keyboard_message, data)

    async def press_stale(self, choice: str) -> bool:
        for text, data, message in self.buttons:
            if choice in (text, option_of(data)):
                await self.tap(message, data)
                return True
        raise AssertionError(f"{choice!r} was never shown")

    async def deliver_due_reminders(self) -> int:
        assert self.worker is not None, "deliveries need the driver opened by telegram_driver()"
        sent = await self.worker.deliver_due()
        self._sync()
        return sent

    def texts(self) -> list[str]:
        return self.seen.texts()

    def notices(self) -> list[str]:
        return self.seen.notices()

    def pictures(self) -> int:
        return len(self.fake.photos.get(USER_ID, []))

    def choices(self) -> list[str]:
        with_buttons = [m for m in self.user.messages if m.reply_markup]
        return [label(t) for t, _ in with_buttons[-1].buttons()] if with_buttons else []

    def laid_out(self) -> list[str]:
        return list(self.seen.laid_out)

    def labels(self) -> list[str]:
        return [text for text, _, _ in self.buttons]

    def picture_titles(self) -> list[str]:
        """The photos' captions, as the user reads them."""
        return [
            render(str(params.get("caption", "")), params.get("parse_mode"), 1024)[0]
            for method, params in self.fake.calls
            if method == "sendPhoto" and int(params.get("chat_id", 0)) == USER_ID
        ]

    def spelled(self, command: str) -> str:
        return f"/{command}"

    def known_commands(self) -> tuple[str, ...]:
        assert self.bot.app is not None
        return self.bot.app.actions.commands()


@contextlib.asynccontextmanager
async def telegram_driver(
    redis_url: str, *, content_dir: Path = CONTENT_DIR, language: str | None = None
) -> AsyncIterator[TelegramDriver]:
    """The fake Bot API, the bot polling it (as ``kneecheck telegram``), and a worker whose
    courier is the registry's (as ``kneecheck worker`` builds it). ``language``: the user's
    ``language_code`` in every update (the fake user's "en" when None)."""
    async with (
        FakeTelegram() as fake,
        BotProcess(fake, redis_url, content_dir=content_dir) as bot,
    ):
        driver = TelegramDriver(fake, bot, language or "en")

        def courier(app: App) -> Courier:
            assert ENTRY.courier is not None
            return ENTRY.courier(app)

        async with reminder_worker(bot.settings, driver.user.ref, courier) as worker:
            driver.worker = worker
            yield driver
