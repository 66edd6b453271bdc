"""A fake Telegram, the bot polling it (on the suite's real Redis), and users."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.channels.telegram.harness import BotProcess, TelegramUser
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer

os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(
    fake: FakeTelegram, redis_server: RedisServer, redis_client: aioredis.Redis
) -> AsyncIterator[BotProcess]:
    async with BotProcess(fake, redis_server.url) as process:
        yield process


@pytest.fixture
def alice(fake: FakeTelegram, bot: BotProcess) -> TelegramUser:
    return TelegramUser(fake, bot, 4242)
