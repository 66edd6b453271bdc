"""`kneecheck run` with no chat token: the terminal chat as before, and the web chat beside
it on PORT, on the embedded Redis (fakeredis, blocking stream reads and all)."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels import registry
from bot.channels.web.entry import PREFIX
from bot.channels.web.stream import WebCourier
from bot.settings import Settings
from bot.wiring import build_app
from tests import newcomer
from tests.channels.web.driver import Address, Tab
from tests.redis_server import free_port


async def test_run_serves_the_web_chat_beside_the_terminal_chat() -> None:
    port = free_port()
    process = await newcomer.start("run", PORT=str(port))
    assert process.stdin is not None
    try:
        # The terminal chat asks, as always.
        seen = await newcomer.Screen(process).until(b"Question 1 of")
        assert f"The web chat is at http://localhost:{port}/chat".encode() in seen
        async with Tab.browser() as browser:
            tab = Tab(Address(f"http://127.0.0.1:{port}"), browser)
            await tab.open()
            await tab.listen()
            await tab.command("start")
            await tab.press("agree")
            assert tab.last()["step"] == "red_flags"
            await tab.close()
    finally:
        process.stdin.close()
        async with asyncio.timeout(15):
            await process.wait()
    assert process.returncode == 0


async def test_the_worker_and_run_deliver_reminders_to_the_web_courier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With WEB_CHAT_SECRET set (as `kneecheck run` sets it), the registry gives every process
    that delivers reminders a web courier; without it, none."""
    monkeypatch.delenv("WEB_CHAT_SECRET", raising=False)
    app = build_app(Settings())
    try:
        assert PREFIX not in registry.couriers(app)
        monkeypatch.setenv("WEB_CHAT_SECRET", "a secret")
        assert isinstance(registry.couriers(app)[PREFIX], WebCourier)
        monkeypatch.setenv("WEB_CHAT_ENABLED", "false")
        assert PREFIX not in registry.couriers(app)
    finally:
        await app.close()
