"""Requests that must change nothing: other people's presses, stale and forged buttons,
bad signatures, re-deliveries, and Redis being down. Each says so, or stays silent."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.catalog.catalog import Catalog
from bot.channels.slack.render import slack_commands
from tests.channels.slack.driver import (
    SECRET,
    BotProcess,
    SlackUser,
    elements,
    settings_for,
    step_of,
    visible_text,
)
from tests.fakes.slack import (
    FakeSlack,
    SlackSigner,
    message_event_body,
    post,
    slash_command_body,
)
from tests.redis_server import RedisServer, free_port

SESSION = "kc:{sl:T1:U0KNEE}:session:kneecheck"


async def at_location(user: SlackUser) -> None:
    await user.command()
    await user.press("agree")
    await user.tick("none")
    await user.press("done")
    assert step_of(user.messages[-1]) == "location"


async def test_someone_else_pressing_the_buttons_changes_nothing(
    fake: FakeSlack,
    bot: BotProcess,
    user: SlackUser,
    catalog: Catalog,
    redis_client: aioredis.Redis,
) -> None:
    await at_location(user)
    before = await redis_client.get(SESSION)
    other = SlackUser(fake, bot, "U0OTHER")
    question = user.messages[-1]
    await other.press("behind", on=question)
    assert [visible_text(m) for m in other.view.whispers] == [
        catalog.content("en").ui["slack_not_yours"]
    ]
    assert other.view.new == other.view.updated == []
    assert await redis_client.get(SESSION) == before
    assert await redis_client.keys("kc:{sl:T1:U0OTHER}*") == []
    assert user.fake.message(user.dm, question.ts).updates == 0


async def test_a_stale_button_changes_nothing_and_says_so(
    user: SlackUser, catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    await user.command()
    await user.press("agree")
    red_flags = user.messages[-1]
    await user.press("back")
    assert step_of(user.messages[-1]) == "consent"
    before = await redis_client.get(SESSION)
    await user.press("done", on=red_flags)  # the red-flags question from before going back
    assert [visible_text(m) for m in user.view.whispers] == [catalog.content("en").ui["stale"]]
    assert user.view.new == user.view.updated == []
    assert await redis_client.get(SESSION) == before


@pytest.mark.parametrize(
    "value",
    [
        "c|location|teleport|{v}",  # well formed, not an answer of this question
        "c|location|above",  # malformed
        "m|location|format-disk|{v}",  # not a command
        "t|location|above|{v}",  # a tick on a single-choice question
    ],
)
async def test_a_forged_button_changes_nothing_and_says_so(
    user: SlackUser, catalog: Catalog, redis_client: aioredis.Redis, value: str
) -> None:
    await at_location(user)
    question = user.messages[-1]
    version = question.blocks[1]["elements"][0]["value"].split("|")[3]
    before = await redis_client.get(SESSION)
    forged = value.format(v=version)
    block_id = elements(question)[0][0]
    action = {"action_id": forged, "value": forged, "block_id": block_id}
    assert await user.send(user.action_body(question, action)) == 200
    assert [visible_text(m) for m in user.view.whispers] == [
        catalog.content("en").ui["unknown_option"]
    ]
    assert user.view.new == user.view.updated == []
    assert await redis_client.get(SESSION) == before


async def test_forged_ticks_and_foreign_blocks_change_nothing(
    user: SlackUser, catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    await user.command()
    await user.press("agree")
    question = user.messages[-1]
    before = await redis_client.get(SESSION)
    found = elements(question)
    boxes_block, boxes = next(e for e in found if e[1]["type"] == "checkboxes")
    nav_block, done = next(e for e in found if e[1].get("value", "").startswith("s|"))
    state = {
        "values": {
            boxes_block: {
                boxes["action_id"]: {
                    "type": "checkboxes",
                    "selected_options": [{"value": "t|location|above|1"}],
                }
            }
        }
    }
    action = {"action_id": done["action_id"], "value": done["value"], "block_id": nav_block}
    from tests.channels.slack.driver import with_state

    body = with_state(user.action_body(question, action), state)
    assert await user.send(body) == 200
    unknown = catalog.content("en").ui["unknown_option"]
    assert [visible_text(m) for m in user.view.whispers] == [unknown]
    action["block_id"] = "not-ours"
    assert await user.send(user.action_body(question, action)) == 200
    assert [visible_text(m) for m in user.view.whispers] == [unknown]
    assert await redis_client.get(SESSION) == before


async def test_ticks_are_checked_at_once_but_never_saved(
    fake: FakeSlack,
    bot: BotProcess,
    user: SlackUser,
    catalog: Catalog,
    redis_client: aioredis.Redis,
) -> None:
    ui = catalog.content("en").ui
    await user.command()
    await user.press("agree")
    red_flags = user.messages[-1]
    before = await redis_client.get(SESSION)
    await user.tick("numb_weak", "none")
    assert user.view.whispers == []  # fine ticks: kept by the client, nothing said or stored
    assert await redis_client.get(SESSION) == before
    await SlackUser(fake, bot, "U0OTHER").tick("none", on=red_flags)
    assert [visible_text(m) for m in user.fake.ephemeral(user.dm, "U0OTHER")] == [
        ui["slack_not_yours"]
    ]
    await user.press("back")
    await user.tick("numb_weak", on=red_flags)  # the question has moved on
    assert [visible_text(m) for m in user.view.whispers] == [ui["stale"]]
    await user.command("stop")
    await user.tick("dark_urine", on=red_flags)
    assert [visible_text(m) for m in user.view.whispers] == [slack_commands(ui["not_started"])]


async def test_bad_signatures_and_stale_timestamps_get_401_and_do_nothing(
    fake: FakeSlack, bot: BotProcess, redis_client: aioredis.Redis
) -> None:
    body = slash_command_body(
        user_id="U0KNEE", channel_id="DU0KNEE", response_url=fake.new_response_url()
    )
    wrong = SlackSigner("not-the-secret").sign(body)
    assert (await post(bot.url, body, wrong))[0] == 401
    stale = SlackSigner(SECRET).sign(body, int(time.time()) - 5 * 60 - 10)
    assert (await post(bot.url, body, stale))[0] == 401
    assert (await post(bot.url, body, {}))[0] == 401
    await bot.idle()
    assert fake.calls == []
    assert fake.responses == []
    assert await redis_client.keys("*") == []


async def test_a_forged_request_leaves_nothing_it_carried_in_any_log(
    fake: FakeSlack, bot: BotProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """slack_bolt logs a request that fails its signature check with the whole body (user,
    DM channel, typed text); kneecheck checks first, so not even DEBUG logging sees it."""
    typed = "my calf is swollen and red"
    body = message_event_body(
        user_id="U0FORGED", channel_id="DU0FORGED", text=typed, event_id="EvF"
    )
    caplog.set_level(logging.DEBUG)
    for noisy in ("slack_bolt", "slack_sdk"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    assert (await post(bot.url, body, SlackSigner("not-the-secret").sign(body)))[0] == 401
    assert (await post(bot.url, body, {}))[0] == 401
    await bot.idle()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (typed, "U0FORGED", "DU0FORGED"):
        assert secret not in logged


async def test_a_redelivered_event_is_acted_on_once_across_processes(
    fake: FakeSlack, bot: BotProcess, user: SlackUser, redis_server: RedisServer
) -> None:
    await at_location(user)
    body = message_event_body(
        user_id=user.id, channel_id=user.dm, text="behind the knee", event_id="EvOnce"
    )
    other_process = await BotProcess(settings_for(fake, redis_server.url)).start()
    try:
        assert await user.send(body) == 200
        assert step_of(user.messages[-1]) == "behind_muscle"
        posted = len(user.messages)
        for process, retry in ((bot, 1), (other_process, 2)):
            user.bot = process
            assert await user.send(body, retry_num=retry, retry_reason="http_timeout") == 200
            assert len(user.messages) == posted
            assert user.view.new == user.view.updated == []
    finally:
        user.bot = bot
        await other_process.stop()
    await user.press("calf")
    assert step_of(user.messages[-1]) == "triggers"


async def test_the_bots_own_and_edited_messages_are_not_answers(
    fake: FakeSlack, user: SlackUser, redis_client: aioredis.Redis
) -> None:
    await at_location(user)
    before = await redis_client.get(SESSION)
    for extra in ({"bot_id": "BBOT", "user_id": "UBOT"}, {"subtype": "message_changed"}):
        fields = {"user_id": user.id, "channel_id": user.dm, "text": "behind", **extra}
        body = message_event_body(event_id=f"Ev-{len(extra)}-{extra.get('subtype')}", **fields)
        assert await user.send(body) == 200
        assert user.view.new == []
    channel = message_event_body(
        user_id=user.id, channel_id="C1", text="behind", event_id="EvC", channel_type="channel"
    )
    assert await user.send(channel) == 200
    assert user.view.new == []
    assert fake.messages("C1") == []
    assert await redis_client.get(SESSION) == before


@pytest.fixture
async def redis_down(fake: FakeSlack) -> AsyncIterator[BotProcess]:
    """A bot whose Redis refuses connections (nothing listens on the port)."""
    process = await BotProcess(settings_for(fake, f"redis://127.0.0.1:{free_port()}/0")).start()
    yield process
    await process.server.stop()
    await process.app.store.close()


async def test_redis_down_is_a_friendly_message_everywhere(
    fake: FakeSlack, redis_down: BotProcess, catalog: Catalog
) -> None:
    unavailable = catalog.content("en").ui["unavailable"]
    user = SlackUser(fake, redis_down)
    assert await user.command(channel="C1") == 200
    assert [visible_text(m) for m in user.whispers("C1")] == [unavailable]
    assert await user.say("behind the knee") == 200
    assert [visible_text(m) for m in user.view.new] == [unavailable]
    fake_question = user.messages[-1]
    button = {"action_id": "c|location|behind|3", "value": "c|location|behind|3"}
    action = {**button, "block_id": "kc:U0KNEE:0"}
    assert await user.send(user.action_body(fake_question, action)) == 200
    assert [visible_text(m) for m in user.view.whispers] == [unavailable]


async def test_a_rate_limited_post_is_retried(fake: FakeSlack, user: SlackUser) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)
    await user.command()
    assert step_of(user.messages[-1]) == "consent"
    assert len(fake.calls_to("chat.postMessage")) == 2
