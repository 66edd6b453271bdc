"""A Redis that stops answering (frozen, not gone): turns fail fast and the store recovers.

The session client has no per-reply socket timeout (see ``CommandBatcher``); its pipelines
are bounded as a whole instead. A frozen server must still fail a turn with
``StoreUnavailable`` (the user is told "temporarily unavailable"), not hang it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.session import Session
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore
from tests.redis_server import RedisServer

USER = UserRef("tg", "42")


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own: freezing the suite's shared one would stall other tests."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


async def test_a_frozen_redis_fails_the_turn_within_the_timeout_then_recovers(
    own_server: RedisServer,
) -> None:
    store = RedisSessionStore.from_url(own_server.url, ttl_seconds=60)
    store.command_timeout = store.batcher.timeout = 0.5
    session = Session(flow="kneecheck", step="consent")
    assert await store.save(USER, session, expected=0)
    assert own_server.process is not None
    os.kill(own_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        # wait_for only turns a hang into a failure of this test (a TimeoutError).
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(store.load(USER, "kneecheck"), 5)
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(store.erase(USER), 5)
        assert time.monotonic() - started < 3
    finally:
        os.kill(own_server.process.pid, signal.SIGCONT)
    loaded = await asyncio.wait_for(store.load(USER, "kneecheck"), 5)
    assert loaded is not None
    assert loaded.step == "consent"
    await store.close()
