"""The user's language, on every channel, told the channel's own way (issue 14): every reply,
notice, confirmation, reminder (sent later by ``kneecheck worker``'s delivery), chart title
and summary comes from it.

The language is the pseudo-locale ``xx`` (:mod:`tests.pseudo_locale`): English with every
text a user reads marked ``[xx]``. Each channel is told it as its users' platform tells it:
Telegram's ``from.language_code``, Slack's user locale (``users.info``), the browser's
``Accept-Language``, the terminal's ``--locale``. A line the user reads without the mark came
from the wrong language: the default one, or the code.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis.asyncio as aioredis

import bot.channels.terminal
import bot.wiring
from bot.catalog.catalog import DEFAULT_LOCALE, Catalog
from bot.catalog.content import Content
from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR, load_catalog
from tests.contract.conftest import CHANNELS, OPENERS
from tests.contract.drivers import ChannelDriver, plain
from tests.contract.telegram import TelegramDriver
from tests.contract.test_contract import gist, opt_in, walk_check
from tests.contract.web import WebDriver, web_driver
from tests.pseudo_locale import LOCALE, MARK, write_content
from tests.redis_server import RedisServer

TOLD_AS = {
    "terminal": LOCALE,  # kneecheck chat --locale xx
    "telegram": LOCALE,  # an IETF tag, as Telegram's clients send it ("en", "pt-br")
    "slack": f"{LOCALE}-{LOCALE.upper()}",  # a Slack locale is a language and region ("en-US")
    "web": f"{LOCALE}-{LOCALE.upper()},{LOCALE};q=0.9,en;q=0.5",  # what a browser sends
}
"""The user's language as each channel hears it."""

CHROME = re.compile(r"[=-]+")
"""The one line that is a channel's own layout, with no words, allowed without the mark: the
terminal's underline under a title."""


@pytest.fixture(scope="session")
def pseudo_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_content(tmp_path_factory.mktemp("pseudo-content"))


@pytest.fixture(scope="session")
def pseudo_catalog(pseudo_content: Path) -> Catalog:
    return load_catalog(FLOWS_DIR, pseudo_content, DEFAULT_LOCALE)


@pytest.fixture(autouse=True)
def pseudo_catalog_loaded_once(
    catalog_loaded_once: None,
    monkeypatch: pytest.MonkeyPatch,
    catalog: Catalog,
    pseudo_content: Path,
    pseudo_catalog: Catalog,
) -> None:
    """Every process of a channel (the bot, its worker) gets the session's pseudo-locale
    catalog, as :func:`tests.contract.conftest.catalog_loaded_once` (which this replaces)
    gives them the default one."""

    def loaded(
        flows_dir: Path = FLOWS_DIR,
        content_dir: Path = CONTENT_DIR,
        default_locale: str = DEFAULT_LOCALE,
    ) -> Catalog:
        if (flows_dir, default_locale) == (FLOWS_DIR, DEFAULT_LOCALE):
            if content_dir == pseudo_content:
                return pseudo_catalog
            if content_dir == CONTENT_DIR:
                return catalog
        return load_catalog(flows_dir, content_dir, default_locale)

    monkeypatch.setattr(bot.wiring, "load_catalog", loaded)


@pytest.fixture
def unwrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal as wide as any line: it wraps paragraphs to the window, and a wrapped
    paragraph's second line is the same marked text, not a text of its own."""
    monkeypatch.setattr(bot.channels.terminal, "width", lambda: 100_000)


@pytest.fixture(params=CHANNELS)
async def polyglot(
    request: pytest.FixtureRequest,
    redis_server: RedisServer,
    redis_client: aioredis.Redis,
    pseudo_content: Path,
    unwrapped: None,
) -> AsyncIterator[ChannelDriver]:
    """One user on each channel, whose language is ``xx``, told the channel's own way."""
    channel, url = request.param, redis_server.url
    language = TOLD_AS[channel]
    opener = (
        # The walk posts more than the 60 a minute one browser may, at once.
        web_driver(url, content_dir=pseudo_content, language=language, web_chat_rate_per_minute=0)
        if channel == "web"
        else OPENERS[channel](url, content_dir=pseudo_content, language=language)
    )
    async with opener as opened:
        yield opened


