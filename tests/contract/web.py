"""The contract's web chat: the chat served over HTTP on 127.0.0.1
(:mod:`tests.channels.web.driver`), one tab that opened the page, holds its event stream and
posts what a person presses or types.

The page is rebuilt here as the script draws it: messages from the event stream in order, a
message that ``replaces`` another (an answered confirmation, an updated list) or ``edit`` s
a question (a ticked box) drawn in its place, an answered or older question's buttons
greyed out, and after /forget erased everything, only what that post answered. A press from
an old screen (:meth:`WebDriver.press_stale`) is another tab's, which still shows it.

Notices are what each post answered for this tab alone; pictures are the chart messages (a
PNG ``data:`` URL the page puts in an ``<img>``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bot.catalog.loader import CONTENT_DIR
from bot.channels.web.entry import ENTRY, NAME, PREFIX
from bot.channels.web.identity import COOKIE, verify
from bot.parts import App
from bot.reminders.service import Courier
from bot.store.keys import UserRef
from tests.channels.web.driver import SECRET, ChatServer, Message, Tab
from tests.contract.drivers import ReminderWorker, Seen, option_of, reminder_worker

PNG = "data:image/png;base64,iVBORw0KGgo"
"""How a chart's image source starts: a PNG, inline."""


def text_of(message: Message) -> str:
    """What the page shows of ``message`` (a chart: its title and its text for screen
    readers)."""
    if message.get("kind") == "picture":
        return "\n".join((message.get("title", ""), Tab.text(message.get("fallback", {}))))
    return Tab.text(message)


