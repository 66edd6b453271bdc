"""The bot as a process: restarts, SIGTERM, the webhook handler and a Redis that goes away."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from pydantic import SecretStr

from bot.channels.telegram.runner import process_webhook, telegram_app
from bot.settings import Settings
from bot.wiring import build_app
from tests.channels.telegram.harness import BotProcess, TelegramUser
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[3]


async def test_a_restart_of_the_bot_mid_conversation_continues_where_it_was(
    fake: FakeTelegram, redis_server: RedisServer, bot: BotProcess
) -> None:
    alice = TelegramUser(fake, bot, 4242)
    await alice.send("/start")
    await alice.press("agree")
    await alice.tick("none")
    await bot.stop()

    async with BotProcess(fake, redis_server.url) as second:
        alice.bot = second
        await alice.press("done")  # the button sent by the first process still works
        assert alice.current_step == "location"
        await alice.send("/start")
        assert "You have a knee check in progress (Question 3 of" in alice.last_text


async def test_sigterm_stops_polling_within_ten_seconds(
    fake: FakeTelegram, redis_server: RedisServer
) -> None:
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "PTB_TIMEDELTA": "true",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "telegram",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        fake.user_sends(31337, "/start", update_id=501)
        await fake.wait_for(lambda: bool(fake.messages(31337)), timeout=30)
        process.send_signal(signal.SIGTERM)
        started = asyncio.get_running_loop().time()
        code = await asyncio.wait_for(process.wait(), 10)
        assert code == 0
        assert asyncio.get_running_loop().time() - started < 10
        # The handled update was confirmed before exiting: it will not be delivered again.
        offsets = [int(p.get("offset", 0)) for m, p in fake.calls if m == "getUpdates"]
        assert max(offsets) > 501
        assert process.stderr is not None
        logs = (await process.stderr.read()).decode()
        assert fake.token not in logs  # httpx would log request URLs, which carry the token
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_webhook_handler_checks_the_secret_token(
    fake: FakeTelegram, redis_server: RedisServer
) -> None:
    settings = Settings(
        redis_url=redis_server.url,
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_base_url=fake.base_url,
    )
    app = build_app(settings)
    application = telegram_app(app, polling=False)
    update = {
        "update_id": 42,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": 777, "type": "private"},
            "from": {"id": 777, "is_bot": False, "first_name": "W", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    body = json.dumps(update).encode()
    async with application:
        assert await process_webhook(application, body, None, "s3cret") == 401
        assert await process_webhook(application, body, "wrong", "s3cret") == 401
        assert not fake.messages(777)
        assert await process_webhook(application, b"{not json", "s3cret", "s3cret") == 400
        assert await process_webhook(application, body, "s3cret", "s3cret") == 200
        assert "Question 1 of" in fake.last(777).plain_text
    await app.store.close()


async def test_while_redis_is_down_users_are_told_and_nothing_is_lost(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    async with BotProcess(fake, server.url) as bot:
        alice = TelegramUser(fake, bot, 4242)
        await alice.send("/start")
        await alice.press("agree")
        server.stop(keep_data=True)
        await alice.send("none")
        assert "not working right now" in alice.last_text
        notice = await alice.tap(alice.keyboard_message, alice.keyboard_message.buttons()[0][1])
        assert "not working right now" in notice
        server.start()  # same port, same data: the conversation goes on where it was
        await alice.send("none")
        assert alice.current_step == "location"
    server.stop()