def unmarked(texts: list[str]) -> list[str]:
    """Every line of ``texts`` a user reads that is not from their language.

    Allowed without the mark, the one layout with no words: a line of ``=`` or ``-`` alone
    (the terminal underlines a title with it). Nothing else: a choice's number ("  2) "),
    a bullet, the terminal's "->" before the answer given, a Telegram tick box are on the
    same line as the marked words they go with, and no channel echoes what the user typed
    (the contract types only commands and numbers)."""
    return [
        line
        for text in texts
        for line in (raw.strip() for raw in text.splitlines())
        if line and MARK not in line and not CHROME.fullmatch(line)
    ]


async def test_everything_a_user_is_told_comes_from_their_language(
    polyglot: ChannelDriver, pseudo_catalog: Catalog, request: pytest.FixtureRequest
) -> None:
    driver = polyglot
    content: Content = pseudo_catalog.content(LOCALE)
    ui = content.ui
    await walk_check(driver)
    await driver.choose(ui["topic_stretches"])
    await walk_check(driver)  # again: in the terminal, a topic's list has no offer to press
    await opt_in(driver, content, ["stretch", "hydration", "checkin"])
    for command in ("reminders", "mydata", "summary", "help"):
        await driver.command(command)
    await driver.command("checkin")  # a check-in, for the diary to chart
    await driver.answer_multi(["none"])
    await driver.choose("worse")
    await driver.choose("some")
    await driver.choose("s6")
    await driver.command("diary")
    await driver.command("summary")
    assert await driver.deliver_due_reminders() == 3  # as kneecheck worker sends them
    await driver.choose(ui["reminder_snooze"])  # on the newest: every reminder has it
    await driver.press_forged("c|nothing|here|0")
    await driver.command("forget")
    await driver.choose(ui["forget_no"])

    # Everything was seen (so "all of it marked" says something)...
    said = " ".join([*driver.texts(), *driver.notices()])
    for shown in (
        gist(content.steps["consent"].question),
        content.tiers["self_care"].title,
        plain(content.stretches["calf"].steps[0]),  # the topic
        gist(content.outcomes["follow_up"].text),
        ui["summary_title"],
        ui["summary_title_diary"],
        gist(ui["reminder_checkin"]),  # a reminder, delivered later
        gist(ui["forget_confirm"]),
        gist(ui["forget_cancelled"]),
    ):
        assert shown in said, shown
    assert any(n.startswith(ui["reminder_snoozed"].split("{")[0]) for n in driver.notices())
    assert driver.pictures() == 1
    # ... and every line of it, every button and every chart title is in their language.
    assert unmarked(driver.labels()) == []
    assert [t for t in driver.picture_titles() if MARK not in t] == []
    assert unmarked(driver.laid_out()) == []  # last: where Slack fails (its help)


# -- what a channel shows around the conversation, from the content too -------------------


@pytest.mark.parametrize("polyglot", ["telegram"], indirect=True)
async def test_telegrams_command_menu_is_in_their_language(polyglot: ChannelDriver) -> None:
    """Telegram shows a user the menu set for their ``language_code``."""
    assert isinstance(polyglot, TelegramDriver)
    menu = polyglot.fake.bot_commands(LOCALE)
    assert menu, "no command menu for the language"
    assert [c["description"] for c in menu if MARK not in c["description"]] == []


class PageWords(HTMLParser):
    """What a person reads on the page, or hears from a screen reader: its text, its title,
    its labels, and the words the script shows (``data-`` attributes of ``<body>``)."""

    SAID = ("aria-label", "placeholder", "title", "alt")
    NOT_WORDS = ("data-start", "data-command")
    """What the script sends, never shows."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.words: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        for name, value in attrs:
            if tag == "html" and name == "lang":
                self.lang = value
            elif value and (name in self.SAID or name.startswith("data-")):
                self.words += [] if name in self.NOT_WORDS else [value]

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if data.strip() and not {"script", "style"} & set(self._in):
            self.words.append(data.strip())


@pytest.mark.parametrize("polyglot", ["web"], indirect=True)
async def test_the_web_pages_own_words_are_in_their_language(polyglot: ChannelDriver) -> None:
    """The page as the browser that sent ``Accept-Language`` gets it. Allowed unmarked: the
    product's name in the heading (``kneecheck``) and the command buttons, each the command
    as typed (``/help``; its description beside it is from the content)."""
    assert isinstance(polyglot, WebDriver)
    async with polyglot.tab.session.get(f"{polyglot.server.url}/chat") as response:
        page = PageWords()
        page.feed(await response.text())
    assert page.lang == LOCALE
    allowed = {"kneecheck", *(f"/{name}" for name in polyglot.known_commands())}
    assert [w for w in page.words if MARK not in w and w not in allowed] == []
