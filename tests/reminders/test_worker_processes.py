"""``kneecheck worker`` as real processes: two at once, one killed mid-batch, SIGTERM.

Each user has one reminder due a few seconds from now; the fake Bot API counts what was
delivered. "Delivered" is a sendMessage the fake answered: one held unanswered when its
worker is killed never reached the user, exactly as Telegram would not have sent it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import aiohttp
import redis.asyncio as aioredis
from pydantic import SecretStr

from bot.reminders.model import Reminder, Reminders
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer, free_port
from tests.reminders.harness import FAST, eventually, until

ROOT = Path(__file__).resolve().parents[2]
FIRST_USER = 700_000
INCOMPLETE = "saq:kneecheck-reminders:incomplete"
CONCURRENCY = 4


def env_for(fake: FakeTelegram, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "LOG_SALT": "test-salt",
        "PTB_TIMEDELTA": "true",
        **{name.upper(): str(value) for name, value in FAST.items()},
        "WORKER_CONCURRENCY": str(CONCURRENCY),
    }


@asynccontextmanager
async def worker(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def schedule(fake: FakeTelegram, redis_url: str, users: int, *, in_seconds: float) -> int:
    """Give ``users`` users one hydration reminder each, due ``in_seconds`` from now."""
    settings = Settings(
        redis_url=redis_url,
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_base_url=fake.base_url,
        **FAST,  # the job timeout is set when the job is queued
    )
    app = build_app(settings)
    due = int(time.time() + in_seconds) + 1
    try:
        for n in range(users):
            reminder = Reminder(
                id="hydration", kind="hydration", zone="UTC", times=(dt.time(10),), due=due
            )
            await app.reminders.replace(
                UserRef("tg", str(FIRST_USER + n)), Reminders(items={"hydration": reminder})
            )
    finally:
        await app.close()
    return due


def delivered(fake: FakeTelegram, users: int) -> list[int]:
    return [len(fake.messages(FIRST_USER + n)) for n in range(users)]


async def settled(redis_client: aioredis.Redis, users: int, due: int) -> bool:
    """Every reminder has moved on past ``due``, and exactly those occurrences are queued."""
    active = await cast("Awaitable[int]", redis_client.llen("saq:kneecheck-reminders:active"))
    queued = {k.decode() for k in await redis_client.zrange(INCOMPLETE, 0, -1)}
    expected = set()
    for n in range(users):
        raw = await redis_client.get(f"kc:{{tg:{FIRST_USER + n}}}:reminders")
        following = Reminders.model_validate_json(raw or "{}").items["hydration"].due or 0
        if following <= due:
            return False
        expected.add(f"saq:job:kneecheck-reminders:tg:{FIRST_USER + n}|hydration|{following}")
    return active == 0 and queued == expected


async def test_two_workers_at_once_deliver_each_reminder_exactly_once(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    users = 40
    async with FakeTelegram() as fake:
        env = env_for(fake, redis_server.url)
        due = await schedule(fake, redis_server.url, users, in_seconds=4)
        async with worker(env), worker(env):
            await until(lambda: all(delivered(fake, users)), within=30)
            await eventually(lambda: settled(redis_client, users, due), within=30)
        assert delivered(fake, users) == [1] * users


async def test_a_worker_killed_mid_batch_then_restarted_delivers_each_exactly_once(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    users = 30
    async with FakeTelegram() as fake:
        env = env_for(fake, redis_server.url)
        due = await schedule(fake, redis_server.url, users, in_seconds=3)
        fake.hold("sendMessage", after=10)
        async with worker(env) as first:
            # Killed while every delivery in hand waits on Telegram (4 = WORKER_CONCURRENCY):
            # the batch is half done, and no send is between Telegram's answer and the
            # worker recording it (the one window a crash can duplicate: see the service).
            await fake.wait_for(lambda: fake.held == CONCURRENCY, timeout=30)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert sum(delivered(fake, users)) == 10
        fake.release()
        port = free_port()
        async with worker({**env, "WORKER_PORT": str(port)}) as second:
            await until(lambda: all(delivered(fake, users)), within=60)
            await eventually(lambda: settled(redis_client, users, due), within=60)
            # Its own health signal: /healthz answers, /metrics counts what it sent.
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                    assert health.status == 200
                async with http.get(f"http://127.0.0.1:{port}/metrics") as scraped:
                    metrics = await scraped.text()
            assert 'kneecheck_reminders_sent_total{kind="hydration"} 20.0' in metrics
            assert "kneecheck_worker_heartbeat_seconds " in metrics
            assert str(FIRST_USER) not in metrics
            second.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert await asyncio.wait_for(second.wait(), 10) == 0
            assert time.monotonic() - started < 10
        assert delivered(fake, users) == [1] * users


async def test_sigterm_while_every_delivery_hangs_exits_0_within_10_seconds_and_loses_none(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    users = 8
    async with FakeTelegram() as fake:
        env = env_for(fake, redis_server.url)
        due = await schedule(fake, redis_server.url, users, in_seconds=2)
        fake.hold("sendMessage")
        async with worker(env) as stuck:
            # Every delivery in hand waits on a Bot API that never answers.
            await fake.wait_for(lambda: fake.held == CONCURRENCY, timeout=30)
            stuck.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = await asyncio.wait_for(stuck.wait(), 12)
            took = time.monotonic() - started
        assert code == 0
        assert took < 10, f"SIGTERM took {took:.1f} s"
        print(f"worker SIGTERM took {took:.1f} s")
        assert delivered(fake, users) == [0] * users
        # What the stopped worker had in hand is not lost: the next one delivers it, once.
        fake.release()
        async with worker(env):
            await until(lambda: all(delivered(fake, users)), within=60)
            await eventually(lambda: settled(redis_client, users, due), within=60)
        assert delivered(fake, users) == [1] * users


async def test_sigterm_with_redis_frozen_still_exits_0_within_10_seconds(tmp_path: Path) -> None:
    """Redis stops answering (not gone): saq's loops and the store hang on it, and the
    exit deadline still ends the worker in the time a process manager allows."""
    own = RedisServer(tmp_path / "redis")
    own.start()
    try:
        async with FakeTelegram() as fake:
            await schedule(fake, own.url, 2, in_seconds=60)
            port = free_port()
            async with worker({**env_for(fake, own.url), "WORKER_PORT": str(port)}) as frozen:
                async with aiohttp.ClientSession() as http:

                    async def healthy() -> bool:
                        try:
                            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                                return r.status == 200
                        except aiohttp.ClientError:
                            return False

                    await eventually(healthy, within=30)
                assert own.process is not None
                os.kill(own.process.pid, signal.SIGSTOP)
                frozen.send_signal(signal.SIGTERM)
                started = time.monotonic()
                code = await asyncio.wait_for(frozen.wait(), 12)
                took = time.monotonic() - started
        assert code == 0
        assert took < 10, f"SIGTERM took {took:.1f} s"
    finally:
        if own.process is not None:
            os.kill(own.process.pid, signal.SIGCONT)
        own.stop()
