"""Fixtures for the Slack channel tests: a fake Slack, a real Redis, the real bolt app on HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.channels.slack.driver import BotProcess, SlackUser, settings_for
from tests.fakes.slack import FakeSlack
from tests.redis_server import RedisServer


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def bot(
    fake: FakeSlack, redis_server: RedisServer, redis_client: aioredis.Redis
) -> AsyncIterator[BotProcess]:
    """The bot, on the suite's Redis (emptied first by ``redis_client``)."""
    process = await BotProcess(settings_for(fake, redis_server.url)).start()
    yield process
    await process.stop()


@pytest.fixture
def user(fake: FakeSlack, bot: BotProcess) -> SlackUser:
    return SlackUser(fake, bot)
