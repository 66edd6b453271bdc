"""`kneecheck run` with no chat token: the terminal chat as before, and the web chat beside
it on PORT, on the embedded Redis (fakeredis, blocking stream reads and all)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.channels import registry
from bot.channels.web.entry import PREFIX
from bot.channels.web.stream import WebCourier
from bot.settings import Settings
from bot.wiring import build_app
from tests.channels.web.driver import Address, Tab
from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]


async def test_run_serves_the_web_chat_beside_the_terminal_chat() -> None:
    port = free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "WEB_CHAT_SECRET")
    }
    environment["PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=environment,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        seen = b""
        async with asyncio.timeout(30):
            while b"Question 1 of" not in seen:  # the terminal chat asks, as always
                chunk = await process.stdout.read(4096)
                assert chunk, "kneecheck run ended before asking anything"
                seen += chunk
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
