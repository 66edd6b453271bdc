"""One user's contract, run on every channel: what a person does, and what they notice.

Each test runs four times (``driver``: terminal, Telegram, Slack, web), through the channel's
real code. The expected words come from the content (``content/en.yaml``), never from a
channel: a channel may lay a message out its own way, but says the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from tests.contract.drivers import ChannelDriver, plain

COVERED = frozenset(
    {"start", "back", "restart", "stop", "checkin", "reminders", "diary", "summary"}
    | {"mydata", "help", "forget"}
)
"""The commands these tests use: every command a channel offers (checked below)."""


@pytest.fixture
def content(catalog: Catalog) -> Content:
    return catalog.content("en")


def since(driver: ChannelDriver, seen: int) -> str:
    """Everything the user saw after the first ``seen`` messages, as one line."""
    return " ".join(driver.texts()[seen:])


async def walk_check(driver: ChannelDriver) -> None:
    """From /start to the result: an adult, no warning signs, a typical self-care route
    (tests/engine/chat.py's TYPICAL answers, in the order the questions come)."""
    await driver.start()
    await driver.choose("agree")
    await driver.answer_multi(["none"])
    await driver.choose("behind")
    await driver.choose("calf")
    await driver.answer_multi(["exercise"])
    for option in ("rarely", "ok", "balanced", "moderate", "under_4h", "a18_39"):
        await driver.choose(option)
    await driver.answer_multi(["none"])  # conditions
    await driver.answer_multi(["none"])  # clot risks
    await driver.choose("no")  # calf pain does not come on with walking


def gist(text: str) -> str:
    """``text`` up to its first command: Slack writes ``/forget`` as ``/kneecheck forget``,
    so the words before it are what every channel says alike."""
    return plain(text).split("/")[0].strip()


def labels(content: Content, step: str, options: Sequence[str]) -> list[str]:
    return [content.steps[step].options[o].label for o in options]


# -- 1. every command answers -------------------------------------------------------------


async def test_the_contract_uses_every_command_the_channel_offers(driver: ChannelDriver) -> None:
    assert set(driver.known_commands()) == COVERED


async def test_help_lists_the_commands_in_the_channels_words(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.command("help")
    help_text = " ".join([*driver.texts(), *driver.notices()])  # Slack tells it to them alone
    assert content.ui["help"].split(".")[0] in help_text  # "I ask a few short questions"
    # /start and /help are how a person got here; every other command is explained.
    for name in sorted(COVERED - {"start", "help"}):
        assert driver.spelled(name) in help_text, f"{driver.spelled(name)} not in help"


async def test_the_views_answer_a_newcomer(driver: ChannelDriver, content: Content) -> None:
    ui = content.ui
    for name, expected in (
        ("mydata", ui["mydata_none"]),
        ("reminders", ui["reminders_none"]),
        ("diary", ui["diary_empty"]),
        ("summary", ui["summary_no_check"]),
    ):
        seen = len(driver.texts())
        await driver.command(name)
        assert gist(expected) in since(driver, seen), name
    assert driver.pictures() == 0  # nothing to chart yet: said in a line


async def test_forget_asks_first(driver: ChannelDriver, content: Content) -> None:
    await driver.command("forget")
    assert gist(content.ui["forget_confirm"]) in since(driver, 0)
    assert driver.choices() == [content.ui["forget_yes"], content.ui["forget_no"]]


async def test_the_conversation_commands_during_a_check(
    driver: ChannelDriver, content: Content
) -> None:
    consent = gist(content.steps["consent"].question)
    await driver.start()
    assert consent in since(driver, 0)
    await driver.choose("agree")
    assert gist(content.steps["red_flags"].question) in driver.texts()[-1]
    seen = len(driver.texts())
    await driver.command("back")
    assert consent in since(driver, seen)  # one question back
    await driver.choose("agree")
    seen = len(driver.texts())
    await driver.command("restart")
    assert consent in since(driver, seen)
    assert content.ui["restarted"].split(".")[0] in since(driver, seen)
    seen = len(driver.texts())
    await driver.command("stop")
    assert gist(content.ui["stopped"]).split(".")[0] in since(driver, seen)
    seen = len(driver.texts())
    await driver.command("checkin")
    assert gist(content.steps["ck_flags"].question) in since(driver, seen)
    assert content.steps["ck_flags"].options["none"].label in driver.choices()
