"""The contract's Slack: the real bolt app over HTTP with signed requests, the fake Slack Web
API (:mod:`tests.channels.slack.driver`), a person in their direct message with the app.

What they saw is read back from the fake: the DM's messages as updated, the files shared
in it (the diary chart), and the ephemeral messages shown to them alone (the notices).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bot.catalog.loader import CONTENT_DIR
from bot.channels.slack.entry import ENTRY, NAME
from bot.parts import App
from bot.reminders.service import Courier
from bot.store.keys import UserRef
from tests.channels.slack.driver import (
    JSON,
    TEAM,
    BotProcess,
    SlackUser,
    elements,
    settings_for,
    visible_text,
)
from tests.contract.drivers import ReminderWorker, Seen, option_of, reminder_worker
from tests.fakes.slack import FakeMessage, FakeSlack

USER_ID = "U0KNEE"
ZONE = "Europe/London"
"""What ``users.info`` says: Slack users are never asked their time zone."""


def options(message: FakeMessage) -> list[tuple[str, str]]:
    """(label, codec value) of every button and checkbox on ``message``, in order."""
    found: list[tuple[str, str]] = []
    for _, element in elements(message):
        if element["type"] == "checkboxes":
            found += [(o["text"]["text"], o["value"]) for o in element["options"]]
        elif element["type"] == "button":
            found.append((element["text"]["text"], element.get("value", "")))
    return found


def actions(message: FakeMessage) -> list[tuple[str, JSON]]:
    """(label, action) of every button and box on ``message``, to know each by: a button's
    action as Slack sends it, a box as its group with that option ticked alone."""
    found: list[tuple[str, JSON]] = []
    for block_id, element in elements(message):
        if element["type"] == "button":
            action = {"action_id": element["action_id"], "value": element.get("value", "")}
            found.append((element["text"]["text"], {**action, "block_id": block_id}))
        elif element["type"] == "checkboxes":
            for option in element["options"]:
                action = {"type": "checkboxes", "action_id": element["action_id"]}
                action |= {"block_id": block_id, "selected_options": [option]}
                found.append((option["text"]["text"], action))
    return found


def pressed_value(action: JSON) -> str:
    """The codec value an action carries: a button's, or the one box ticked."""
    if "selected_options" in action:
        return str(action["selected_options"][0]["value"])
    return str(action.get("value", ""))


