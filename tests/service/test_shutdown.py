"""SIGTERM ends `kneecheck serve` within the 10 s a process manager allows, even when every
Bot API call hangs: whatever was not sent is owed to the user, not lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.channels.telegram.runner import SECRET_HEADER
from bot.channels.telegram.runner import WEBHOOK_PATH as TELEGRAM_PATH
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "shutdown-secret"
USERS = range(555_000, 555_006)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    server.release()
    await server.stop()


def update(user: int) -> bytes:
    return json.dumps(
        {
            "update_id": user,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private"},
                "from": {"id": user, "is_bot": False, "first_name": "S", "language_code": "en"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    ).encode()


async def healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)  # polling a process that is starting, with a deadline
    raise AssertionError(f"{url} never became healthy")


async def test_sigterm_with_every_bot_api_call_hanging_exits_0_within_10_seconds(
    fake: FakeTelegram, redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PTB_TIMEDELTA": "true",
    }
    log = (tmp_path / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", cwd=ROOT, env=env, stdout=log, stderr=log
    )
    posts: list[asyncio.Task[int]] = []
    try:
        await healthy(f"http://127.0.0.1:{port}/healthz")
        async with aiohttp.ClientSession() as http:

            async def post(body: bytes) -> int:
                async with http.post(
                    f"http://127.0.0.1:{port}{TELEGRAM_PATH}",
                    data=body,
                    headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
                ) as response:
                    return response.status

            for user in USERS:
                assert await post(update(user)) == 200
            # Every call a press makes hangs: the answer to the press, the edit, the next
            # question, each up to PTB's timeout, one after the other.
            for method in ("answerCallbackQuery", "editMessageText", "sendMessage"):
                fake.hold(method)
            presses = []
            for user in USERS:
                question = fake.last(user)
                agree = question.buttons()[0][1]
                presses.append(fake.press_update(user, question.message_id, agree))
            posts = [
                asyncio.create_task(post(json.dumps({"update_id": 900 + n, **press}).encode()))
                for n, press in enumerate(presses)
            ]
            await fake.wait_for(lambda: fake.held >= len(USERS), timeout=20)
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = await asyncio.wait_for(process.wait(), 12)
            took = time.monotonic() - started
            for task in posts:
                task.cancel()
            await asyncio.gather(*posts, return_exceptions=True)
        assert code == 0
        assert took < 10, f"SIGTERM took {took:.1f} s"
    finally:
        log.close()
        if process.returncode is None:
            process.kill()
            await process.wait()


STUCK = """
import asyncio, sys, time
from bot.serving import Stopper, arm_exit_deadline

async def main():
    arm_exit_deadline()
    with Stopper(asyncio.Event()) as stop:
        print("ready", flush=True)
        await stop.wait()
        time.sleep(60)  # a shutdown stuck so badly the event loop itself no longer runs

asyncio.run(main())
sys.exit(3)
"""


async def test_a_shutdown_stuck_even_in_the_event_loop_still_ends_within_10_seconds() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STUCK, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = await asyncio.wait_for(process.wait(), 12)
        assert code == 0
        assert time.monotonic() - started < 10
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
