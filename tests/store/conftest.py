"""Every store test runs against each implementation: a real redis-server and the embedded one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fakeredis
import pytest
import redis.asyncio as aioredis

from bot.channels.registry import user_values
from bot.store.redis import RedisSessionStore

TTL = 3600


@pytest.fixture(params=["redis-server", "embedded"])
async def store(
    request: pytest.FixtureRequest, redis_client: aioredis.Redis
) -> AsyncIterator[RedisSessionStore]:
    if request.param == "redis-server":
        yield RedisSessionStore(redis_client, ttl_seconds=TTL, values=user_values())
        return
    client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    yield RedisSessionStore(client, ttl_seconds=TTL, values=user_values())
    await client.aclose()
