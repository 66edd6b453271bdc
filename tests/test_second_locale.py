"""A second language reaches everything a user is told (issue 14): every reply, notice,
confirmation, reminder (sent later, by the worker's delivery), chart title and summary.

The second language is a pseudo-locale, ``xx`` (:mod:`tests.pseudo_locale`): en.yaml with
every text a user reads marked (``[xx]`` before it), built in a temporary content folder. A
text that is not marked came from the wrong language: the default one, or the code. Every
channel's way of telling the language is tested in tests/contract/test_locale.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.actions import Action, Command, Outcome, Press
from bot.engine.buttons import encode_choice
from bot.engine.replies import Reply
from bot.parts import App
from bot.reminders.service import Outcome as Sent
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.engine.chat import TYPICAL
from tests.pseudo_locale import LOCALE, MARK, pseudo_locale, write_content
from tests.redis_server import RedisServer

USER = UserRef("cli", "polyglot")


@pytest.fixture(scope="module")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_content(tmp_path_factory.mktemp("content"))


class Captured:
    """The terminal's courier, keeping what a reminder delivery sends."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, user: UserRef, reply: Reply) -> Sent:
        self.sent.append(reply)
        return "sent"


@pytest.fixture
async def app(
    content_dir: Path, redis_server: RedisServer, redis_client: aioredis.Redis
) -> AsyncIterator[App]:
    built = build_app(Settings(_env_file=None, redis_url=redis_server.url, content_dir=content_dir))
    yield built
    await built.close()


def unmarked(reply: Reply) -> list[str]:
    """Every piece of ``reply`` a user reads that does not come from the second language."""
    pieces: list[str] = []
    for section in reply.sections:
        pieces += [p for p in (section.title,) if p]
        pieces += [*section.paragraphs, *section.bullets, *section.steps]
    pieces += [c.label for c in reply.choices]
    return [p for p in pieces if MARK not in p]


class Chat:
    """A user acting through the application layer, as every channel does, keeping all
    they were shown."""

    def __init__(self, app: App, locale: str | None) -> None:
        self.app = app
        self.locale = locale
        self.shown: list[Reply] = []
        self.titles: list[str] = []

    async def act(self, action: Action) -> Outcome:
        outcome = await self.app.actions.act(
            USER, action, channel="terminal", locale=self.locale, outbox=False
        )
        if outcome.taken is not None and outcome.taken.turn is not None:
            self.shown += outcome.taken.turn.replies
        self.shown += [*outcome.notices, *outcome.replies]
        if outcome.picture is not None:
            self.titles.append(outcome.picture.title)
            self.shown.append(outcome.picture.fallback)
        return outcome

    @property
    def last(self) -> Reply:
        return next(r for r in reversed(self.shown) if r.choices or r.kind == "question")

    async def choose(self, value: str) -> None:
        reply = self.last
        choice = next(c for c in reply.choices if c.value == value)
        await self.act(Press(encode_choice(choice, reply.step, reply.version)))

    async def answer(self, value: str | tuple[str, ...]) -> None:
        reply = self.last
        if reply.multi:
            from bot.actions import Chosen
            from bot.engine import Submit

            values = (value,) if isinstance(value, str) else value
            await self.act(Chosen(Submit(reply.step or "", reply.version, values)))
        else:
            await self.choose(value if isinstance(value, str) else value[0])

    async def check(self) -> None:
        """A whole check with the typical answers, to its result."""
        await self.act(Command("start"))
        for _ in range(30):
            reply = self.last
            if reply.kind != "question" or reply.step not in TYPICAL:
                return
            await self.answer(TYPICAL[reply.step])  # type: ignore[arg-type]


async def test_everything_a_user_is_told_comes_from_their_language(app: App) -> None:
    chat = Chat(app, LOCALE)
    await chat.check()
    result = chat.shown[-1]
    assert result.kind == "result"
    # The follow-up offer: every reminder, at 08:00 in London.
    await chat.choose("followup")
    await chat.answer(("stretch", "hydration", "checkin"))
    await chat.answer("t0800")
    if chat.last.step == "fu_zone":
        await chat.choose("z_london")
    for command in ("reminders", "mydata", "summary", "help", "diary"):
        await chat.act(Command(command))
    # A reminder falls due and is sent later, by the worker's delivery, in the user's language.
    courier = Captured()
    app.reminders.couriers["cli"] = courier
    reminders = await app.reminders.load(USER)
    assert reminders.locale == LOCALE
    rid, item = next((rid, item) for rid, item in reminders.items.items() if item.due)
    assert item.due is not None
    app.reminders.clock = lambda: float(item.due or 0) + 1
    await app.reminders.deliver(USER, rid, item.due)
    assert courier.sent, "the reminder was not sent"
    chat.shown += courier.sent
    # Its button: the notice to the presser, in the same language.
    done = next(c for c in courier.sent[0].choices if "done" in c.value or c.action == "reminder")
    await chat.act(Press(encode_choice(done, courier.sent[0].step, courier.sent[0].version)))
    # A forged button, and /forget asked, then kept.
    await chat.act(Press("c|nothing|here|0"))
    await chat.act(Command("forget"))
    keep = chat.shown[-1].choices[1]
    await chat.act(Press(encode_choice(keep, None, 0)))
    assert [u for r in chat.shown for u in unmarked(r)] == []
    assert all(MARK in title for title in chat.titles)


async def test_a_channel_that_says_no_language_gets_the_conversations(app: App) -> None:
    """Slack tells the user's locale only when a check starts; later commands and views come
    in the conversation's language, not the default one."""
    chat = Chat(app, LOCALE)
    await chat.act(Command("start"))
    chat.locale = None  # what Slack passes for a button press or a later command
    await chat.answer("agree")
    for command in ("mydata", "help", "forget"):
        await chat.act(Command(command))
    await chat.act(Press("c|nothing|here|0"))
    assert [u for r in chat.shown for u in unmarked(r)] == []


def test_the_pseudo_locale_marks_what_it_should() -> None:
    en = {"ui": {"a": "Hello {name}"}, "steps": {"s": {"question": "Q?", "options": {}}}}
    marked = pseudo_locale(en)
    assert marked["ui"]["a"] == f"{MARK} Hello {{name}}"
    assert marked["steps"]["s"]["question"] == f"{MARK} Q?"
    assert marked["locale"] == LOCALE
