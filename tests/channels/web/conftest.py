"""Fixtures for the web chat's HTTP tests: the chat on 127.0.0.1 with the suite's Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.channels.web.driver import ChatServer, Tab
from tests.redis_server import RedisServer


@pytest.fixture
async def server(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> AsyncIterator[ChatServer]:
    async with ChatServer.running(redis_server.url) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with Tab.browser() as session:
        yield session


@pytest.fixture
async def tab(server: ChatServer, browser: aiohttp.ClientSession) -> AsyncIterator[Tab]:
    """A tab that opened the page and listens to its event stream."""
    opened = Tab(server, browser)
    await opened.open()
    await opened.listen()
    yield opened
    await opened.close()
