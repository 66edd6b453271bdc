"""Lost turns and /forget races on Telegram (issue 13): the real PTB application against the
fake Bot API, a real Redis, and Bot API calls that fail, hang or find their message deleted.

What a user would notice: after a send fails, the question they are owed arrives once, with
Telegram's re-delivery of the update (webhook) or with their next message (polling); and a
/forget that races a turn being shown leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.channels.telegram.runner import process_webhook, telegram_app
from bot.engine.session import Session
from bot.settings import Settings
from bot.wiring import build_app
from tests.channels.telegram.harness import BotProcess, TelegramUser
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.redis_server import RedisServer

SECRET = "webhook-secret"

ERASE = "x|forget|yes|0"
"""The /forget confirmation's yes button, as Telegram sends it back."""


def asked(user_messages: list[SentMessage], number: int) -> list[SentMessage]:
    return [m for m in user_messages if f"Question {number} of" in m.plain_text]


async def session_of(redis_client: aioredis.Redis, user_id: int) -> Session:
    raw = await redis_client.get(f"kc:{{tg:{user_id}}}:session:kneecheck")
    assert raw is not None
    return Session.load(raw)


async def test_a_question_lost_to_a_failed_send_comes_with_the_next_message(
    fake: FakeTelegram, alice: TelegramUser, redis_client: aioredis.Redis
) -> None:
    await alice.send("/start")
    fake.fail_next("sendMessage", status=500)
    await alice.press("agree")
    assert asked(alice.messages, 2) == []  # saved, but the user never saw the next question
    assert (await session_of(redis_client, alice.id)).step == "red_flags"

    await alice.send("hello?")  # polling re-delivers nothing: the user's next message

    assert len(asked(alice.messages, 2)) == 1
    assert alice.current_step == "red_flags"
    assert await redis_client.exists("kc:{tg:4242}:outbox") == 0  # nothing owed any more
    await alice.tick("none")
    await alice.press("done")
    assert alice.current_step == "location"
    assert len(asked(alice.messages, 3)) == 1


async def test_an_answer_to_a_question_the_user_deleted_still_gets_the_next_question(
    fake: FakeTelegram, alice: TelegramUser
) -> None:
    await alice.send("/start")
    fake.user_deletes(alice.id, alice.messages[-1].message_id)
    await alice.send("yes")
    assert len(asked(alice.messages, 2)) == 1
    # The question could not be rewritten as a transcript line: the line came as a message.
    assert any("\u27a1" in m.plain_text and "Question 1 of" in m.plain_text for m in alice.messages)
    failed = [p for m, p in fake.calls if m == "editMessageText"]
    assert len(failed) == 1  # tried once, then sent anew


async def test_a_tick_on_a_question_deleted_meanwhile_shows_the_question_again(
    fake: FakeTelegram, bot: BotProcess, alice: TelegramUser
) -> None:
    await alice.send("/start")
    await alice.press("agree")
    question = alice.keyboard_message
    tick = next(data for _, data in question.buttons() if "|none|" in data)
    press = fake.press_update(alice.id, question.message_id, tick)
    fake.user_deletes(alice.id, question.message_id)  # deleted while the press was on its way
    fake.push_raw({"update_id": 60001, **press})
    await bot.processor.wait(60001)
    shown = alice.keyboard_message
    assert shown.message_id != question.message_id
    ticked = [text for text, data in shown.buttons() if "|none|" in data]
    assert ticked[0].startswith("\u2705")
    await alice.press("done")  # the question sent anew is the one answered
    assert "\u27a1" in shown.plain_text
    assert alice.current_step == "location"


async def test_forget_while_a_turn_is_being_shown_leaves_no_key(
    fake: FakeTelegram, bot: BotProcess, alice: TelegramUser, redis_client: aioredis.Redis
) -> None:
    """One process: the erase comes after the turn being shown, never in its middle."""
    await alice.send("/start")
    await alice.press("agree")
    await alice.send("/forget")
    confirm = alice.messages[-1]
    fake.hold("sendMessage")
    fake.user_sends(alice.id, "none", update_id=70001)  # saved; its next question is held...
    await fake.wait_for(lambda: fake.held == 1)
    fake.user_presses(alice.id, confirm.message_id, ERASE, update_id=70002)  # ...erase!
    await fake.wait_until_consumed(70002)
    fake.release()
    await bot.processor.wait(70001)
    await bot.processor.wait(70002)
    assert len(asked(alice.messages, 3)) == 1  # the turn was shown in full...
    assert "erased everything" in confirm.plain_text  # ...and then everything erased
    assert await redis_client.keys(f"*tg:{alice.id}*") == []


