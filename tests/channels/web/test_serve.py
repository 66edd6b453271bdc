"""`kneecheck serve` with WEB_CHAT_SECRET: the registry mounts the chat beside the health
check, and a page left open does not hold up a deploy (its event stream ends at once)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from bot.settings import Settings
from bot.web import serve
from bot.wiring import build_app
from tests.channels.web.driver import Address, Tab
from tests.redis_server import RedisServer


async def test_serve_mounts_the_chat_and_stops_with_a_page_open(
    monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    monkeypatch.setenv("WEB_CHAT_SECRET", "a secret for serve")
    app = build_app(Settings(redis_url=redis_server.url))
    stop, port = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            app, host="127.0.0.1", port=0, stop=stop, started=port.set_result, handle_signals=False
        )
    )
    try:
        async with Tab.browser() as browser:
            tab = Tab(Address(f"http://127.0.0.1:{await port}"), browser)
            opened = await tab.open()
            assert opened.status == 200
            assert "default-src 'none'" in opened.headers["Content-Security-Policy"]
            await tab.listen()
            await tab.command("start")
            assert tab.last()["step"] == "consent"
            async with browser.get(f"{tab.server.url}/healthz") as health:
                assert health.status == 200
            stopping = time.monotonic()
            stop.set()
            await asyncio.wait_for(task, 15)
            # Well inside the 8 s grace period that requests in hand are given.
            assert time.monotonic() - stopping < 3
            await tab.close()
    finally:
        stop.set()
        await app.close()