class SlackDriver:
    name = NAME

    def __init__(self, fake: FakeSlack, bot: BotProcess) -> None:
        self.fake = fake
        self.bot = bot
        self.user = SlackUser(fake, bot, USER_ID)
        self.ref = UserRef("sl", USER_ID, workspace=TEAM)
        self.seen = Seen()
        self.buttons: list[tuple[str, JSON, FakeMessage]] = []
        """Every button (label, the action it sends, its message) ever shown, for a press
        from an old screen (a slow client that still shows it)."""
        self.worker: ReminderWorker | None = None

    def _sync(self) -> None:
        messages = self.user.messages
        self.seen.update([(m.ts, visible_text(m)) for m in messages])
        for message in messages:
            for text, action in actions(message):
                if not any(a == action and m is message for _, a, m in self.buttons):
                    self.buttons.append((text, action, message))
        whispers = [
            visible_text(m) for c in sorted(self.user.channels) for m in self.user.whispers(c)
        ]
        for whisper in whispers[len(self.seen.told) :]:
            self.seen.tell(whisper)

    async def start(self) -> None:
        await self.user.command("")
        self._sync()

    async def command(self, name: str) -> None:
        await self.user.command(name)
        self._sync()

    async def say(self, text: str) -> None:
        await self.user.say(text)
        self._sync()

    @staticmethod
    def _option(message: FakeMessage, choice: str) -> str | None:
        """The option id of the checkbox or button whose label or option is ``choice``."""
        for text, value in options(message):
            if choice in (text, option_of(value)):
                return option_of(value)
        return None

    def _holding(self, choice: str, beside: Sequence[str]) -> FakeMessage:
        """The newest DM message with ``choice`` (and ``beside`` it): the latest with
        buttons, or an earlier one still showing it, as a person scrolls up to a question a
        reminder has come under."""
        for message in reversed(self.user.messages):
            if self._option(message, choice) is not None and all(
                self._option(message, b) for b in beside
            ):
                return message
        raise AssertionError(f"no button {choice!r} on: {options(self.user.keyboard)}")

    async def choose(self, choice: str, *, beside: Sequence[str] = ()) -> None:
        """The very button with this label or option (two buttons may share an option id:
        "stop" this reminder, "stop" all of them), or the box, ticked."""
        message = self._holding(choice, beside)
        for block_id, element in elements(message):
            value = element.get("value", "")
            if element["type"] == "button" and choice in (
                element["text"]["text"],
                option_of(value),
            ):
                action = {"action_id": element["action_id"], "value": value, "block_id": block_id}
                await self._press(message, action)
                return
        option = self._option(message, choice)
        assert option is not None
        await self.user.tick(option, on=message)
        self._sync()

    async def answer_multi(self, values: Sequence[str]) -> None:
        message = self._holding("done", values)
        ticks = [self._option(message, v) for v in values]
        await self.user.tick(*(t for t in ticks if t is not None), on=message)
        await self.choose("done", beside=values)

    async def _press(self, message: FakeMessage, action: JSON) -> None:
        """A button press on ``message``, sent as Slack sends one."""
        self.user.channels.add(message.channel)
        await self.user.send(self.user.action_body(message, action))
        self._sync()

    async def press_forged(self, data: str) -> None:
        message = self.user.keyboard
        block_id, element = next((b, e) for b, e in elements(message) if e["type"] == "button")
        action = {"action_id": element["action_id"], "value": data, "block_id": block_id}
        await self._press(message, action)

    async def press_stale(self, choice: str) -> bool:
        for text, action, message in self.buttons:
            if choice not in (text, option_of(pressed_value(action))):
                continue
            if "selected_options" in action:  # a box: ticked as the client ticks it
                await self.user.tick(option_of(pressed_value(action)), on=message)
                self._sync()
            else:
                await self._press(message, action)
            return True
        raise AssertionError(f"{choice!r} was never shown")

    async def deliver_due_reminders(self) -> int:
        assert self.worker is not None, "deliveries need the driver opened by slack_driver()"
        sent = await self.worker.deliver_due()
        self._sync()
        return sent

    def texts(self) -> list[str]:
        return self.seen.texts()

    def notices(self) -> list[str]:
        return self.seen.notices()

    def pictures(self) -> int:
        return len(self.fake.files(self.user.dm))

    def choices(self) -> list[str]:
        for message in reversed(self.user.messages):
            if elements(message):
                return [text for text, _ in options(message)]
        return []

    def laid_out(self) -> list[str]:
        return list(self.seen.laid_out)

    def labels(self) -> list[str]:
        return [text for text, _, _ in self.buttons]

    def picture_titles(self) -> list[str]:
        return [file.title for file in self.fake.files(self.user.dm)]

    def spelled(self, command: str) -> str:
        return f"/kneecheck {command}"

    def known_commands(self) -> tuple[str, ...]:
        return self.bot.app.actions.commands()


@contextlib.asynccontextmanager
async def slack_driver(
    redis_url: str, *, content_dir: Path = CONTENT_DIR, language: str | None = None
) -> AsyncIterator[SlackDriver]:
    """The fake Slack, the bolt app serving it (as ``kneecheck slack``), and a worker whose
    courier is the registry's (as ``kneecheck worker`` builds it). ``language``: the user's
    Slack locale, as ``users.info`` tells it (the fake's "en-US" when None)."""
    async with FakeSlack() as fake:
        fake.set_user(USER_ID, tz=ZONE, locale=language)
        bot = await BotProcess(settings_for(fake, redis_url, content_dir=content_dir)).start()
        try:
            driver = SlackDriver(fake, bot)

            def courier(app: App) -> Courier:
                assert ENTRY.courier is not None
                return ENTRY.courier(app)

            async with reminder_worker(bot.settings, driver.ref, courier) as worker:
                driver.worker = worker
                yield driver
        finally:
            await bot.stop()