async def test_forget_in_one_process_while_another_shows_a_turn_leaves_no_key(
    fake: FakeTelegram, redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    """Two web processes: the forget waits until the other has shown its turn, then erases
    what the turn wrote (the question pointer among it)."""
    user = 535353
    async with (
        webhook_process(fake, redis_server.url) as one,
        webhook_process(fake, redis_server.url) as two,
    ):
        for n, text in enumerate(["/start", "yes", "/forget"], 1):
            assert await deliver(one, {"update_id": n, **fake.message_update(user, text)}) == 200
        confirm = fake.last(user)
        fake.hold("sendMessage")
        typed = {"update_id": 4, **fake.message_update(user, "none")}
        showing = asyncio.create_task(deliver(one, typed))  # its next question is held...
        await fake.wait_for(lambda: fake.held == 1)
        erase = {"update_id": 5, **fake.press_update(user, confirm.message_id, ERASE)}
        forgetting = asyncio.create_task(deliver(two, erase))  # ...when the erase comes
        await until_exists(redis_client, "kc:once:tg-update:5")
        assert not forgetting.done()
        fake.release()
        assert await showing == 200
        assert await forgetting == 200
    assert len(asked(fake.messages(user), 3)) == 1
    assert "erased everything" in confirm.plain_text
    assert await redis_client.keys(f"*tg:{user}*") == []


async def until_exists(redis_client: aioredis.Redis, key: str, within: float = 10) -> None:
    """Poll Redis for ``key`` until it exists, or fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await redis_client.exists(key):
        assert loop.time() < deadline, f"{key} never appeared"
        await asyncio.sleep(0.01)


# -- the webhook: Telegram delivers the update again when it is not answered 2xx ------------


@contextlib.asynccontextmanager
async def webhook_process(
    fake: FakeTelegram, redis_url: str, *, read_timeout: float = 5
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The webhook handler of one `kneecheck serve` process, on its own Redis connections."""
    settings = Settings(
        redis_url=redis_url,
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_base_url=fake.base_url,
    )
    app = build_app(settings)
    request = HTTPXRequest(connection_pool_size=8, read_timeout=read_timeout)
    application = telegram_app(app, polling=False, request=request)
    async with application:
        yield application
    await app.close()


@pytest.fixture
async def webhook(
    fake: FakeTelegram, redis_server: RedisServer, redis_client: aioredis.Redis
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """One web process whose Bot API calls time out after 0.5 s."""
    async with webhook_process(fake, redis_server.url, read_timeout=0.5) as application:
        yield application


async def deliver(application: Application, update: dict[str, Any]) -> int:  # type: ignore[type-arg]
    return await process_webhook(application, json.dumps(update).encode(), SECRET, SECRET)


async def test_a_send_that_timed_out_is_made_when_telegram_delivers_the_update_again(
    fake: FakeTelegram,
    webhook: Application,  # type: ignore[type-arg]
    redis_client: aioredis.Redis,
) -> None:
    application = webhook
    user = 515151
    start = {"update_id": 1, **fake.message_update(user, "/start")}
    assert await deliver(application, start) == 200
    consent = fake.last(user)
    agree = next(data for _, data in consent.buttons() if "|agree|" in data)
    press = {"update_id": 2, **fake.press_update(user, consent.message_id, agree)}

    fake.hold("sendMessage")  # the Bot API hangs past the client's timeout
    assert await deliver(application, press) == 503  # so Telegram will deliver it again
    fake.release()
    assert asked(fake.messages(user), 2) == []
    assert (await session_of(redis_client, user)).step == "red_flags"

    assert await deliver(application, press) == 200  # the re-delivery brings the question
    assert len(asked(fake.messages(user), 2)) == 1
    assert await deliver(application, press) == 200  # and a third delivery nothing more
    assert len(asked(fake.messages(user), 2)) == 1
    session = await session_of(redis_client, user)
    assert (session.step, dict(session.answers)) == ("red_flags", {"consent": "agree"})
    assert await redis_client.exists(f"kc:{{tg:{user}}}:outbox") == 0


async def test_a_failed_send_answers_503_and_a_refused_message_does_not(
    fake: FakeTelegram,
    webhook: Application,  # type: ignore[type-arg]
) -> None:
    application = webhook
    user = 525252
    fake.fail_next("sendMessage", status=502)
    start = {"update_id": 11, **fake.message_update(user, "/start")}
    assert await deliver(application, start) == 503
    assert await deliver(application, start) == 200
    assert len(asked(fake.messages(user), 1)) == 1
    # A 400 is Telegram refusing that message for good: retrying for a day would not help.
    fake.fail_next("sendMessage", status=400, description="Bad Request: can't parse entities")
    assert await deliver(application, {"update_id": 12, **fake.message_update(user, "yes")}) == 200
