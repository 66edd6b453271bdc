"""Fixtures shared by every test package: the catalog and a real Redis.

hypothesis is imported here, before any test runs: its pytest plugin otherwise imports it
at the end of a session, and CPython 3.11.7's parser can then fail with "AST constructor
recursion depth mismatch" (a CPython bug, gh-106905) after the channel tests ran.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import hypothesis  # noqa: F401  # imported up front, see below
import pytest
import redis.asyncio as aioredis

from bot.catalog.catalog import Catalog
from bot.catalog.loader import load_catalog
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    """A client on the suite's own server, emptied before each test (never anyone else's)."""
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()
