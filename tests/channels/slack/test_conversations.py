"""Whole conversations through the real bolt app over HTTP, a fake Slack and a real Redis.

Each test is what a person does in Slack: type /kneecheck somewhere, press buttons in the
DM, type in the DM. Assertions are on what they would see (the fake's messages) and on
what is stored (the real Redis).
"""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as aioredis

from bot.catalog.catalog import Catalog
from bot.catalog.loader import load_catalog
from bot.channels.slack.render import slack_commands
from bot.store.keys import UserRef
from tests.channels.slack.driver import (
    BotProcess,
    SlackUser,
    codec_values,
    settings_for,
    step_of,
    visible_text,
)
from tests.engine.chat import TYPICAL
from tests.engine.test_safety import SEEN
from tests.engine.texts import self_care_in
from tests.fakes.slack import FakeSlack, block_errors
from tests.redis_server import RedisServer

RED_FLAGS = [
    o.id for o in load_catalog().flow("kneecheck").steps_by_id["red_flags"].options if o.red_flag
]
ME = UserRef("sl", "U0KNEE", workspace="T1")


async def walk(user: SlackUser, until: str | None = None, **answers: str | list[str]) -> None:
    """Answer each question as it comes, with ``answers`` by step or the typical ones."""
    for _ in range(len(TYPICAL) + 3):
        step = step_of(user.messages[-1])
        if step is None or step == until:
            return
        answer = answers.get(step, TYPICAL[step])
        if isinstance(answer, str):
            await user.press(answer)
        else:
            await user.tick(*answer)
            await user.press("done")


async def test_kneecheck_in_a_channel_continues_privately_in_the_dm(
    fake: FakeSlack, user: SlackUser, catalog: Catalog
) -> None:
    assert await user.command(channel="C1") == 200
    ui = catalog.content("en").ui
    assert [visible_text(m) for m in user.whispers("C1")] == [ui["slack_in_dm"]]
    assert fake.messages("C1") == []  # nothing about the user's health in the channel
    assert fake.calls_to("conversations.open")[0]["users"] == user.id
    [question] = user.messages
    assert step_of(question) == "consent"
    assert "Question 1 of 15" in visible_text(question)


async def test_kneecheck_typed_in_the_dm_starts_there_and_keeps_locale_and_time_zone(
    fake: FakeSlack, user: SlackUser, bot: BotProcess, redis_client: aioredis.Redis
) -> None:
    fake.set_user(user.id, tz="Asia/Kolkata", locale="en-GB")
    await user.command()
    assert user.whispers() == []
    assert step_of(user.messages[-1]) == "consent"
    assert fake.calls_to("users.info")[0]["include_locale"] in ("1", "true", True)
    assert await redis_client.get("kc:{sl:T1:U0KNEE}:tz") == b"Asia/Kolkata"
    session = await bot.app.conversations.current(ME)
    assert session is not None
    assert session.locale == "en"


@pytest.mark.parametrize("flag", RED_FLAGS)
async def test_each_red_flag_gives_urgent_advice_and_no_self_care(
    user: SlackUser, catalog: Catalog, flag: str
) -> None:
    await user.command()
    await user.press("agree")
    await user.tick(flag)
    await user.press("done")
    content = catalog.content("en", "uk")  # the fake Slack user's time zone is Europe/London
    text = user.view.text
    assert content.disclaimer.urgent in text
    assert content.red_flags[flag].advice in text
    assert len(text.split()) <= 60  # one short screen, with its own disclaimer line
    assert self_care_in(text, content) == []
    assert all(codec_values(m) == [] for m in user.view.new)  # nothing left to answer


async def test_a_self_care_route_reaches_the_assessment_within_block_kit_limits(
    user: SlackUser, catalog: Catalog
) -> None:
    await user.command()
    await walk(user, location="behind", behind_muscle="calf", water="low")
    content = catalog.content("en", "uk")  # the fake Slack user is in Europe/London
    result = user.view.new
    text = user.view.text
    assert content.tiers["self_care"].title in text
    assert result[-1].blocks[-1]["type"] == "context"
    await user.press("stretches")
    assert "Stretch: calf" in user.view.text
    assert all(block_errors(m.blocks) == [] and len(m.blocks) <= 50 for m in result)
    # every question was rewritten as question + answer, without buttons
    answered = [m for m in user.messages if m.updates]
    assert len(answered) == 14  # with the risks and walking questions
    assert all(codec_values(m) == [] and "\u27a1" in visible_text(m) for m in answered)


async def test_back_goes_to_the_previous_question_with_its_ticks(user: SlackUser) -> None:
    await user.command()
    await walk(user, until="frequency", triggers=["exercise", "sitting"])
    await user.press("back")
    question = user.messages[-1]
    assert step_of(question) == "triggers"
    assert len(user.ticked(question)) == 2  # shown ticked again
    await user.press("done")
    assert step_of(user.messages[-1]) == "frequency"


