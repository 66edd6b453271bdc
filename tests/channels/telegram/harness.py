"""The real PTB Application, polling a fake Telegram over HTTP, driven as a user would.

`BotProcess` runs the bot exactly as `kneecheck telegram` does (same settings,
wiring and runner), in this event loop, with an update processor that records
which updates have been handled, so tests await that instead of sleeping.
`TelegramUser` types and taps like a person and reads what they would see.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import SecretStr
from telegram.ext import SimpleUpdateProcessor

from bot.channels.telegram.runner import run_polling
from bot.engine.assessment import TOPIC_STEP
from bot.parts import App
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.fakes.telegram import FakeTelegram, SentMessage

_update_ids = itertools.count(1000)


class RecordingProcessor(SimpleUpdateProcessor):
    """Counts finished updates by id; handlers run concurrently as in production."""

    def __init__(self, max_concurrent_updates: int = 16) -> None:
        super().__init__(max_concurrent_updates)
        self.finished: Counter[int] = Counter()
        self._changed = asyncio.Event()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            update_id = getattr(update, "update_id", None)
            if isinstance(update_id, int):
                self.finished[update_id] += 1
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait(self, update_id: int, times: int = 1, within: float = 15) -> None:
        async def until() -> None:
            while self.finished[update_id] < times:
                await self._changed.wait()

        await asyncio.wait_for(until(), within)


class BotProcess:
    def __init__(
        self,
        fake: FakeTelegram,
        redis_url: str,
        *,
        clock: Callable[[], float] = time.time,
        **settings: Any,
    ) -> None:
        self.fake = fake
        self.clock = clock
        self.settings = Settings(
            redis_url=redis_url,
            telegram_bot_token=SecretStr(fake.token),
            telegram_api_base_url=fake.base_url,
            log_salt=SecretStr("test-salt"),
            **settings,
        )
        self.processor = RecordingProcessor()
        self.app: App | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        polls = sum(1 for method, _ in self.fake.calls if method == "getUpdates")
        self.app = build_app(self.settings, clock=self.clock)
        self._task = asyncio.create_task(
            run_polling(
                self.app,
                stop=self._stop,
                poll_timeout=1,
                updates=self.processor,
                handle_signals=False,
            )
        )
        await self.fake.wait_for(
            lambda: sum(1 for method, _ in self.fake.calls if method == "getUpdates") > polls
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 15)
        if self.app is not None:
            await self.app.close()

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class TelegramUser:
    def __init__(
        self, fake: FakeTelegram, bot: BotProcess, user_id: int, language: str = "en"
    ) -> None:
        self.fake = fake
        self.bot = bot
        self.id = user_id
        self.language = language

    @property
    def ref(self) -> UserRef:
        return UserRef("tg", str(self.id))

    async def send(self, text: str) -> None:
        update_id = self.fake.user_sends(
            self.id, text, language_code=self.language, update_id=next(_update_ids)
        )
        await self.bot.processor.wait(update_id)

    async def tap(self, message: SentMessage, data: str) -> str:
        """Press a button by its callback data; returns the notice shown on the button, if any."""
        update_id = next(_update_ids)
        query_id = self.fake.user_presses(self.id, message.message_id, data, update_id=update_id)
        await self.bot.processor.wait(update_id)
        return str(self.fake.callback_answers.get(query_id, {}).get("text") or "")

    async def press(self, label_or_value: str) -> str:
        """Press the button with this label (tick marks ignored) or option/command id."""
        message = self.keyboard_message
        for text, data in message.buttons():
            if label_or_value in (text, text[2:], data.split("|")[2]):
                return await self.tap(message, data)
        raise AssertionError(f"no button {label_or_value!r} in {message.buttons()}")

    async def tick(self, *options: str) -> None:
        for option in options:
            await self.press(option)

    @property
    def messages(self) -> list[SentMessage]:
        return self.fake.messages(self.id)

    @property
    def keyboard_message(self) -> SentMessage:
        with_buttons = [m for m in self.messages if m.reply_markup]
        assert with_buttons, "no message with buttons"
        return with_buttons[-1]

    @property
    def last_text(self) -> str:
        return self.messages[-1].plain_text

    def texts_since(self, count: int) -> str:
        return "\n".join(m.plain_text for m in self.messages[count:])

    @property
    def current_step(self) -> str | None:
        """The step the newest keyboard asks, read from its callback data."""
        data = [
            d
            for _, d in self.keyboard_message.buttons()
            if d.startswith(("c|", "t|")) and not d.startswith(f"c|{TOPIC_STEP}|")
        ]
        return data[0].split("|")[1] if data else None