class WebDriver:
    name = NAME

    def __init__(self, server: ChatServer, tab: Tab) -> None:
        self.server = server
        self.tab = tab
        self.page: list[Message] = []
        """The messages on the page, in order, as drawn."""
        self.read = 0
        """How many of the stream's messages are on the page."""
        self.charts = 0
        self.titles: list[str] = []
        """The charts' titles, as the page heads their images."""
        self.disabled: set[str] = set()
        """The ids of questions whose buttons the page has greyed out (answered, or older)."""
        self.seen = Seen()
        self.buttons: list[tuple[str, str, str]] = []
        """Every (label, payload, message id) ever shown, for a press from another tab."""
        self.worker: ReminderWorker | None = None

    @property
    def user(self) -> UserRef:
        for cookie in self.tab.session.cookie_jar:
            if cookie.key == COOKIE:
                user_id = verify(SECRET.encode(), cookie.value)
                assert user_id is not None
                return UserRef(PREFIX, user_id)
        raise AssertionError("no chat cookie")

    def _draw(self, message: Message) -> None:
        """Put ``message`` on the page as the page's script does (``show`` in chat.js)."""
        if message.get("kind") == "picture" and message.get("src", "").startswith(PNG):
            self.charts += 1
            self.titles.append(str(message.get("title", "")))
        if message.get("kind") == "answered":  # under its question, whose buttons go grey
            question = self._question(message.get("step"), message.get("version"))
            if question is not None:
                self.disabled.add(str(question.get("id")))
        replaced = message.get("replaces")
        old = next((m for m in self.page if replaced and m.get("id") == replaced), None)
        if old is None and message.get("edit"):
            old = self._question(message.get("step"), message.get("version"))
        if old is not None:
            self.page[self.page.index(old)] = message
        else:
            self.page.append(message)
        if message.get("kind") in ("question", "result", "urgent"):  # older questions go grey
            self.disabled |= {
                str(m.get("id"))
                for m in self.page
                if m.get("kind") == "question" and m is not message
            }
        for choice in message.get("choices", ()):
            self.buttons.append((choice["label"], choice["data"], str(message.get("id", ""))))

    def _question(self, step: object, version: object) -> Message | None:
        """The newest question on the page asking ``step`` (at ``version``)."""
        for shown in reversed(self.page):
            if shown.get("kind") == "question" and (shown.get("step"), shown.get("version")) == (
                step,
                version,
            ):
                return shown
        return None

    def _pressable(self) -> list[Message]:
        """The messages whose buttons can be pressed, oldest first."""
        return [m for m in self.page if m.get("choices") and str(m.get("id")) not in self.disabled]

    def _sync(self) -> None:
        for message in self.tab.messages[self.read :]:
            self._draw(message)
        self.read = len(self.tab.messages)
        self.seen.update([(str(m.get("id", i)), text_of(m)) for i, m in enumerate(self.page)])

    async def post(self, body: dict[str, Any]) -> None:
        answer = await self.tab.act(body)
        for notice in answer.get("notices", ()):
            self.seen.tell(Tab.text(notice))
        if answer.get("cleared"):  # everything erased: the page starts again from the answer
            self.page, self.disabled = [], set()
            for number, message in enumerate(answer["messages"]):
                self._draw({"id": f"cleared-{len(self.seen.log)}-{number}", **message})
        self._sync()

    async def start(self) -> None:
        await self.command("start")

    async def command(self, name: str) -> None:
        await self.post({"command": name})

    async def say(self, text: str) -> None:
        await self.post({"text": text})

    def _latest(self) -> Message:
        pressable = self._pressable()
        if not pressable:
            raise AssertionError("no message with buttons to press on the page")
        return pressable[-1]

    @staticmethod
    def _data(message: Message, choice: str) -> str | None:
        for option in message.get("choices", ()):
            if choice in (option["label"], option_of(option["data"])):
                return str(option["data"])
        return None

    async def choose(self, choice: str, *, beside: Sequence[str] = ()) -> None:
        """Press ``choice`` on the newest message that has it (and ``beside`` it): the latest
        with buttons, or an earlier one, as a person scrolls up to a question a reminder has
        come under."""
        for message in reversed(self._pressable()):
            data = self._data(message, choice)
            if data is not None and all(self._data(message, b) for b in beside):
                await self.post({"press": data, "message": message.get("id")})
                return
        raise AssertionError(f"no button {choice!r} on: {self._latest()['choices']}")

    async def answer_multi(self, values: Sequence[str]) -> None:
        for value in values:
            await self.choose(value, beside=[*values, "done"])
        await self.choose("done", beside=values)

    async def press_forged(self, data: str) -> None:
        await self.post({"press": data, "message": self._latest().get("id")})

    async def press_stale(self, choice: str) -> bool:
        for text, data, on in self.buttons:
            if choice in (text, option_of(data)):
                await self.post({"press": data, "message": on})
                return True
        raise AssertionError(f"{choice!r} was never shown")

    async def deliver_due_reminders(self) -> int:
        assert self.worker is not None, "deliveries need the driver opened by web_driver()"
        before = len(self.tab.messages)
        sent = await self.worker.deliver_due()
        await self.tab.wait_for(lambda: len(self.tab.messages) >= before + sent)
        self._sync()
        return sent

    def texts(self) -> list[str]:
        return self.seen.texts()

    def notices(self) -> list[str]:
        return self.seen.notices()

    def pictures(self) -> int:
        return self.charts

    def choices(self) -> list[str]:
        pressable = self._pressable()
        return [c["label"] for c in pressable[-1]["choices"]] if pressable else []

    def laid_out(self) -> list[str]:
        return list(self.seen.laid_out)

    def labels(self) -> list[str]:
        return [text for text, _, _ in self.buttons]

    def picture_titles(self) -> list[str]:
        return list(self.titles)

    def spelled(self, command: str) -> str:
        return f"/{command}"

    def known_commands(self) -> tuple[str, ...]:
        return self.server.app.actions.commands()


@contextlib.asynccontextmanager
async def web_driver(
    redis_url: str,
    *,
    content_dir: Path = CONTENT_DIR,
    language: str | None = None,
    **web_settings: Any,
) -> AsyncIterator[WebDriver]:
    """The chat as ``kneecheck serve`` mounts it, one tab that opened the page and listens,
    and a worker whose courier is the registry's (it appends to the user's inbox stream).
    ``language``: the browser's ``Accept-Language`` header on every request (none when
    None); ``web_settings``: :class:`WebSettings` fields (its rate limits)."""
    headers = {"Accept-Language": language} if language else {}
    async with (
        ChatServer.running(redis_url, content_dir=content_dir, **web_settings) as server,
        aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers
        ) as browser,  # as Tab.browser(), which sends no Accept-Language
    ):
        tab = Tab(server, browser)
        await tab.open()
        await tab.listen()
        try:
            driver = WebDriver(server, tab)

            def courier(app: App) -> Courier:
                assert ENTRY.courier is not None
                return ENTRY.courier(app)

            async with reminder_worker(server.app.settings, driver.user, courier) as worker:
                driver.worker = worker
                yield driver
        finally:
            await tab.close()