async def test_restart_and_stop_as_subcommands(
    user: SlackUser, bot: BotProcess, catalog: Catalog
) -> None:
    ui = catalog.content("en").ui
    await user.command()
    await walk(user, until="location")
    await user.command("restart")
    assert ui["restarted"] in user.view.text
    assert step_of(user.messages[-1]) == "consent"
    await user.press("agree")
    await user.command("stop")
    assert slack_commands(ui["stopped"]) in user.view.text
    session = await bot.app.conversations.current(ME)
    assert session is not None
    assert session.status == "stopped"
    assert session.answers == {}
    await user.command("back")
    assert slack_commands(ui["not_started"]) in user.view.text


async def test_free_text_in_the_dm_answers_and_rewrites_the_question(user: SlackUser) -> None:
    await user.command()
    consent = user.messages[-1]
    await user.say("yes")
    assert step_of(user.messages[-1]) == "red_flags"
    assert "\u27a1" in visible_text(user.fake.message(user.dm, consent.ts))
    await user.say("the purple one")
    assert "Sorry, I did not catch that." in user.view.text
    await user.say("I can't put weight on it")
    assert "Get seen today" in user.view.text


async def test_mydata_shows_what_is_stored(user: SlackUser, catalog: Catalog) -> None:
    await user.command("mydata")
    assert catalog.content("en").ui["mydata_none"] in user.view.text
    await user.command()
    await walk(user, until="location")
    await user.command("mydata")
    content = catalog.content("en", "uk")  # the fake Slack user is in Europe/London
    consent = content.steps["consent"].options["agree"]
    assert (consent.answer or consent.label) in user.view.text
    assert content.ui["mydata_title"] in user.view.text


async def test_forget_asks_first_then_erases_every_key_of_the_user(
    user: SlackUser, catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    ui = catalog.content("en").ui
    await user.command()
    await walk(user, until="location")
    assert await redis_client.keys("kc:{sl:T1:U0KNEE}*")
    await user.command("forget")
    confirm = user.messages[-1]
    await user.press("x|forget|no|0", on=confirm)
    assert visible_text(user.fake.message(user.dm, confirm.ts)) == ui["forget_cancelled"]
    assert await redis_client.keys("kc:{sl:T1:U0KNEE}*")
    await user.command("forget")
    await user.press("x|forget|yes|0", on=user.messages[-1])
    assert visible_text(user.messages[-1]) == ui["forgotten"]
    assert await redis_client.keys("kc:{sl:T1:U0KNEE}*") == []


async def test_help_and_unknown_subcommands_answer_privately(
    fake: FakeSlack, user: SlackUser, catalog: Catalog
) -> None:
    help_text = catalog.content("en").ui["slack_help"]
    for text in ("help", "what is this", "my payload hurts"):  # "payload": a bolt quirk
        assert await user.command(text, channel="C1") == 200
        assert [visible_text(m) for m in user.view.whispers] == [help_text], text
    assert user.messages == []
    assert fake.messages("C1") == []


async def test_a_restarted_bot_process_continues_where_the_user_was(
    fake: FakeSlack, redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    first = await BotProcess(settings_for(fake, redis_server.url)).start()
    user = SlackUser(fake, first)
    try:
        await user.command()
        await walk(user, until="frequency")
    finally:
        await first.stop()
    second = await BotProcess(settings_for(fake, redis_server.url)).start()
    user.bot = second
    try:
        await user.press("weekly")
        assert step_of(user.messages[-1]) == "water"
        await user.say("plenty")
        assert step_of(user.messages[-1]) == "diet"
    finally:
        await second.stop()


async def test_nothing_a_user_types_or_answers_reaches_the_logs(
    user: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await user.command("zebra7731 please")  # an unknown sub-command: its words are theirs
    await user.command()
    await user.say("yes zebra7731")
    await user.tick("none")
    await user.press("done")
    await user.say("behind my knee zebra7731")
    assert step_of(user.messages[-1]) == "behind_muscle"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records  # the turns were logged...
    for secret in ("zebra7731", "Behind the knee", "None of these", user.id):
        assert secret not in logged  # ...without what was typed, answered or who it was


@pytest.mark.parametrize(("flag", "phrase"), SEEN, ids=[f"{f}:{p}" for f, p in SEEN])
async def test_warning_signs_typed_in_the_dm_get_their_advice(
    user: SlackUser, catalog: Catalog, flag: str, phrase: str
) -> None:
    """Every phrase the safety review found missed, typed at the location question."""
    content = catalog.content("en", "uk")  # the fake Slack user is in Europe/London
    await user.command()
    await user.say("yes")
    await user.say("none of these")
    assert step_of(user.messages[-1]) == "location"
    await user.say(phrase)
    text = user.view.text
    assert content.red_flags[flag].advice in text
    assert content.tiers[content.red_flags[flag].tier].title in text
    assert self_care_in(text, content) == []
